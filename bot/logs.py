"""Logging that is safe for special-category data.

- One line per Slack request (kind, callback or command, outcome, milliseconds): `log_request`.
- Slack's own libraries log request bodies and API arguments on some paths (Bolt writes the whole
  body of a request whose signature fails at INFO). Their records are cut to a fixed sentence and
  anything below WARNING is dropped, whatever level the operator asks for.
- Tracebacks keep their frames and exception types but drop exception messages, which can quote
  user input; our own `PanelbotError` messages are written without personal data and are kept.
- `LOG_FORMAT=json` writes one JSON object a line for log shippers.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from types import TracebackType
from typing import IO, TypeAlias

from bot.errors import PanelbotError

SLACK_LOGGERS = ("slack_bolt", "slack_sdk")
request_logger = logging.getLogger("panelbot.request")

_SAFE_SENTENCE = re.compile(r"^[^({\n:]*")

# What `sys.exc_info()` returns, and so what logging hands a formatter.
ExcInfo: TypeAlias = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


class SlackLibraryFilter(logging.Filter):
    """Drop Slack library chatter below WARNING and strip what follows the sentence above it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(SLACK_LOGGERS):
            return True
        if record.levelno < logging.WARNING:
            return False
        sentence = _SAFE_SENTENCE.match(str(record.msg))
        record.msg = (sentence.group(0).strip() if sentence else "") + " [details withheld]"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        return True


def format_exception_safely(exc_info: ExcInfo) -> str:
    """The traceback's frames and exception types, without exception messages (they may quote input)."""
    chain: list[BaseException] = []
    exc = exc_info[1]
    while exc is not None and all(exc is not seen for seen in chain):
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    blocks = []
    for exc in reversed(chain):
        message = str(exc) if isinstance(exc, PanelbotError) else "[message withheld]"
        frames = "".join(traceback.format_tb(exc.__traceback__))
        blocks.append(f"Traceback (most recent call last):\n{frames}{type(exc).__qualname__}: {message}")
    return "\n\nwhich led to:\n\n".join(blocks)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatException(self, ei: ExcInfo) -> str:
        return format_exception_safely(ei)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["traceback"] = format_exception_safely(record.exc_info)
        return json.dumps(entry)


def configure_logging(level: str = "INFO", fmt: str = "text", stream: IO[str] | None = None) -> logging.Handler:
    """Replace the root handlers with one safe handler writing to `stream` (stderr by default)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(SlackLibraryFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic announces every plugin it loads at INFO; keep start-up quiet.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    return handler


def log_request(kind: str, name: str, outcome: str, ms: float) -> None:
    """One line a request. Only our own fixed identifiers go in: never payload contents."""
    fields = {"kind": kind, "id": name, "outcome": outcome, "ms": round(ms, 1)}
    request_logger.info(
        "request kind=%s id=%s outcome=%s ms=%.1f", kind, name, outcome, ms, extra={"fields": fields}
    )
