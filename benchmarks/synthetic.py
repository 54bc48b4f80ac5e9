"""A synthetic corpus of any size, recombined from the seed articles' own sentences.

    .venv/bin/python benchmarks/synthetic.py OUT_DIR --passages 100000

Each file is one made-up article (generated title, outlet and date) in one of the shapes the
ingest reads: Markdown with front matter, HTML, or plain text with a header line. Its
paragraphs join 2-4 sentences of the seed articles, never the same combination twice, so every
passage is unique and of the seed's length, and the lexical side sees the seed's vocabulary
at the seed's rates.
"""

from __future__ import annotations

import argparse
import html
import random
import re
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retrieval.corpus.documents import parse_document  # noqa: E402
from retrieval.corpus.passages import build_passages, sentences  # noqa: E402

PARAGRAPHS_PER_FILE = 30
ENDED = re.compile(r"[。！？!?][”」』\"]?$")
OUTLETS = ("晚点 LatePost", "量子位", "机器之心", "36氪", "AI 前线", "新智元", "极客公园")
TOPICS = ("GPT-5", "Orion", "Opus 3.5", "o3", "Strawberry", "gpt2-chatbot", "Q*", "Claude")


def seed_sentences(corpus: Path) -> list[str]:
    """Every distinct sentence of the seed corpus's passages, as the ingest cut them."""
    out: dict[str, None] = {}
    for path in sorted(corpus.glob("0*.txt")):
        doc = parse_document(path.name, path.read_text())
        for passage in build_passages(doc, path.name):
            for sentence in sentences(passage.text):
                if 15 <= len(sentence) <= 200:
                    # Each ends a sentence, so recombined ones split again where they joined
                    # (a transcript's lines have no full stops).
                    if not ENDED.search(sentence):
                        sentence += "。"
                    out.setdefault(sentence, None)
    return list(out)


def _paragraphs(rnd: random.Random, pool: list[str], count: int, seen: set) -> list[str]:
    out = []
    while len(out) < count:
        picks = tuple(rnd.sample(range(len(pool)), rnd.randint(2, 4)))
        if picks in seen:
            continue
        seen.add(picks)
        out.append("".join(pool[i] for i in picks))
    return out


def _render(shape: str, title: str, outlet: str, published: date, paragraphs: list[str]) -> str:
    if shape == "md":
        body = "\n\n".join(
            (f"## {p[:12]}\n\n{p}" if i % 10 == 0 else p) for i, p in enumerate(paragraphs)
        )
        return f'---\ntitle: "{title}"\noutlet: "{outlet}"\ndate: {published}\n---\n\n{body}\n'
    if shape == "html":
        body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        return (
            f"<html><head><title>{html.escape(title)}</title></head><body>"
            f"<h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
        )
    day = f"{published.year}年{published.month:02d}月{published.day:02d}日"
    header = f"{title}\n\n{outlet} · {day}\n\n"
    return header + "\n\n".join(paragraphs) + "\n"


def generate(out: Path, passages: int, seed: int = 0, corpus: Path = ROOT / "corpus") -> int:
    """Write about `passages` passages' worth of files into `out`; returns the files written."""
    rnd = random.Random(seed)
    pool = seed_sentences(corpus)
    out.mkdir(parents=True, exist_ok=True)
    seen: set = set()
    files = max(1, round(passages / PARAGRAPHS_PER_FILE))
    for number in range(files):
        shape = ("md", "html", "txt")[number % 3]
        topic = rnd.choice(TOPICS)
        title = f"{topic} 传闻追踪 第{number + 1}期:{rnd.choice(pool)[:16]}"
        published = date(2023, 1, 1) + timedelta(days=rnd.randrange(0, 1000))
        text = _render(
            shape,
            title,
            rnd.choice(OUTLETS),
            published,
            _paragraphs(rnd, pool, PARAGRAPHS_PER_FILE, seen),
        )
        (out / f"syn{number:06d}.{shape}").write_text(text)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    files = generate(args.out, args.passages, args.seed)
    print(f"{files} files written to {args.out}")


if __name__ == "__main__":
    main()
