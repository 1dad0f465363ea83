"""What Microsoft's REST APIs answer when they refuse, read the same way for the Bot Connector
(connector.py) and Microsoft Graph (graph.py): the status, the body (bounded) and Retry-After, and the
error code in the body, never its message (it can quote what was sent).
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.error


def read_refusal(refusal: urllib.error.HTTPError, limit: int) -> tuple[int, bytes, str | None]:
    """(status, at most `limit` bytes of the body, Retry-After) of an answer urllib raised for its
    status; a body lost mid-read is empty. Closes the answer."""
    try:
        raw = refusal.read(limit)
    except (OSError, http.client.HTTPException):
        raw = b""
    retry = refusal.headers.get("Retry-After") if refusal.headers is not None else None
    refusal.close()
    return refusal.code, raw, retry


def error_code(raw: bytes, code: re.Pattern[str]) -> str | None:
    """Microsoft's error code from a refusal's body ({"error": {"code": ...}}) when it matches `code`
    in full (each API's codes have their own shape), never its message."""
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    found = error.get("code") if isinstance(error, dict) else None
    return found if isinstance(found, str) and code.fullmatch(found) else None
