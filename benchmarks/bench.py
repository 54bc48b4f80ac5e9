"""Speed, memory and quality figures for docs/performance.md.

    .venv/bin/python benchmarks/bench.py [--embedder gemma|e5] [--model-dir data/models]
        [--skip-100k]

Prints: quality on the development and hold-out question sets; warm query latency (p50/p95/p99);
index build and reload times; cold start to first answer; peak RSS; and query latency on a
synthetic corpus of 100k passages for each FAISS index type considered.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retrieval.answers.engine import AnswerEngine  # noqa: E402
from retrieval.answers.evaluation import evaluate, load_questions  # noqa: E402
from retrieval.corpus.ingest import CorpusIngestor  # noqa: E402
from retrieval.corpus.store import CorpusStore  # noqa: E402
from retrieval.db.session import make_engine, session_factory, upgrade  # noqa: E402
from retrieval.embedding.calibration import calibration_for  # noqa: E402
from retrieval.embedding.loading import load_embedder  # noqa: E402
from retrieval.index import EmbeddingCache, IndexPublisher  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
HOLDOUT = ROOT / "benchmarks" / "holdout.jsonl"


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def row(name: str, value: str) -> None:
    print(f"| {name} | {value} |", flush=True)


def build_engine(data: Path, corpus: Path, embedder, name: str) -> AnswerEngine:
    engine = make_engine(f"sqlite:///{data / 'rumorbot.sqlite3'}")
    upgrade(engine)
    sessions = session_factory(engine)
    store = CorpusStore(sessions)
    publisher = IndexPublisher(data / "indexes" / name, store, EmbeddingCache(sessions))
    return AnswerEngine(
        store,
        CorpusIngestor(sessions),
        publisher,
        embedder,
        corpus,
        calibration=calibration_for(name),
    )


def corpus_figures(model_dir: Path, name: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="rumorbot-bench-"))
    corpus = work / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    try:
        started = time.perf_counter()
        embedder = load_embedder(name, model_dir)
        row(f"{name}: model load (converted)", f"{time.perf_counter() - started:.1f} s")

        engine = build_engine(work, corpus, embedder, name)
        started = time.perf_counter()
        engine.ingestor.ingest(corpus)
        row("ingest, 5 files", f"{(time.perf_counter() - started) * 1000:.0f} ms")
        build = engine.publisher.build(embedder)
        row(
            f"index build, empty embedding cache ({build.manifest.passage_count} passages)",
            f"{build.duration_s:.1f} s ({build.embedded / build.duration_s:.0f} passages/s)",
        )
        build = engine.publisher.build(embedder)
        row("index build, all embeddings cached", f"{build.duration_s * 1000:.0f} ms")
        engine.start()

        report = engine.reload(triggered_by="bench")
        row("reload, unchanged corpus", f"{report.duration_s * 1000:.0f} ms")
        target = next(corpus.glob("003_*.txt"))
        target.write_text(
            target.read_text().replace(
                "<p>这就进一步点燃了我们对GPT-5的狂热期待。</p>",
                "<p>这就进一步点燃了所有人对GPT-5的期待。</p>",
            )
        )
        report = engine.reload(triggered_by="bench")
        row(
            "reload, one file changed",
            f"{report.duration_s * 1000:.0f} ms ({report.build.embedded} passage re-embedded)",
        )

        for label, path in (("dev", DEV), ("hold-out", HOLDOUT)):
            if not path.exists():
                continue
            m = evaluate(load_questions(path), engine.ask).metrics()
            row(
                f"quality, {label} ({m['answerable']} answerable, {m['unanswerable']} not)",
                f"R@1 {m['R@1']:.2f} · R@3 {m['R@3']:.2f} · R@5 {m['R@5']:.2f} · MRR {m['MRR']:.2f}"
                f" · unanswerable low/none {m['unanswerable_labelled_low_or_none']}"
                f"/{m['unanswerable']} · overconfident {m['overconfident']}",
            )

        questions = [q.question for p in (DEV, HOLDOUT) if p.exists() for q in load_questions(p)]
        for q in questions[:5]:
            engine.ask(q)
        latencies = []
        for _ in range(5):
            for q in questions:
                started = time.perf_counter()
                engine.ask(q)
                latencies.append((time.perf_counter() - started) * 1000)
        row(
            f"warm query latency ({len(latencies)} queries)",
            f"p50 {percentile(latencies, 50):.1f} ms · p95 {percentile(latencies, 95):.1f} ms"
            f" · p99 {percentile(latencies, 99):.1f} ms",
        )
        row("peak RSS of this process (model + index + queries)", f"{peak_rss_mb():.0f} MB")

        env = {
            **os.environ,
            "RUMORBOT_DATA_DIR": str(work),
            "RUMORBOT_CORPUS_DIR": str(corpus),
            "RUMORBOT_EMBEDDER": name,
        }
        (work / "models").symlink_to(model_dir.resolve())
        starts = []
        for _ in range(3):
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "bot", "ask", "Why was Opus 3.5 not released?"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode:
                raise SystemExit(f"cold start failed:\n{done.stderr[-2000:]}")
            starts.append(time.perf_counter() - started)
        row(
            "cold start to first answer (new process, median of 3)",
            f"{statistics.median(starts):.1f} s",
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _set_ef(index, ef: int) -> None:
    index.hnsw.efSearch = ef


def _set_nprobe(index, nprobe: int) -> None:
    index.nprobe = nprobe


def synthetic_figures(n: int = 100_000, dim: int = 384, queries: int = 200) -> None:
    import faiss

    from retrieval.index.bm25 import BM25Index
    from retrieval.text.tokens import tokenize

    rng = np.random.default_rng(0)
    # Clustered unit vectors: real embeddings are far from uniform.
    centres = rng.standard_normal((2000, dim)).astype(np.float32)
    vectors = centres[rng.integers(0, 2000, n)] + 0.6 * rng.standard_normal((n, dim)).astype(
        np.float32
    )
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    probes = vectors[rng.integers(0, n, queries)] + 0.3 * rng.standard_normal(
        (queries, dim)
    ).astype(np.float32)
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)

    flat = faiss.IndexFlatIP(dim)
    started = time.perf_counter()
    flat.add(vectors)
    flat_build = time.perf_counter() - started
    _, truth = flat.search(probes, 10)
    candidates: dict[str, tuple[faiss.Index, float, Callable[[faiss.Index], None]]] = {}
    candidates["flat"] = (flat, flat_build, lambda index: None)
    hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 80
    started = time.perf_counter()
    hnsw.add(vectors)
    hnsw_build = time.perf_counter() - started
    for ef in (128, 512):
        candidates[f"hnsw32 efSearch={ef}"] = (hnsw, hnsw_build, partial(_set_ef, ef=ef))
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFFlat(quantizer, dim, 1024, faiss.METRIC_INNER_PRODUCT)
    started = time.perf_counter()
    ivf.train(vectors[rng.choice(n, 50_000, replace=False)])
    ivf.add(vectors)
    ivf_build = time.perf_counter() - started
    for nprobe in (16, 64):
        candidates[f"ivf1024 nprobe={nprobe}"] = (
            ivf,
            ivf_build,
            partial(_set_nprobe, nprobe=nprobe),
        )
    for name, (index, build_s, configure) in candidates.items():
        configure(index)
        times = []
        found = []
        for q in probes:
            started = time.perf_counter()
            _, ids = index.search(q[None, :], 100)
            times.append((time.perf_counter() - started) * 1000)
            found.append(ids[0][:10])
        recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
        row(
            f"100k passages, dense top-100, {name}",
            f"build {build_s:.1f} s · p50 {percentile(times, 50):.2f} ms · p99"
            f" {percentile(times, 99):.2f} ms · recall@10 {recall:.3f}",
        )

    # The lexical side at the same scale: real tokenizer, texts recombined from the corpus.
    sentences = [
        line.strip()
        for path in (ROOT / "corpus").glob("0*.txt")
        for line in path.read_text().splitlines()
        if 20 < len(line.strip()) < 200
    ]
    rnd = random.Random(0)
    texts = [" ".join(rnd.sample(sentences, 2)) + f" 编号{i}" for i in range(n)]
    started = time.perf_counter()
    bm25 = BM25Index.from_texts(texts)
    build_s = time.perf_counter() - started
    times = []
    for q in [
        "Opus 3.5 为什么没有发布",
        "Orion 失败 预训练",
        "gpt2-chatbot LM Arena",
        "通用验证器",
    ] * 25:
        tokens = tokenize(q)
        started = time.perf_counter()
        scores = bm25.scores(tokens)
        np.argpartition(-scores, 100)[:100]
        times.append((time.perf_counter() - started) * 1000)
    row(
        "100k passages, BM25 scoring + top-100",
        f"build {build_s:.0f} s · p50 {percentile(times, 50):.1f} ms"
        f" · p99 {percentile(times, 99):.1f} ms",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embedder", default="gemma", choices=("gemma", "e5"))
    parser.add_argument("--model-dir", type=Path, default=ROOT / "data" / "models")
    parser.add_argument("--skip-100k", action="store_true")
    args = parser.parse_args()
    print("| figure | value |\n|---|---|")
    corpus_figures(args.model_dir, args.embedder)
    if not args.skip_100k:
        synthetic_figures()


if __name__ == "__main__":
    main()
