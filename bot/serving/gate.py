"""What a request to /slack/events must be before Bolt sees it: small, signed, well-formed.

Bolt answers a malformed body with a 500 and a traceback, and logs the whole body of a request
whose signature is wrong (so anyone could write a forged question, or a megabyte, into the
log). Here a request is read at most to the size limit, its signature checked on the raw
bytes, and its body parsed once; a rejection is logged with its reason and size only.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

# Slack's own payloads stay far below this (a message is at most 40,000 characters).
MAX_BODY_BYTES = 512 * 1024


@dataclass(frozen=True)
class Rejection:
    status: int
    reason: str


def _read(environ: dict[str, Any]) -> bytes | Rejection:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return Rejection(400, "bad Content-Length")
    if length > MAX_BODY_BYTES:
        return Rejection(413, "body too large")
    stream = environ["wsgi.input"]
    # Without a length (chunked), read one byte past the limit to know it was exceeded.
    body = stream.read(length if length else MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return Rejection(413, "body too large")
    return body


def _well_formed(text: str, content_type: str) -> bool:
    try:
        if "json" in content_type:
            return isinstance(json.loads(text), dict)
        fields = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
        payload = fields.get("payload")
        return payload is None or isinstance(json.loads(payload), dict)
    except ValueError:
        return False


def check(environ: dict[str, Any], verifier: SignatureVerifier | None) -> Rejection | None:
    """None when the request may go on to Bolt (its body put back to be read again)."""
    body = _read(environ)
    if isinstance(body, Rejection):
        return body
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Rejection(400, "body is not UTF-8")
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    # Slack's SSL check when a request URL is set up carries no signature; Bolt answers it.
    if verifier is not None and not text.startswith("ssl_check=1"):
        if not timestamp.isdigit():
            return Rejection(400, "X-Slack-Request-Timestamp is not a number")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not verifier.is_valid(body, timestamp, signature):
            return Rejection(401, "bad signature or stale timestamp")
    if not _well_formed(text, environ.get("CONTENT_TYPE", "")):
        return Rejection(400, "body is not well-formed JSON or form data")
    return None


def log_rejection(rejection: Rejection, environ: dict[str, Any]) -> None:
    # Never the body: a forged request's text is the sender's, not a question to keep.
    log.warning(
        "rejected request status=%s reason=%r bytes=%s",
        rejection.status,
        rejection.reason,
        environ.get("CONTENT_LENGTH") or "unknown",
    )
