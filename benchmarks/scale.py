"""How rumorbot grows with its corpus: reload, cold start, query latency and memory.

    .venv/bin/python benchmarks/scale.py [--sizes 1x,10x,100x,100000] [--model-dir data/models]

For each size: the seed corpus plus synthetic articles recombined from its sentences
(`benchmarks/synthetic.py`) up to that many passages, in a SQLite database of its own (the
embedded default), English renderings off. Prints one table row per size:
- one-file reload: one synthetic article edited, `/rumor reload`'s path (ingest, build from
  the last build, swap) in the serving process;
- cold start: `rumorbot serve` started until /healthz says 200 (index already built);
- query p50 / p95: every dev and hold-out question three times after one round to warm up,
  `AnswerEngine.ask` as the Slack app calls it, in that serving process;
- serving RSS after the queries, and the peak during the reload.

Beyond the seed's own passages, embeddings are pre-seeded, not computed: each synthetic
passage's vector is the normalised mean of its sentences' real e5 vectors (computing 100k
would take two hours here), but for the few in the middle that a build's validation embeds
for real. The first full build (tokenising and indexing everything) is
timed and printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sets import SETS  # noqa: E402
from synthetic import generate  # noqa: E402

SEED_PASSAGES = 133


def _rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _settings(work: Path, model_dir: Path):
    from bot.settings import Settings

    return Settings(
        data_dir=work / "data",
        corpus_dir=work / "corpus",
        translator="off",
        model_dir_override=model_dir,
        recheck=False,
    )


def _env(work: Path, model_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "RUMORBOT_DATA_DIR": str(work / "data"),
        "RUMORBOT_CORPUS_DIR": str(work / "corpus"),
        "RUMORBOT_MODEL_DIR": str(model_dir),
        "RUMORBOT_TRANSLATOR": "off",
        "RUMORBOT_RECHECK": "false",
    }


def seed_embeddings(services, synthetic_prefix: str = "syn") -> int:
    """Store a vector for every synthetic passage: the mean of its sentences' e5 vectors."""
    from sqlalchemy import insert

    from retrieval.corpus.passages import sentences
    from retrieval.db.tables import Embedding

    embedder = services.answers.embedder
    _, _, passages = services.store.snapshot()
    # The build checks that the passage in the middle is found by its own text's embedding:
    # the passages around it get their real vectors.
    middle = len(passages) // 2
    real = {p.content_hash: p.text for p in passages[middle - 3 : middle + 4]}
    synthetic = [p for p in passages if p.source_id.startswith(synthetic_prefix)]
    parts = {p.content_hash: sentences(p.text) or [p.text] for p in synthetic}
    distinct = sorted({s for ss in parts.values() for s in ss})
    vectors = dict(zip(distinct, embedder.embed_passages(distinct), strict=True))
    vectors.update(zip(real.values(), embedder.embed_passages(list(real.values())), strict=True))
    rows = []
    for content_hash, ss in parts.items():
        if content_hash in real:
            ss = [real[content_hash]]
        v = np.mean([vectors[s] for s in ss], axis=0)
        v /= np.linalg.norm(v)
        rows.append(
            {
                "content_hash": content_hash,
                "model_id": embedder.model_id,
                "dim": embedder.dim,
                "vector": v.astype("<f4").tobytes(),
            }
        )
    with services.sessions.begin() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(Embedding), rows[start : start + 5000])
    print(f"  {len(rows)} vectors pre-seeded from {len(distinct)} sentences", file=sys.stderr)
    return len(rows)


def prepare(work: Path, passages: int, model_dir: Path) -> dict:
    """Corpus, database, embeddings and a first (full) build for one size."""
    from bot.services import build_services

    shutil.copytree(ROOT / "corpus", work / "corpus")
    if passages > SEED_PASSAGES:
        generate(work / "corpus", passages - SEED_PASSAGES)
    services = build_services(_settings(work, model_dir))
    started = time.perf_counter()
    report = services.ingestor.ingest(work / "corpus", triggered_by="benchmark")
    ingest_s = time.perf_counter() - started
    seeded = seed_embeddings(services)
    started = time.perf_counter()
    services.answers.start(triggered_by="benchmark")
    return {
        "passages": report.passage_count,
        "files": report.source_count,
        "first ingest s": round(ingest_s, 1),
        "pre-seeded embeddings": seeded,
        "full build s": round(time.perf_counter() - started, 1),
    }


def cold_start(work: Path, model_dir: Path, port: int) -> tuple[float, float]:
    """Seconds from `rumorbot serve` to /healthz 200, and the server's RSS then (MB)."""
    env = {
        **_env(work, model_dir),
        "SLACK_BOT_TOKEN": "xoxb-benchmark",
        "SLACK_SIGNING_SECRET": "benchmark",
        "SLACK_API_BASE_URL": "http://127.0.0.1:9/api/",  # nothing listens: no Slack calls
        "PORT": str(port),
    }
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            if server.poll() is not None:
                raise RuntimeError("rumorbot serve exited before it was healthy")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break  # 200; a 503 raises
            except OSError:
                time.sleep(0.1)
        elapsed = time.perf_counter() - started
        status = Path(f"/proc/{server.pid}/status").read_text()
        rss = next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS:"))
        return elapsed, rss / 1024
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def serve_phase(work: Path, model_dir: Path, rounds: int) -> dict:
    """Run in a fresh process: start as the server does, answer, then reload one file."""
    from bot.services import build_services
    from retrieval.answers.evaluation import load_questions

    services = build_services(_settings(work, model_dir))
    engine = services.answers
    engine.start(triggered_by="benchmark")
    questions = [q.question for path in SETS.values() for q in load_questions(path)]
    for q in questions:  # warm: each quoted passage's units are embedded once per process
        engine.ask(q)
    latencies, embed = [], []
    for _ in range(rounds):
        for q in questions:
            started = time.perf_counter()
            answer = engine.ask(q)
            latencies.append((time.perf_counter() - started) * 1000)
            embed.append(answer.timings_ms.get("embed", float("nan")))
    serving_rss = _rss_mb()
    dense_ms = _dense_search_ms(engine, questions)
    # Peak RSS from here on: the reload's own.
    Path("/proc/self/clear_refs").write_text("5")
    target = sorted((work / "corpus").glob("syn*")) or sorted((work / "corpus").glob("0*.txt"))
    path = target[len(target) // 2]
    text = path.read_text()
    marker = "。" if "。" in text else "."
    path.write_text(text.replace(marker, "!" + marker, 1))
    started = time.perf_counter()
    report = engine.reload(triggered_by="benchmark")
    reload_s = time.perf_counter() - started
    return {
        "query p50 ms": round(statistics.median(latencies), 1),
        "query p95 ms": round(float(np.percentile(latencies, 95)), 1),
        "embed p50 ms": round(statistics.median(embed), 1),
        **dense_ms,
        "queries": len(latencies),
        "serving RSS MB": round(serving_rss),
        "reload s": round(reload_s, 2),
        "reload peak RSS MB": round(_rss_mb("VmHWM")),
        "reload embedded": report.build.embedded if report.build else 0,
        "reload tokenised": report.build.tokenised if report.build else 0,
        "reload rebuilt dense": report.build.rebuilt_dense if report.build else False,
    }


def _dense_search_ms(engine, questions: list[str]) -> dict[str, float]:
    """The dense top-100 right after each question's embedding, as a query runs, on one FAISS
    thread (as served) and on every core (FAISS's default): p50 in ms."""
    import faiss

    snapshot = engine.snapshot
    out = {}
    for threads in (1, os.cpu_count() or 1):
        faiss.omp_set_num_threads(threads)
        times = []
        for question in questions:
            vector = engine.embedder.embed_queries([question])[0]
            started = time.perf_counter()
            snapshot.dense.search(vector, 100)
            times.append((time.perf_counter() - started) * 1000)
        out[f"dense search p50 ms, {threads} thread(s)"] = round(statistics.median(times), 2)
    faiss.omp_set_num_threads(1)
    return out


def million_figures(n: int = 1_000_000, dim: int = 384, tokens: int = 150) -> None:
    """What can be measured of 1M passages without embedding them: the lexical index built
    from cached token ids (Zipf-distributed over a 300k vocabulary, 150 tokens a passage,
    the seed's rate) and an exact dense search over 1M vectors."""
    import faiss

    from retrieval.index.bm25 import BM25Index

    rng = np.random.default_rng(0)
    vocab = [f"t{i}" for i in range(300_000)]
    docs = []
    for _ in range(n):  # each passage's bag of words, as the term cache holds it
        ids, counts = np.unique(rng.zipf(1.3, size=tokens) % len(vocab), return_counts=True)
        docs.append((ids.astype(np.int32), counts.astype(np.int32)))
    before = _rss_mb()
    started = time.perf_counter()
    lexical = BM25Index.from_counts(docs, vocab)
    print(
        f"1M passages: BM25 built from cached token ids in {time.perf_counter() - started:.1f} s,"
        f" peak +{_rss_mb('VmHWM') - before:.0f} MB;"
        f" score matrix {lexical.model.scores['data'].nbytes * 2 / 2**20:.0f} MB"
    )
    del docs, lexical
    vectors = rng.standard_normal((n, dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = faiss.IndexFlatIP(dim)
    index.add(vectors)
    times = []
    for q in vectors[:50]:
        started = time.perf_counter()
        index.search(q[None, :], 100)
        times.append((time.perf_counter() - started) * 1000)
    print(
        f"1M passages: exact dense top-100 p50 {statistics.median(times):.0f} ms (one thread);"
        f" vectors {vectors.nbytes / 2**20:.0f} MB"
    )


def _size(text: str) -> int:
    return SEED_PASSAGES * int(text[:-1]) if text.endswith("x") else int(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1x,10x,100x,100000")
    parser.add_argument("--model-dir", type=Path, default=ROOT / "data" / "models")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the work folders")
    parser.add_argument("--million", action="store_true", help="only the 1M-passage figures")
    parser.add_argument("--serve-phase", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    model_dir = args.model_dir.resolve()
    if args.million:
        million_figures()
        return
    if args.serve_phase:
        print(json.dumps(serve_phase(args.serve_phase, model_dir, args.rounds)))
        return
    from retrieval.embedding.e5_convert import ensure_converted

    ensure_converted(model_dir)
    print(
        "| passages | one-file reload | cold start (serve → healthy) | query p50 / p95"
        " | RSS serving (peak in reload) | first full build |"
    )
    print("|---|---|---|---|---|---|")
    for number, size in enumerate(args.sizes.split(",")):
        work = Path(tempfile.mkdtemp(prefix=f"rumorbot-scale-{size}-"))
        try:
            built = prepare(work, _size(size), model_dir)
            phase = ["--serve-phase", str(work), "--model-dir", str(model_dir)]
            served = json.loads(
                subprocess.run(
                    [sys.executable, __file__, *phase, "--rounds", str(args.rounds)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.splitlines()[-1]
            )
            starts = [cold_start(work, model_dir, 3900 + number * 10 + i) for i in range(3)]
            start_s = statistics.median(s for s, _ in starts)
            print(
                f"| {built['passages']:,} | {served['reload s']:.1f} s"
                f" | {start_s:.1f} s"
                f" | {served['query p50 ms']:.0f} / {served['query p95 ms']:.0f} ms"
                f" | {served['serving RSS MB'] / 1024:.2f} GB"
                f" ({served['reload peak RSS MB'] / 1024:.2f} GB)"
                f" | {built['full build s']:.0f} s |",
                flush=True,
            )
            print(f"  {json.dumps({**built, **served})}", file=sys.stderr, flush=True)
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
