"""Curating the corpus from Slack, through the real Bolt path, against real pages served on
127.0.0.1: an admin adds an article by its link (or shares a file) and it answers at once;
bad pages get their reason and change nothing; private addresses are refused; a removal is
confirmed and heard by followers; a reload of corpus/ keeps what Slack added; the export
writes it back out in the corpus format."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.listeners.curation import link_of
from bot.services import build_services
from retrieval.corpus.documents import parse_document
from retrieval.corpus.export import export_added
from retrieval.corpus.fetch import FetchRefused, check_url, fetch, is_public
from retrieval.corpus.ingest import CorpusIngestor
from retrieval.corpus.passages import build_passages
from tests.bot.conftest import ADMIN, RunningApp, make_settings, mention
from tests.bot.slack_stub import SlackStub

STARDUST = [
    "据两位知情人士透露，OpenAI 内部代号为“星尘计划”（Project Stardust）的新推理系统将在"
    " GPT-5 之前单独发布，目的是先在企业客户中测试长时间推理的稳定性。",
    "知情人士称，星尘计划的训练在今年九月完成，但团队发现它在多步数学题上的表现仍不稳定，"
    "因此发布时间被推迟到明年第一季度。",
    "OpenAI 发言人拒绝就星尘计划置评，只表示公司会在模型准备好时公布更多细节。",
]


def article(title: str, paragraphs: list[str], byline: str, published: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html lang="zh"><head><meta charset="utf-8">
<title>{title} - 示例科技网</title>
<meta name="author" content="{byline}"><meta property="og:site_name" content="示例科技网">
<meta property="article:published_time" content="{published}T08:00:00+08:00"></head>
<body><nav><a href="/">首页</a> | <a href="/ai">人工智能</a></nav>
<article><h1>{title}</h1>{body}</article>
<footer>© 示例科技网 版权所有</footer></body></html>""".encode()


def seed_paragraphs(corpus_dir: Path) -> list[str]:
    """A seed article's paragraphs, as a site that reposts it would show them."""
    name = "004_0aa2ea9de07dcc1e.txt"
    doc = parse_document(name, (corpus_dir / name).read_text(encoding="utf-8"))
    return [p.text for p in build_passages(doc, name)]


class Pages:
    """Real pages on 127.0.0.1: articles, a 404, a PDF, a 30 MB page, a redirect loop."""

    def __init__(self, corpus_dir: Path) -> None:
        english = [
            "OpenAI is said to be testing a reasoning system code-named Project Nebula with a"
            " small group of enterprise customers before any GPT-5 launch.",
            "People familiar with the matter said Nebula can work on a single problem for hours,"
            " but its answers are still checked by hand before they are shown to customers.",
        ]
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {
            "/zh-news.html": (
                200,
                {},
                article("OpenAI 星尘计划推迟", STARDUST, "记者 王芳", "2025-09-12"),
            ),
            "/en-blog.html": (
                200,
                {},
                article("Project Nebula", english * 2, "Jane Doe", "2025-10-01"),
            ),
            "/dup.html": (
                200,
                {},
                article("旧闻", seed_paragraphs(corpus_dir), "某人", "2023-06-09"),
            ),
            "/login.html": (200, {}, b"<html><body><form>Log in</form></body></html>"),
            "/doc.pdf": (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4 " + b"x" * 500),
            "/huge.html": (200, {"Content-Length": str(30_000_000)}, b""),
            "/loop": (302, {"Location": "/loop2"}, b""),
            "/loop2": (302, {"Location": "/loop"}, b""),
        }
        pages = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                status, headers, body = pages.routes.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                headers = {"Content-Type": "text/html; charset=utf-8", **headers}
                headers.setdefault("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if self.path == "/huge.html":
                    return  # the cap refuses it on its Content-Length, before any byte
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def pages(corpus_dir: Path) -> Iterator[Pages]:
    served = Pages(corpus_dir)
    yield served
    served.server.shutdown()


@pytest.fixture
def curating(tmp_path: Path, corpus_dir: Path, stub: SlackStub) -> Iterator[RunningApp]:
    settings = make_settings(tmp_path, corpus_dir, stub.url).model_copy(
        update={"fetch_allow_hosts": ["127.0.0.1"]}
    )
    services = build_services(settings)
    services.answers.start()
    app = RunningApp(services, stub)
    yield app
    app.close()


def report_of(app: RunningApp, user: str = ADMIN, count: int = 1) -> str:
    return app.stub.wait_for(f"response/{user}", count=count, timeout=60)[count - 1]["text"]


def quoted_sources(call: dict) -> set[str]:
    blocks = json.loads(call["blocks"]) if isinstance(call["blocks"], str) else call["blocks"]
    cited = [b for b in blocks if b["type"] == "context" and "[1]" in json.dumps(b)]
    return {line for b in cited for line in b["elements"][0]["text"].split("\n")}


def test_an_admin_adds_an_article_by_its_link_and_it_answers_at_once(
    curating: RunningApp, pages: Pages
) -> None:
    before = curating.services.store.current_version()
    ack = curating.command(f"add <{pages.url}/zh-news.html>", user_id=ADMIN)
    assert "Fetching" in ack.body
    report = report_of(curating)
    assert report.startswith(":white_check_mark: *Added*") and "OpenAI 星尘计划推迟" in report
    assert "示例科技网" in report and "2025-09-12" in report and "(analysis)" in report
    sources = {s.id: s for s in curating.services.store.sources()}
    (added,) = [s for s in sources.values() if s.added_via == "link"]
    assert f"{added.passage_count} passages" in report and added.passage_count >= 2
    assert added.added_by == ADMIN and added.url == f"{pages.url}/zh-news.html"
    assert added.language == "zh" and added.author == "记者 王芳"
    version = curating.services.store.current_version()
    assert before is not None and version is not None and version.id == before.id + 1

    curating.event(mention("What is Project Stardust?", ts="5.1"), event_id="EvStardust")
    answer = curating.stub.wait_for("chat.postMessage", timeout=30)[-1]
    assert any("OpenAI 星尘计划推迟" in line for line in quoted_sources(answer))

    # corpus/ reloaded: what Slack added stays (the database is its source of truth).
    curating.services.answers.reload(triggered_by="test")
    assert added.id in {s.id for s in curating.services.store.sources()}


def test_an_english_article_and_a_shared_file(curating: RunningApp, pages: Pages) -> None:
    curating.command(f"add {pages.url}/en-blog.html report", user_id=ADMIN)
    assert "Project Nebula" in report_of(curating)
    (nebula,) = [s for s in curating.services.store.sources() if s.added_via == "link"]
    assert nebula.language == "en" and nebula.published is not None
    assert (nebula.kind, nebula.tier) == ("report", "report")  # as the admin said

    text = "# 星尘计划笔记\n\n" + "\n\n".join(STARDUST) + "\n"
    curating.stub.files["/files/F9"] = text.encode()
    curating.stub.extra["files.info"] = {
        "ok": True,
        "file": {
            "id": "F9",
            "name": "stardust-notes.md",
            "size": len(text.encode()),
            "url_private_download": f"{curating.stub.url}/files/F9",
        },
    }
    shared = {
        "type": "message",
        "subtype": "file_share",
        "channel": "D5",
        "channel_type": "im",
        "user": ADMIN,
        "text": "",
        "ts": "9.1",
        "files": [{"id": "F9", "name": "stardust-notes.md"}],
    }
    curating.event(shared, event_id="EvFile")
    (said,) = curating.stub.wait_for("chat.postMessage", timeout=60)
    assert (
        said["thread_ts"] == "9.1" and "*Added*" in said["text"] and "星尘计划笔记" in said["text"]
    )
    # The bot token went to Slack's file URL, and only there.
    (request,) = curating.stub.file_requests
    assert request["Authorization"].startswith("Bearer xoxb-")
    uploaded = [s for s in curating.services.store.sources() if s.added_via == "upload"]
    assert len(uploaded) == 1 and uploaded[0].added_by == ADMIN


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing.html", "HTTP error 404"),
        ("/doc.pdf", "not a web page or text (application/pdf)"),
        ("/huge.html", "too large"),
        ("/loop", "redirects in a loop"),
        ("/login.html", "not an article"),
        ("/dup.html", "a duplicate of “OpenAI CEO大爆料"),
    ],
)
def test_each_bad_page_gets_its_reason_and_changes_nothing(
    curating: RunningApp, pages: Pages, path: str, reason: str
) -> None:
    before = curating.services.store.current_version()
    curating.command(f"add {pages.url}{path}", user_id=ADMIN)
    report = report_of(curating)
    assert report.startswith(":no_entry_sign: Not added") and reason in report, report
    assert curating.services.store.current_version() == before


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.1.2.3/gpt5.html", "private, loopback or link-local"),
        ("http://169.254.169.254/latest/meta-data/", "private, loopback or link-local"),
        ("http://[::1]:8080/", "private, loopback or link-local"),
        ("http://user:secret@example.com/", "user name or password"),
        ("file:///etc/passwd", "Give a link"),
    ],
)
def test_addresses_not_allowed_are_never_fetched(
    curating: RunningApp, pages: Pages, url: str, reason: str
) -> None:
    before = curating.services.store.current_version()
    curating.command(f"add {url}", user_id=ADMIN)
    report = report_of(curating)
    assert reason in report, report
    assert curating.services.store.current_version() == before


def test_a_name_is_judged_by_the_addresses_it_resolves_to() -> None:
    with pytest.raises(FetchRefused, match="private, loopback or link-local"):
        check_url("http://localhost:9/", frozenset())  # resolves to loopback, not listed
    check_url("http://localhost:9/", frozenset({"localhost"}))  # listed by name
    check_url("http://127.0.0.1:9/", frozenset({"127.0.0.1"}))  # listed by address


def test_only_admins_add_and_remove(curating: RunningApp, pages: Pages) -> None:
    before = curating.services.store.current_version()
    assert "only admins" in curating.command(f"add {pages.url}/zh-news.html").body
    assert "only admins" in curating.command("remove 004").body
    time.sleep(1)
    assert curating.services.store.current_version() == before
    assert curating.stub.count("response/UASKER") == 0


def test_a_removal_is_confirmed_and_followers_hear_of_it(
    curating: RunningApp, pages: Pages
) -> None:
    assert "Stardust" in curating.command("follow Stardust", channel_id="C7").body
    curating.command(f"add {pages.url}/zh-news.html", user_id=ADMIN)
    assert "*Added*" in report_of(curating)
    (digest,) = curating.stub.wait_for("chat.postMessage", timeout=30)
    assert digest["channel"] == "C7" and "星尘计划" in json.dumps(
        digest["blocks"], ensure_ascii=False
    )
    (added,) = [s for s in curating.services.store.sources() if s.added_via == "link"]

    curating.command("remove 星尘计划", user_id=ADMIN)
    prompt = curating.stub.wait_for(f"response/{ADMIN}", count=2, timeout=30)[1]
    buttons = [e for b in prompt["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["remove_source", "cancel_remove_source"]
    assert buttons[0]["value"] == added.id
    curating.action("remove_source", added.id, user_id="UASKER")  # a forwarded button
    assert "only admins" in curating.stub.wait_for("response/action-UASKER")[0]["text"]
    curating.action("remove_source", added.id, user_id=ADMIN)
    done = curating.stub.wait_for(f"response/action-{ADMIN}", timeout=60)[0]
    assert done["text"].startswith(":wastebasket: Removed")
    assert f"({added.passage_count} passages)" in done["text"]
    assert added.id not in {s.id for s in curating.services.store.sources()}
    told = curating.stub.wait_for("chat.postMessage", count=2, timeout=30)[1]
    assert told["channel"] == "C7" and "no longer quoted" in json.dumps(told["blocks"])

    curating.event(mention("What is Project Stardust?", ts="6.1"), event_id="EvGone")
    answer = curating.stub.wait_for("chat.postMessage", count=3, timeout=30)[2]
    assert not any("星尘计划推迟" in line for line in quoted_sources(answer))


def test_the_export_writes_added_sources_back_out_in_the_corpus_format(
    curating: RunningApp, pages: Pages, tmp_path: Path, sessions
) -> None:
    curating.command(f"add {pages.url}/zh-news.html", user_id=ADMIN)
    report_of(curating)
    out = tmp_path / "exported"
    (name,) = export_added(curating.services.store, out)
    assert (out / name).read_text(encoding="utf-8").startswith("---\ntitle: OpenAI 星尘计划推迟")
    assert f'["{name}"]' in (out / "sources.toml").read_text(encoding="utf-8")
    # Ingested as a corpus directory elsewhere, it gives the same passages.
    again = CorpusIngestor(sessions).ingest(out)
    assert again.added == [name]
    added = next(s for s in curating.services.store.sources() if s.id == name)
    assert again.passage_count == added.passage_count


def test_ipv6_addresses_are_judged_by_the_ipv4_they_carry() -> None:
    for private in ("::ffff:127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::", "::127.0.0.1"):
        assert not is_public(private), private
    assert not is_public("fec0::1") and not is_public("fe80::1")
    assert is_public("2606:4700:4700::1111") and is_public("64:ff9b::808:808")


def test_links_as_slack_sends_them() -> None:
    assert link_of("add <https://x.example/a?b=1&amp;c=2|x.example> report") == (
        "https://x.example/a?b=1&c=2"
    )
    assert link_of("add https://x.example/a") == "https://x.example/a"
    assert link_of("add ftp://x.example/a") is None
    with pytest.raises(FetchRefused, match="not a valid link"):
        check_url("http://x.example:99999/", frozenset())


def test_the_same_link_again_after_its_page_changed_is_refused_with_a_reason(
    curating: RunningApp, pages: Pages
) -> None:
    curating.command(f"add {pages.url}/zh-news.html", user_id=ADMIN)
    assert "*Added*" in report_of(curating)
    changed = ["今天的更新：" + p[::-1] for p in STARDUST]  # most sentences new
    pages.routes["/zh-news.html"] = (
        200,
        {},
        article("星尘计划更新", changed, "王芳", "2025-09-13"),
    )
    before = curating.services.store.current_version()
    curating.command(f"add {pages.url}/zh-news.html", user_id=ADMIN)
    report = report_of(curating, count=2)
    assert "already in the corpus" in report and "remove it first" in report
    assert curating.services.store.current_version() == before


def test_an_admins_screenshot_with_a_question_is_a_question(curating: RunningApp) -> None:
    asked = {
        "type": "message",
        "subtype": "file_share",
        "channel": "D5",
        "channel_type": "im",
        "user": ADMIN,
        "text": "Is this true? Why was Opus 3.5 not released?",
        "ts": "9.2",
        "files": [{"id": "F2", "name": "screenshot.png"}],
    }
    curating.event(asked, event_id="EvShot")
    (answer,) = curating.stub.wait_for("chat.postMessage", timeout=30)
    assert answer["thread_ts"] == "9.2" and "Opus 3.5" in json.dumps(answer["blocks"])
    assert curating.stub.count("files.info") == 0


def test_an_add_whose_index_build_fails_is_reported_as_added_with_the_failure(
    curating: RunningApp, pages: Pages, monkeypatch
) -> None:
    engine = curating.services.answers
    served = engine.snapshot.version

    def failing_build():
        raise RuntimeError("the embedder went away")

    monkeypatch.setattr(engine, "_build", failing_build)
    curating.command(f"add {pages.url}/zh-news.html", user_id=ADMIN)
    report = report_of(curating)
    assert report.startswith(":white_check_mark: *Added*")
    assert "could not be built (RuntimeError: the embedder went away)" in report
    assert engine.snapshot.version == served  # the last good index keeps answering
    assert curating.get("/healthz").json()["status"] == "degraded"


def test_a_name_that_resolves_elsewhere_when_connected_is_refused(
    pages: Pages, monkeypatch
) -> None:
    """DNS rebinding: public when checked, loopback when connected (the real page server)."""
    real = socket.getaddrinfo
    port = int(pages.url.rsplit(":", 1)[1])
    answers = iter(["93.184.216.34"])  # the check's answer; every later one is loopback

    def rebinding(host, *args, **kwargs):
        if host != "rebind.example":
            return real(host, *args, **kwargs)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with pytest.raises(FetchRefused, match="now resolves to a private"):
        fetch(f"http://rebind.example:{port}/zh-news.html")
