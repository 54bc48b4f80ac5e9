"""Block Kit rendering, one module per surface; every untrusted string is escaped here."""

from bot.blocks.answers import (
    FEEDBACK_ACTION,
    answer_blocks,
    answer_fallback,
    as_of_text,
    correction_reply,
)
from bot.blocks.base import context
from bot.blocks.digests import digest_blocks, digest_fallback
from bot.blocks.home import home_blocks
from bot.blocks.listings import (
    CANCEL_REMOVE_ACTION,
    REMOVE_ACTION,
    added_text,
    following_text,
    gaps_text,
    help_blocks,
    reload_report_text,
    remove_prompt,
    sources_blocks,
    stats_text,
    timeline_blocks,
    usage_hint,
)
from bot.blocks.modals import FEEDBACK_CALLBACK, feedback_modal
from bot.blocks.quotes import MT_NOTE, PENDING_NOTE, UNCHECKED_NOTE

__all__ = [
    "CANCEL_REMOVE_ACTION",
    "FEEDBACK_ACTION",
    "FEEDBACK_CALLBACK",
    "MT_NOTE",
    "PENDING_NOTE",
    "REMOVE_ACTION",
    "UNCHECKED_NOTE",
    "added_text",
    "answer_blocks",
    "answer_fallback",
    "as_of_text",
    "context",
    "correction_reply",
    "digest_blocks",
    "digest_fallback",
    "feedback_modal",
    "following_text",
    "gaps_text",
    "help_blocks",
    "home_blocks",
    "reload_report_text",
    "remove_prompt",
    "sources_blocks",
    "stats_text",
    "timeline_blocks",
    "usage_hint",
]
