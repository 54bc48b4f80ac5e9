"""Untrusted text: cleaning what users send, escaping what goes into Slack mrkdwn."""

from __future__ import annotations

import re

MAX_QUESTION_CHARS = 2000
# C0/C1 controls except tab and newline, and lone surrogates.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: str, limit: int = MAX_QUESTION_CHARS) -> str:
    """Remove control characters and lone surrogates; collapse whitespace; cut to `limit`."""
    text = _UNSAFE.sub("", text)
    text = re.sub(r"[ \t]+", " ", text).strip()
    return text[:limit]
