"""What panelbot will store of the text people type: no control characters, and not too long.

PostgreSQL refuses NUL in text (the whole request used to fail with a 500), and other control
characters and lone surrogates have no place in a reference, a reason or a name. Tab, line feed and
carriage return are ordinary typing in a multi-line box and are kept. Pure: no Slack, no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

MAX_TEXT = 3_000  # Slack's own largest plain_text_input; nothing panelbot asks for is longer

# C0 controls but tab, LF and CR; DEL and the C1 controls; UTF-16 surrogates (JSON can carry lone ones).
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

CONTROL_CHARACTERS = "This has characters panelbot cannot store (such as NUL or other control characters): remove them."


def text_problem(value: str, *, limit: int = MAX_TEXT) -> str | None:
    """None when `value` can be stored as typed; else the sentence saying what to change."""
    if _UNSTORABLE.search(value):
        return CONTROL_CHARACTERS
    if len(value) > limit:
        return f"Keep this under {limit:,} characters (it has {len(value):,})."
    return None


def clean(value: str, *, limit: int = MAX_TEXT) -> bool:
    return text_problem(value, limit=limit) is None


def form_problems(answers: Mapping[str, str | list[str] | None], *, limit: int = MAX_TEXT) -> dict[str, str]:
    """{field: sentence} for every answer (text, or each chosen value) that cannot be stored."""
    problems: dict[str, str] = {}
    for field, answer in answers.items():
        values = answer if isinstance(answer, list) else [answer]
        for value in values:
            problem = text_problem(value, limit=limit) if isinstance(value, str) else None
            if problem is not None:
                problems[field] = problem
                break
    return problems
