"""An answer as Slack shows it (label and reason, quotes, citations, buttons), its notification
text, and the reply that tells an asker their answer was corrected."""

from __future__ import annotations

from bot.blocks.base import (
    LABEL_BADGE,
    MAX_BLOCKS,
    Block,
    context,
    section,
)
from bot.blocks.quotes import MT_NOTE, citation, quote_block
from bot.text import escape_mrkdwn, truncate
from retrieval.answers.answer import SHOWN_QUOTES, citation_numbers
from retrieval.answers.payload import AnswerJSON, PassageJSON
from retrieval.changes.recheck import Revision
from retrieval.text.tokens import has_cjk


def wants_english(answer: AnswerJSON) -> bool:
    """English under the quotes for a question in any language but Chinese."""
    return not has_cjk(answer.get("question", ""))


def as_of_text(answer: AnswerJSON) -> str:
    if answer.get("as_of"):
        return f"as of {answer['as_of']}"
    return "the quoted sources are undated" if answer["passages"] else "nothing quoted"


def shown_passages(answer: AnswerJSON) -> list[PassageJSON]:
    """The quotes shown, best first."""
    return answer["passages"][:SHOWN_QUOTES]


def citation_numbers_of(passages: list[PassageJSON]) -> list[int]:
    """Each passage's citation number: as stored with the answer, or (answers logged before
    numbers were stored) numbered here, one per source in order of first quote."""
    numbers = citation_numbers(p["source_file"] for p in passages)
    return [p.get("citation") or numbers[p["source_file"]] for p in passages]


def answer_blocks(
    answer: AnswerJSON,
    answer_id: int | None = None,
    shareable: bool = False,
    english: bool | None = None,
) -> list[Block]:
    """The answer as Block Kit. `english`: show the renderings under the quotes (default: for
    questions not asked in Chinese); a Chinese answer offers a button to show them."""
    show_english = wants_english(answer) if english is None else english
    translations_on = answer.get("translations") == "on"
    question = escape_mrkdwn(truncate(answer["question"], 300))
    badge = LABEL_BADGE.get(answer["confidence"], answer["confidence"])
    blocks: list[Block] = [
        section(f"{badge} — {escape_mrkdwn(answer['reason'])}\n*Q:* {question}"),
    ]
    if checked_message := answer.get("checked"):
        # A checked message: what was checked first, so the thread reads as a verdict on it.
        checked = f":mag: Checking: “{escape_mrkdwn(checked_message)}”"
        if checked_sentence := answer.get("checked_sentence"):
            sentence = escape_mrkdwn(truncate(checked_sentence, 200))
            checked += f"\nChecked by its sentence that best matches the sources: “{sentence}”"
        blocks.insert(0, context(checked))
    if receipt := answer.get("receipt"):
        # Kept with the answer, so a language toggle or a share shows it too.
        blocks.insert(0, context(f":arrows_counterclockwise: {escape_mrkdwn(receipt)}"))
    if thread_topic := answer.get("context"):
        topic = escape_mrkdwn(truncate(thread_topic, 100))
        blocks.append(context(f":thread: Taking “{topic}” from earlier in this thread"))
    if newest := answer.get("newest"):
        blocks.append(context(f":calendar: {escape_mrkdwn(newest)}"))
    passages = shown_passages(answer)
    if not passages:
        blocks.append(
            section(
                "No passage in the corpus answers this. Try `/rumor sources` to see what it covers."
            )
        )
    numbers = citation_numbers_of(passages)
    for number, passage in zip(numbers, passages, strict=True):
        blocks.append(
            quote_block(
                passage, number=number, english=show_english, translations_on=translations_on
            )
        )
    if passages:
        blocks.append({"type": "divider"})
        # One line per source: its first quote's passage stands for it.
        sources = dict(reversed(list(zip(numbers, passages, strict=True))))
        blocks.append(context("\n".join(citation(n, p) for n, p in sorted(sources.items()))))
    span = answer.get("span_note")
    note = f" · {escape_mrkdwn(span)}" if span else ""
    has_english = any(p.get("english") for p in passages)
    mt = f" · {MT_NOTE}" if show_english and has_english else ""
    blocks.append(
        context(f"Corpus version {answer.get('corpus_version')} · {as_of_text(answer)}{note}{mt}")
    )
    if answer_id is not None:
        elements: list[Block] = []
        if shareable:
            elements.insert(0, _button("Share in channel", "share_answer", answer_id, "primary"))
        if has_english:
            # Asked in Chinese: English on request; asked otherwise: a way to Chinese only.
            if show_english:
                elements.append(_button("中文 only", "show_chinese", answer_id))
            else:
                elements.append(_button("Show in English", "show_english", answer_id))
        if elements:
            blocks.append(
                {"type": "actions", "block_id": f"answer:{answer_id}", "elements": elements}
            )
        blocks.append(feedback_block(answer_id))
    return blocks[:MAX_BLOCKS]


FEEDBACK_ACTION = "answer_feedback"


def feedback_block(answer_id: int) -> Block:
    """Slack's own 👍/👎 for AI answers; the pressed button's value names the answer."""
    return {
        "type": "context_actions",
        "block_id": f"feedback:{answer_id}",
        "elements": [
            {
                "type": "feedback_buttons",
                "action_id": FEEDBACK_ACTION,
                "positive_button": _feedback_button("Helpful", f"up:{answer_id}"),
                "negative_button": _feedback_button("Not helpful", f"down:{answer_id}"),
            }
        ],
    }


def _feedback_button(label: str, value: str) -> Block:
    return {
        "text": {"type": "plain_text", "text": label},
        "accessibility_label": f"This answer was {label.lower()}",
        "value": value,
    }


def _button(label: str, action_id: str, answer_id: int, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_id": action_id,
        "value": str(answer_id),
    }
    if style:
        button["style"] = style
    return button


def answer_fallback(answer: AnswerJSON) -> str:
    """Notification text: plain, short, escaped."""
    return escape_mrkdwn(f"{answer['confidence']} confidence: {answer['reason']}")


def correction_reply(user_id: str, question: str, revision: Revision) -> str:
    """The one reply in an answer's thread that tells its asker the answer changed."""
    if revision.label_changed:
        what = revision.labels
    else:
        what = "new sources" if revision.new else "quoted passages changed"
    asked = escape_mrkdwn(truncate(question, 150))
    return f"<@{user_id}> the sources changed, so I updated my answer to “{asked}” above ({what})."
