"""Pictures: a topic's timeline drawn as a PNG, one row per source, a dot per dated passage
coloured by how the source knows, labelled with what it said in checked English.

Drawn with matplotlib's object API (no pyplot, no display, safe in the listener pool). Its
fonts have no Chinese glyphs, so everything drawn is Latin: a source's Chinese name is
romanised, and a passage without checked English is labelled by its source's name rather
than by a translation nobody checked.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections import defaultdict
from datetime import timedelta

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num, num2date
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from retrieval.answers.timeline import TimelineEntry
from retrieval.text.romanize import latin_name
from retrieval.text.tokens import has_cjk

# From the most to the least direct knowledge; colour-blind-safe (Okabe–Ito).
TIER_COLOURS = {
    "on-record": "#009E73",
    "report": "#0072B2",
    "analysis": "#E69F00",
    "retelling": "#CC79A7",
    "comment": "#999999",
}
_URL = re.compile(r"https?://\S+")
LABEL_CHARS = 46  # per line of a dot's label
LABEL_LINES = 3
PHRASES_PER_DOT = 2
DPI = 110


def short_name(entry: TimelineEntry) -> str:
    """The source's name as the chart can draw it: its outlet (else title), in Latin letters."""
    name = latin_name(entry.outlet or entry.title) or entry.source_file
    return textwrap.shorten(name, 28, placeholder="…")


def _wrapped(text: str) -> str:
    return "\n".join(textwrap.wrap(text, LABEL_CHARS, max_lines=LABEL_LINES, placeholder=" …"))


def dot_label(said: list[TimelineEntry]) -> str:
    """What a dot says: its passages' checked English (two at most), else that there is none
    yet; never a translation that failed the guard."""
    english = [e.english for e in said if e.english and not has_cjk(e.english)]
    # A link in a label is noise: the list beside the picture has it.
    lines = [_wrapped(f"“{_URL.sub('(link)', text)}”") for text in english[:PHRASES_PER_DOT]]
    if not lines:
        return "(no checked English yet: see the list)"
    if len(said) > len(lines):
        lines.append(f"+{len(said) - len(lines)} more passage(s), in the list")
    return "\n".join(lines)


def _when(entry: TimelineEntry) -> str:
    return entry.published.isoformat() if entry.published else "undated"


def _count(said: list[TimelineEntry]) -> str:
    return f" · {len(said)} passages" if len(said) > 1 else ""


def timeline_png(topic: str, entries: list[TimelineEntry]) -> bytes | None:
    """The timeline of `entries` as a PNG (undated sources in a lane of their own at the
    right); None when none of them is dated."""
    dated = sorted(
        ((e.published, e) for e in entries if e.published), key=lambda d: (d[0], d[1].source_file)
    )
    if not dated:
        return None
    first, last = dated[0][0], dated[-1][0]
    pad = max((last - first) * 0.08, timedelta(days=45))
    left, right = date2num(first - pad), date2num(last + pad)
    undated_x = right + (right - left) * 0.08  # the lane of undated passages
    # Rows: sources, the earliest at the top, undated ones last; dots: one per source and date.
    rows: dict[str, dict[float, list[TimelineEntry]]] = defaultdict(lambda: defaultdict(list))
    for when, entry in dated:
        rows[entry.source_file][date2num(when)].append(entry)
    for entry in entries:
        if entry.published is None:
            rows[entry.source_file][undated_x].append(entry)
    order = list(rows)
    labels = {
        (source, x): f"{_when(said[0])}{_count(said)}\n{dot_label(said)}"
        for source, dots in rows.items()
        for x, said in dots.items()
    }
    row_inches = max(0.9, 0.3 + 0.16 * max(label.count("\n") + 1 for label in labels.values()))
    figure = Figure(figsize=(12, 1.3 + row_inches * len(order)), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    middle = left + (right - left) * 0.55
    for y, source in enumerate(order):
        for x, said in rows[source].items():
            colour = TIER_COLOURS.get(said[0].tier, TIER_COLOURS["comment"])
            axes.scatter([x], [y], s=140, color=colour, edgecolor="white", zorder=3)
            # Labels run away from the nearer edge so they stay inside the picture.
            to_left = x > middle
            axes.annotate(
                labels[source, x],
                (x, y),
                xytext=(-12 if to_left else 12, 0),
                textcoords="offset points",
                ha="right" if to_left else "left",
                va="center",
                fontsize=8.5,
                linespacing=1.15,
                color="#222222",
                parse_math=False,  # "$6.6 billion" is money, not mathtext
            )
    firsts = [next(iter(rows[s].values()))[0] for s in order]
    names = [f"{short_name(e)}\n({e.tier})" for e in firsts]
    axes.set_yticks(range(len(order)), names, fontsize=10, parse_math=False)
    axes.set_ylim(len(order) - 0.4, -0.6)  # the earliest source on top
    locator = AutoDateLocator(minticks=3, maxticks=8)
    ticks = [t for t in locator.tick_values(num2date(left), num2date(right)) if left <= t <= right]
    tick_labels = ConciseDateFormatter(locator).format_ticks(ticks)
    if undated_x in {x for dots in rows.values() for x in dots}:
        axes.axvline(right, color="#bbbbbb", linestyle="--", linewidth=1, zorder=1)
        ticks, tick_labels = [*ticks, undated_x], [*tick_labels, "undated"]
        axes.set_xlim(left, undated_x + (right - left) * 0.04)
    else:
        axes.set_xlim(left, right)
    axes.set_xticks(ticks, tick_labels)
    axes.grid(axis="x", color="#e5e5e5", zorder=0)
    axes.grid(axis="y", color="#f2f2f2", zorder=0)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.tick_params(axis="y", length=0)
    title = textwrap.shorten(latin_name(topic), 60, placeholder="…")
    axes.set_title(
        f"Timeline: {title} — what each source said, and when",
        loc="left",
        parse_math=False,
        fontsize=13,
        fontweight="bold",
    )
    tiers = [t for t in TIER_COLOURS if any(e.tier == t for e in entries)]
    legend = [
        Line2D([], [], marker="o", linestyle="", markersize=9, color=TIER_COLOURS[t], label=t)
        for t in tiers
    ]
    axes.legend(
        handles=legend,
        title="How the source knows",
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncol=len(legend),
        frameon=False,
        fontsize=9,
        title_fontsize=9,
    )
    footnote = (
        "English: machine translation, shown only where it passed rumorbot's check."
        " Dates are the sources' publication dates."
    )
    axes.set_xlabel(footnote, loc="left", fontsize=8, color="#666666", labelpad=10)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()
