"""Spot checks of delegated decisions (seed 001) in Teams: the checker's message and list, the check's
form, and the practice concern to the team manager. The Teams counterpart of messages/slack/spot_checks.py.

References, amounts, dates and people's names only, except the recommended actions of a practice
concern, which go (as typed) to the team manager's personal chat and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.domain.routing import REQUEST_TYPE_LABELS, RequestType
from bot.domain.spot_checks import FINDING_LABELS, WHY_LABELS, Finding, SpotCheckNotice, SpotCheckOpened, SpotCheckView
from messages.teams.cases import case_details
from messages.teams.elements import (
    MAX_CARD_BYTES,
    MAX_TEXT,
    NO_NAMES,
    Card,
    Names,
    action_set,
    bold,
    card,
    card_bytes,
    choice_input,
    execute,
    fit,
    heading,
    para,
    person,
    separator,
    text_input,
)
from messages.teams.ids import Key, SpotCheckInput, Verb
from messages.words import cut, long_date, weekly

__all__ = ["check_line", "spot_check_form", "spot_check_notice", "spot_check_recorded_text", "spot_checks_card"]

_MAX_LISTED = 20


def _why(check: SpotCheckView) -> str:
    return "; ".join(WHY_LABELS[why] for why in check.why)


def check_line(check: SpotCheckView, names: Names = NO_NAMES) -> list[Any]:
    """Case 1234567 — £280.00/wk new package agreed at delegated sign-off by … on … (drawn at random)."""
    request = REQUEST_TYPE_LABELS.get(RequestType(check.request_type), check.request_type)
    return [bold(f"Case {check.reference}"),
            f" — {weekly(check.agreed_weekly)} {request.lower()} agreed at {check.body_name} by "
            f"{person(check.decided_by, names)} on {long_date(check.decided_at)} ({_why(check)})"]


def _open(check: SpotCheckView) -> dict[str, Any]:
    return execute("Check this case", Verb.SPOT_CHECK_OPEN, {Key.SPOT_CHECK: check.id}, style="positive")


def spot_check_notice(notice: SpotCheckNotice, names: Names = NO_NAMES) -> Card:
    """To a checker: a decision drawn for a check, with "Check this case". To the team manager: the
    practice concern a check found, with the recommended actions as typed."""
    check = notice.check
    if notice.to_manager:
        text = f"Spot check of case {check.reference}: a practice concern"
        body = [
            para(bold(text)),
            para(*check_line(check, names), tight=True),
            para(f"Checked by {person(check.checked_by or '', names)}. As the worker's line manager, please act on "
                 "the recommended actions:", tight=True),
            para(cut(notice.actions or "—", MAX_TEXT)),
        ]
        return card(body, summary=text)
    text = f"Spot check: case {check.reference} was drawn for a quality check"
    return card([para(bold(text)), para(*check_line(check, names), tight=True)], [_open(check)], summary=text)


def spot_checks_card(checks: Sequence[SpotCheckView], names: Names = NO_NAMES) -> Card:
    """The answer to "spotchecks": open checks, oldest first, each with its button."""
    if not checks:
        text = "No spot checks are waiting for you."
        return card([para(text)], summary=text)
    text = f"{len(checks)} spot {'check is' if len(checks) == 1 else 'checks are'} waiting, oldest first"

    def build(most: int) -> Card:
        body: list[dict[str, Any]] = [para(bold(text))]
        for check in checks[:most]:
            body += [para(*check_line(check, names)), para(f"Drawn {long_date(check.drawn_at)}", subtle=True,
                                                           tight=True), action_set([_open(check)])]
        if len(checks) > most:
            body.append(para(f"…and {len(checks) - most} more: record these to see them.", subtle=True))
        return card(body, summary=text)

    return fit(build, _MAX_LISTED)


def spot_check_form(opened: SpotCheckOpened, names: Names = NO_NAMES, *,
                    errors: Mapping[str, str] | None = None) -> Card:
    """The whole case (as "case" shows it to a role holder) and the finding: agreed, practice concern
    (with recommended actions) or refer to panel. Submit: Verb.RECORD_SPOT_CHECK with the check."""
    errors = errors or {}
    check = opened.check
    inputs = [
        separator(),
        *choice_input(SpotCheckInput.FINDING, "What did you find?",
                      [(label, finding.value) for finding, label in FINDING_LABELS.items()], required=True,
                      expanded=True, error=errors.get(SpotCheckInput.FINDING), needed="Choose what you found."),
        *text_input(SpotCheckInput.ACTIONS, "Recommended actions (practice concern)", required=False, multiline=True,
                    hint="Sent to the case's team manager only. Needed for a practice concern.",
                    error=errors.get(SpotCheckInput.ACTIONS)),
    ]
    head = [heading("Spot check"), para(*check_line(check, names)), separator()]
    details = case_details(opened.case, names)
    actions = [execute("Record", Verb.RECORD_SPOT_CHECK, {Key.SPOT_CHECK: check.id}, style="positive"),
               execute("Cancel", Verb.CLOSE_FORM), *details.get("actions", [])]

    def build(room: int) -> Card:
        return card([*head, *details["body"][:room], *inputs], actions, summary=f"Spot check of case {check.reference}")

    built = build(len(details["body"]))
    if card_bytes(built) > MAX_CARD_BYTES:
        built = fit(build, len(details["body"]))
    return built


def spot_check_recorded_text(check: SpotCheckView) -> str:
    finding = Finding(check.state)
    then = {
        Finding.AGREED: "The decision stands.",
        Finding.CONCERN: "The team manager has been sent your recommended actions.",
        Finding.REFERRED: "The case goes to the panel to be ratified; its deciders have been told.",
    }[finding]
    return f"Spot check of case {check.reference} recorded: {FINDING_LABELS[finding]}. {then}"
