"""What panelbot will store of the text people type: no control characters, and not too long.

PostgreSQL refuses NUL in text (the whole request used to fail with a 500), and other control
characters and lone surrogates have no place in a reference, a reason or a name. Tab, line feed and
carriage return are ordinary typing in a multi-line box and are kept. Pure: no Slack, no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.refusals import Problem, Refusal

MAX_TEXT = 3_000  # Slack's own largest plain_text_input; nothing panelbot asks for is longer

# C0 controls but tab, LF and CR; DEL and the C1 controls; UTF-16 surrogates (JSON can carry lone ones).
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def text_problem(value: str, *, limit: int = MAX_TEXT) -> Problem | None:
    """None when `value` can be stored as typed; else the refusal saying what to change."""
    if _UNSTORABLE.search(value):
        return Problem(Refusal.UNSTORABLE_TEXT)
    if len(value) > limit:
        return Problem(Refusal.TEXT_OVER_LIMIT, limit=limit, length=len(value))
    return None


def command_problem(value: str, *, limit: int) -> Problem | None:
    """`text_problem` for a typed command: the refusal speaks of the command, not of a form's answer."""
    problem = text_problem(value, limit=limit)
    if problem is not None and problem.code is Refusal.UNSTORABLE_TEXT:
        return Problem(Refusal.UNSTORABLE_COMMAND)
    return problem


def clean(value: str, *, limit: int = MAX_TEXT) -> bool:
    return text_problem(value, limit=limit) is None


def form_problems(answers: Mapping[str, str | list[str] | None], *, limit: int = MAX_TEXT) -> dict[str, Problem]:
    """{field: refusal} for every answer (text, or each chosen value) that cannot be stored."""
    problems: dict[str, Problem] = {}
    for field, answer in answers.items():
        values = answer if isinstance(answer, list) else [answer]
        for value in values:
            problem = text_problem(value, limit=limit) if isinstance(value, str) else None
            if problem is not None:
                problems[field] = problem
                break
    return problems
