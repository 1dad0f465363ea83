"""Errors panelbot raises on purpose.

    PanelbotError            -- our own; its message is written by us and safe to log
    ├── ConfigError          -- a setting or the policy file is wrong; start-up stops with one line
    └── UserError            -- the person asked for something that cannot be done: a refusal code
                                and its facts (bot.refusals), which each surface words

Anything else reaching the global error handler is a bug or an outage: the person gets a plain
sentence with an incident id, the log gets the traceback under that id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.refusals import Problem, Refusal


class PanelbotError(Exception):
    """Base of the errors whose messages we write ourselves (no personal data in them)."""


class ConfigError(PanelbotError):
    """A setting or the policy is missing or malformed. The message names it and says how to fix it."""


class UserError(PanelbotError):
    """The request cannot be done as asked: `code` says why, `facts` hold what its sentence needs
    (messages/refusals.py words it), and `field` names the form field to show it under, if any.

    `str()` is the code alone, so a log line or a traceback never carries a fact (some are typed by
    people). Raises TypeError when the facts are not the ones the code declares.
    """

    def __init__(self, code: Refusal, /, *, field: str | None = None, **facts: Any) -> None:
        self.problem = Problem(code, **facts)
        super().__init__(code.value)
        self.field = field

    @property
    def code(self) -> Refusal:
        return self.problem.code

    @property
    def facts(self) -> Mapping[str, Any]:
        return self.problem.facts
