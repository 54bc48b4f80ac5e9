"""Slack Web API errors that no retry fixes: the destination is gone, closed or not ours to
post in, or the token no longer works. The client already retries 429s, dropped connections
and 5xx; these are neither retried nor apologised for (an apology would fail the same way)."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

UNFIXABLE_SLACK_ERRORS = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "restricted_action",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        # An edit of a message that was deleted, or that the app may not edit.
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
    }
)


def slack_error(exc: Exception) -> str | None:
    """Slack's error code of a failed Web API call (None for any other exception)."""
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return exc.response.get("error")
    return None
