"""Modals: what a 👎 opens."""

from __future__ import annotations

from bot.blocks.base import Block
from bot.store.answers import FEEDBACK_REASONS, MAX_COMMENT_CHARS

FEEDBACK_CALLBACK = "feedback_reason"


def feedback_modal(answer_id: int) -> Block:
    """What a 👎 opens: what was wrong (one choice) and an optional comment."""
    options = [
        {"text": {"type": "plain_text", "text": label}, "value": key}
        for key, label in FEEDBACK_REASONS.items()
    ]
    return {
        "type": "modal",
        "callback_id": FEEDBACK_CALLBACK,
        "private_metadata": str(answer_id),
        "title": {"type": "plain_text", "text": "What was wrong?"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Skip"},
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "The answer's problem"},
                "element": {"type": "radio_buttons", "action_id": "reason", "options": options},
            },
            {
                "type": "input",
                "block_id": "comment",
                "optional": True,
                "label": {"type": "plain_text", "text": "Anything to add? (optional)"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "comment",
                    "multiline": True,
                    "max_length": MAX_COMMENT_CHARS,
                },
            },
        ],
    }
