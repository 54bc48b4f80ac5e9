"""How long `/rumor add <link>` takes: a real article page served on 127.0.0.1 fetched, read,
added and indexed into the configured corpus (the default embedder), then asked about in
English before any rendering exists, then removed again. Prints figures; changes nothing
that stays (the source is removed at the end).

    .venv/bin/python benchmarks/curation.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bot.curation import add_link
from bot.services import build_services
from bot.settings import Settings

PARAGRAPHS = [
    "据两位知情人士透露，OpenAI 内部代号为“星尘计划”（Project Stardust）的新推理系统将在"
    " GPT-5 之前单独发布，目的是先在企业客户中测试长时间推理的稳定性。",
    "知情人士称，星尘计划的训练在今年九月完成，但团队发现它在多步数学题上的表现仍不稳定，"
    "因此发布时间被推迟到明年第一季度。",
    "OpenAI 发言人拒绝就星尘计划置评，只表示公司会在模型准备好时公布更多细节。",
]
PAGE = (
    "<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>OpenAI 星尘计划推迟</title>"
    "<meta property='og:site_name' content='示例科技网'>"
    "<meta property='article:published_time' content='2025-09-12'></head><body>"
    "<nav>首页 | 人工智能</nav><article><h1>OpenAI 星尘计划推迟</h1>"
    + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    + "</article><footer>版权所有</footer></body></html>"
).encode()


class Page(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/stardust.html"
    services = build_services(Settings(fetch_allow_hosts=["127.0.0.1"]))
    services.answers.start(triggered_by="benchmark")
    totals, ingests, builds = [], [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        report = add_link(services, url, "benchmark")
        totals.append(time.perf_counter() - started)
        ingests.append(report.ingest.duration_s)
        builds.append(report.duration_s - report.ingest.duration_s)
        (added,) = report.ingest.added
        answer = services.answers.ask("Why was OpenAI's Stardust project delayed?")
        first = answer.quotes[0].source_file if answer.quotes else None
        print(f"added {added}: first quote from it: {first == added} ({answer.confidence})")
        services.answers.remove_source(added, triggered_by="benchmark")
    server.shutdown()
    passages, embedder = len(services.answers.snapshot.passages), services.settings.embedder
    print(
        f"add a link ({passages} passages, embedder {embedder}, {args.runs} runs):"
        f" total median {statistics.median(totals):.2f} s"
        f" (ingest {statistics.median(ingests):.2f} s,"
        f" index build and swap {statistics.median(builds):.2f} s)"
    )


if __name__ == "__main__":
    main()
