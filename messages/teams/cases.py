"""What people see of a case in Teams: the channel card and its decision buttons, the submitter's
receipt, the decider's notice, "mine", the details card and the summary, and the withdrawal form.
The Teams counterpart of messages/slack/cases.py, with the same words where they are not Slack's.

Privacy (DESIGN.md §4): the case card goes to a channel, so it carries the case reference,
amounts, route, stage, outcome, who decided and when, and panelbot's own words: never a reason,
conditions, information needed, a practice concern, the case's free text or its record link. The
free text and the record link are in `case_details` alone, which the services show only to people
with a role on the case, in personal chat. Whatever a press on a channel card answers with is
channel-safe too (the decision form, empty; the card as it now is): Teams may show an answer to
Action.Execute to everyone in the conversation, not just to the person who pressed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.cases import CaseView, Stage, is_waiting
from bot.domain.decisions import KIND_AT_STAGE, OUTCOME_LABELS, OUTCOMES_FOR, DecisionView, Outcome
from bot.domain.routing import FOLLOW_ON_LABELS, REQUEST_TYPE_LABELS, SERVICE_LABELS, FollowOn
from messages import case_words
from messages.teams.elements import (
    MAX_CARD_BYTES,
    NO_NAMES,
    Card,
    Names,
    action_set,
    bold,
    bullets,
    card,
    card_bytes,
    execute,
    facts,
    fit,
    heading,
    para,
    people,
    person,
    separator,
    text_input,
)
from messages.teams.help import typed
from messages.teams.ids import Command, Key, Verb, WithdrawInput
from messages.words import clock_time, count, cut, long_date, weekly

__all__ = [
    "BUTTON_TEXT",
    "MINE_LIMIT",
    "amount_facts",
    "case_card",
    "case_details",
    "case_summary",
    "channel_decision_lines",
    "decider_notice",
    "decision_actions",
    "decision_lines",
    "decision_words",
    "mine_card",
    "next_step",
    "office",
    "open_case_button",
    "reason_pointer",
    "receipt",
    "receipt_actions",
    "receipt_body",
    "route_blocks",
    "stage_words",
    "withdraw_form",
]

MINE_LIMIT = 40  # cases "mine" lists before "and N more"
_HISTORY_LIMIT = 20  # decisions the details card lists, newest kept (fewer when they do not fit)
_FREE_TEXT_LIMIT = 3000


# --- Words about a case --------------------------------------------------------------------------------


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _request_words(case: CaseView) -> str:
    """"new package, adults, £412.00/wk" — amounts and labels only."""
    return f"{REQUEST_TYPE_LABELS[case.request_type]}, {SERVICE_LABELS[case.service]}, {weekly(case.proposed_weekly)}"


def _short_request(case: CaseView) -> str:
    """"direct payment £310.00/wk"."""
    return f"{REQUEST_TYPE_LABELS[case.request_type]} {weekly(case.proposed_weekly)}"


def amount_facts(case: CaseView) -> list[tuple[str, str]]:
    """The request's figures as (title, value) facts: labels and amounts only."""
    rows = [
        ("Request", _sentence(REQUEST_TYPE_LABELS[case.request_type])),
        ("Service", _sentence(SERVICE_LABELS[case.service])),
        ("Proposed", weekly(case.proposed_weekly)),
        ("RAS indicative budget", weekly(case.ras_weekly) if case.ras_weekly is not None else "not given"),
    ]
    if case.current_weekly is not None:
        rows.append(("Current", weekly(case.current_weekly)))
    if case.hours_per_month is not None:
        rows.append(("Support", f"{count(case.hours_per_month, 'hour')} a month"))
    if case.respite_weeks_per_year is not None:
        rows.append(("Respite", f"{count(case.respite_weeks_per_year, 'week')} a year"))
    if case.urgent:
        rows.append(("Urgent", "yes"))
    return rows


def _follow_ons(case: CaseView) -> str | None:
    if not case.then:
        return None
    steps = [FOLLOW_ON_LABELS.get(FollowOn(step), step) if step in FOLLOW_ON_LABELS else step for step in case.then]
    where = case.follow_on_name or "panel"
    return f"then {' and '.join(steps)} at the next {where}"


def route_blocks(case: CaseView) -> list[dict[str, Any]]:
    """"Route: Enhanced Peer Forum", routing's reasons (panelbot's words, with the amounts compared)
    and any follow-on step."""
    blocks = [para(bold(f"Route: {_sentence(case.body_name)}"))]
    blocks += bullets(list(case.reasons))
    if follow_ons := _follow_ons(case):
        blocks.append(para(f"{_sentence(follow_ons)}.", tight=True))
    return blocks


















def next_step(case: CaseView, names: Names = NO_NAMES) -> str | None:
    """What happens next for the case's submitter, as one sentence without its full stop; None once
    the case is closed."""
    match case.stage:
        case Stage.AWAITING_BOOKING:
            return f"Next: book a slot at the {case.body_name} with {typed(Command.BOOK, case.reference)}"
        case Stage.BOOKED:
            when = f" on {case.slot.label()}" if case.slot else ""
            return (f"Booked into the {case.body_name}{when}: the chair decides there; if the slot passes "
                    "without a decision, ask the chair or rebook")
        case Stage.AWAITING_SIGN_OFF:
            who = f" ({people(case.deciders, names)})" if case.deciders else ""
            return f"Waiting on {case_words.tier_words(case)}{who} to sign off"
        case Stage.LISTED:
            return case_words.panel_sentence(case) or f"Waiting to be listed for the {case.body_name}"
        case Stage.AWAITING_URGENT_DECISION:
            then = f"; it then goes to the next {case.follow_on_name} for endorsement" if case.follow_on_name else ""
            return f"Sent to {case_words.tier_words(case)} for an urgent decision{then}"
    return None


def _waiting_on(case: CaseView, names: Names) -> str | None:
    """Who the card says the case waits on (they are the people who act next)."""
    if not case.deciders:
        return None
    if case.stage is Stage.AWAITING_SIGN_OFF:
        return f"Waiting on {people(case.deciders, names)} to sign off"
    if case.stage is Stage.AWAITING_URGENT_DECISION:
        return f"Waiting on {people(case.deciders, names)} for an urgent decision"
    return None


def _submitted(case: CaseView, names: Names) -> str:
    at = case.submitted_at
    return f"Submitted by {person(case.submitter, names)} on {long_date(at)} at {clock_time(at)}"


def _attendance_lines(case: CaseView, names: Names, *, to_submitter: bool) -> list[str]:
    lines = []
    attendance = list(case.attendance)
    if case.practitioner_must_attend:
        lines.append("You must attend the panel." if to_submitter else "Practitioner must attend")
        # Routing also words the flag as an attendance line; say it once.
        attendance = [item for item in attendance if "practitioner attends" not in item]
    lines += [_sentence(item) for item in attendance]
    if case.attendee:
        lines.append(f"Attending with the worker: {person(case.attendee, names)}")
    return lines


def _needs_booking(case: CaseView) -> bool:
    """A forum case still waiting for its slot: its receipt offers the booking button."""
    return case.stage is Stage.AWAITING_BOOKING and case.slot is None


def _panel_blocks(case: CaseView) -> list[dict[str, Any]]:
    panel = case.panel
    if panel is None:
        return []
    where = f", {case_words.office(panel.location)}" if panel.location else ""
    blocks = [para(bold("Panel: "), f"{long_date(panel.day)} at {clock_time(panel.starts_at)}{where}. "
                                    f"Papers due {long_date(panel.papers_due)}.")]
    if panel.carried_from is not None:
        blocks.append(para(f"Carried from {long_date(panel.carried_from)}, where it was not heard.", tight=True))
    if late := case_words.late_sentence(case):
        blocks.append(para(f"{late}.", tight=True))
    return blocks


def _titled_list(title: str, lines: Sequence[str]) -> list[dict[str, Any]]:
    if not lines:
        return []
    return [para(bold(title)), *[para(line, tight=True) for line in lines]]


def _case_body(case: CaseView, names: Names) -> list[dict[str, Any]]:
    """Amounts, route and reasons, attendance, evidence, the panel sitting and the slot: what the card
    and the details card share. No free text."""
    blocks = [facts(amount_facts(case)), *route_blocks(case)]
    blocks += _titled_list("Attendance", _attendance_lines(case, names, to_submitter=False))
    blocks += _titled_list("Evidence", case_words.evidence_lines(case))
    blocks += _panel_blocks(case)
    if case.slot:
        blocks.append(para(bold("Slot: "), f"{case.slot.label()} ({case.body_name})"))
    return blocks


# --- Decisions: the buttons and the words other builders share -----------------------------------------

# Button words: OUTCOME_LABELS describe what happened; a button says what to do.
BUTTON_TEXT = {
    Outcome.APPROVED: "Approve",
    Outcome.APPROVED_WITH_CHANGES: "Approve with changes",
    Outcome.DEFERRED: "Defer",
    Outcome.DECLINED: "Decline",
    Outcome.ENDORSED: "Endorse",
    Outcome.NOT_ENDORSED: "Don't endorse",
    Outcome.RATIFIED: "Ratify",
    Outcome.NOT_RATIFIED: "Don't ratify",
}
_BUTTON_STYLE = {
    Outcome.APPROVED: "positive",
    Outcome.ENDORSED: "positive",
    Outcome.RATIFIED: "positive",
    Outcome.DECLINED: "destructive",
}


def decision_actions(case: CaseView) -> list[dict[str, Any]]:
    """The decision buttons for the decision the case waits on (a decision, an endorsement or a
    ratification); none when it waits on none (closed or deferred) or, at a meeting, until a slot is
    booked. Each is Verb.DECIDE with the case, its round and the outcome, so a press on an old round's
    card is recognised as stale; the bot answers with the decision form. Who may decide is checked by
    the service, not here."""
    kind = KIND_AT_STAGE.get(case.stage)
    if kind is None or case.stage is Stage.AWAITING_BOOKING:
        return []
    return [
        execute(BUTTON_TEXT.get(outcome, OUTCOME_LABELS[outcome]), Verb.DECIDE,
                {Key.CASE: case.id, Key.ROUND: case.round, Key.OUTCOME: outcome.value},
                style=_BUTTON_STYLE.get(outcome))
        for outcome in OUTCOMES_FOR[kind]
    ]


def open_case_button(case_id: int, text: str = "Open the case") -> dict[str, Any]:
    """Personal chat only: the answer (the details card) carries the case's free text."""
    return execute(text, Verb.OPEN_CASE, {Key.CASE: case_id})


def decision_words(decision: DecisionView, names: Names = NO_NAMES) -> str:
    """"Approved by Tomás Reyes at 10:42 on Tuesday 24 November 2026" (London clock)."""
    at = decision.decided_at
    who = person(decision.decided_by, names)
    if decision.decided_for:
        who += f" for {person(decision.decided_for, names)}"  # acting in cover
    return f"{OUTCOME_LABELS[decision.outcome]} by {who} at {clock_time(at)} on {long_date(at)}"


def decision_lines(decision: DecisionView, *, full: bool = True) -> list[dict[str, Any]]:
    """The decision's reason and agreed amount, and with `full` its conditions and the information
    needed, a paragraph each, the decider's words shown as typed. Personal chat only. Never the
    practice concern."""
    blocks = [para(bold("Reason: "), cut(decision.reason, _FREE_TEXT_LIMIT))]
    if decision.amended_weekly is not None:
        blocks.append(para(bold("Agreed amount: "), weekly(decision.amended_weekly)))
    if full and decision.conditions:
        blocks.append(para(bold("Changes and conditions: "), cut(decision.conditions, _FREE_TEXT_LIMIT)))
    if full and decision.info_needed:
        blocks.append(para(bold("Information needed: "), cut(decision.info_needed, _FREE_TEXT_LIMIT)))
    return blocks


def reason_pointer(case: CaseView, decision: DecisionView) -> str:
    """Where a channel's reader finds what the decider wrote, without any of it."""
    what = ["reason"]
    if decision.conditions:
        what.append("conditions")
    if decision.info_needed:
        what.append("information needed")
    words = "The " + (what[0] if len(what) == 1 else ", ".join(what[:-1]) + " and " + what[-1])
    verb = "is" if len(what) == 1 else "are"
    return (f"{words} {verb} in the decision notice sent to the people on the case, "
            f"and in {typed(Command.CASE, case.reference)} (type it to panelbot).")


def channel_decision_lines(case: CaseView, decision: DecisionView) -> list[dict[str, Any]]:
    """A decision as a channel may see it: the agreed amount, if any, and where to read the reason.
    Never the reason, conditions or information needed (typed text)."""
    blocks = []
    if decision.amended_weekly is not None:
        blocks.append(para(bold("Agreed amount: "), weekly(decision.amended_weekly), tight=True))
    blocks.append(para(reason_pointer(case, decision), tight=True))
    return blocks


# --- The case card (channel) --------------------------------------------------------------------------


def case_card(case: CaseView, names: Names = NO_NAMES) -> Card:
    """The one card per case in the deciding body's channel: reference, amounts, route and its
    reasons, evidence, the latest decision (outcome, by whom and when, agreed amount, where to read
    the reason), stage and who acts next, and the decision buttons while the case waits on a
    decision, endorsement or ratification. After a decision the same builder gives the card as it
    now is (outcome shown, buttons gone), to update it in place. Nothing anyone typed but the
    reference, and no record link: a channel sees it."""
    body: list[dict[str, Any]] = [heading(f"Case {case.reference}"), *_case_body(case, names)]
    if case.decisions:
        latest = case.decisions[-1]
        body.append(para(bold(decision_words(latest, names))))
        body += channel_decision_lines(case, latest)
    if waiting := _waiting_on(case, names):
        body.append(para(waiting))
    notes = [f"Stage: {case_words.stage_words(case)}", _submitted(case, names)]
    if case.round > 1:
        resubmitted = any(decision.outcome is Outcome.DEFERRED for decision in case.decisions)
        notes.append(f"Resubmitted (round {case.round})" if resubmitted
                     else f"Changed at a review (round {case.round})")
    body.append(para("  ·  ".join(notes), subtle=True))
    summary = f"Case {case.reference}: {_request_words(case)} — {case.body_name}"
    return card(body, decision_actions(case), summary=summary)


# --- The submitter's receipt (personal chat) -----------------------------------------------------------


def _receipt_next_step(case: CaseView, names: Names) -> str | None:
    if _needs_booking(case):
        return f"Next: book a forum slot (button below, or {typed(Command.BOOK, case.reference)})"
    return next_step(case, names)


def _receipt_steps(case: CaseView, names: Names) -> list[str]:
    steps = [f"{step}." for step in (_receipt_next_step(case, names), case_words.late_sentence(case)) if step]
    steps += _attendance_lines(case, names, to_submitter=True)
    if missing := case_words.missing_evidence(case):
        steps.append("Evidence still missing: " + ", ".join(missing) + ".")
    elif case.evidence_required:
        steps.append("Evidence: everything asked for is attached.")
    return steps


def receipt_body(case: CaseView, names: Names = NO_NAMES) -> list[dict[str, Any]]:
    """The receipt's words, shared by the message and the card the case form turns into."""
    return [
        para(bold(f"Case {case.reference} is submitted: "), f"{_request_words(case)}."),
        *route_blocks(case),
        *[para(step, tight=index > 0) for index, step in enumerate(_receipt_steps(case, names))],
    ]


def receipt_actions(case: CaseView, *, open_button: bool) -> list[dict[str, Any]]:
    actions = [open_case_button(case.id)] if open_button else []
    if _needs_booking(case):
        actions.append(execute("Book a forum slot", Verb.BOOK_SLOT, {Key.CASE: case.id}, style="positive"))
    return actions


def receipt(case: CaseView, names: Names = NO_NAMES) -> Card:
    """The submitter's message after a submission: route, reasons, what happens next, what is missing,
    with "Open the case" and, for a forum case waiting for its slot, "Book a forum slot"."""
    summary = f"Case {case.reference} is submitted: it goes to the {case.body_name}."
    return card(receipt_body(case, names), receipt_actions(case, open_button=True), summary=summary)


# --- The decider's notice (personal chat) --------------------------------------------------------------


def decider_notice(case: CaseView, names: Names = NO_NAMES) -> Card:
    """The message to the team manager (delegated) or each operations manager (urgent), with the
    decision buttons while the case waits on a decision."""
    if case.stage is Stage.AWAITING_SIGN_OFF:
        waits = "waits on your sign-off"
    elif case.stage is Stage.AWAITING_URGENT_DECISION:
        waits = "waits on your urgent decision"
    elif case.stage is Stage.AWAITING_ENDORSEMENT:
        waits = f"waits for endorsement at the {case.follow_on_name or case.body_name}"
    elif case.stage is Stage.AWAITING_RATIFICATION:
        waits = f"waits for ratification at the {case.follow_on_name or case.body_name}"
    else:
        waits = "waits on your decision"
    text = f"Case {case.reference} {waits}."
    body: list[dict[str, Any]] = [para(bold(text)), facts(amount_facts(case)), *route_blocks(case)]
    body += _titled_list("Evidence", case_words.evidence_lines(case))
    notes = [_submitted(case, names)]
    if case.urgent:
        notes.append("Open the case to read why it cannot wait.")
    body.append(para("  ·  ".join(notes), subtle=True))
    body.append(action_set([open_case_button(case.id)]))
    # The delegated sign-off, or the urgent decision, is made from here.
    return card(body, decision_actions(case), summary=text)


# --- "mine" (personal chat) -----------------------------------------------------------------------------


def _mine_line(case: CaseView, names: Names) -> str:
    parts = [REQUEST_TYPE_LABELS[case.request_type], weekly(case.proposed_weekly), case_words.stage_words(case)]
    if case.stage is Stage.LISTED and (sitting := case_words.sitting_words(case)):
        parts[-1] += f" on {sitting}"
    elif is_waiting(case.stage) and (step := next_step(case, names)):
        parts.append(step)
    return " — " + " — ".join(parts)


def mine_card(cases: Sequence[CaseView], waiting: Sequence[str] = (), names: Names = NO_NAMES, *,
              more: int = 0) -> Card:
    """The answer to "mine": what waits on the person (`waiting`, lines oldest first, and `more` not
    given), then their cases, newest first, at most MINE_LIMIT, each with an Open button."""
    body: list[dict[str, Any]] = []
    if waiting:
        body.append(para(bold(f"Waiting on you ({len(waiting) + more})")))
        body += bullets(list(waiting[:MINE_LIMIT]))
        if hidden := max(len(waiting) - MINE_LIMIT, 0) + more:
            body.append(para(f"and {hidden} more", subtle=True))
    if not cases:
        text = f"You have no cases yet. Type {typed(Command.SUBMIT)} to send one."
        if waiting:
            text = f"Waiting on you: {len(waiting) + more}. You have submitted no cases."
        return card([*body, para(text)], summary=text)
    newest_first = sorted(cases, key=lambda case: case.submitted_at, reverse=True)
    text = f"Your cases, newest first ({len(cases)})"

    def build(most: int) -> Card:
        rows: list[dict[str, Any]] = [*body, para(bold(text))]
        for case in newest_first[:most]:
            rows.append({
                "type": "ColumnSet",
                "columns": [
                    {"type": "Column", "width": "stretch",
                     "items": [para(bold(case.reference), _mine_line(case, names))]},
                    {"type": "Column", "width": "auto", "items": [action_set([open_case_button(case.id, "Open")])]},
                ],
            })
        if hidden := len(newest_first) - min(most, len(newest_first)):
            rows.append(para(f"and {hidden} more", subtle=True))
        return card(rows, summary=text)

    return fit(build, MINE_LIMIT)


# --- Details (role holders, personal chat) and the summary for everyone else ---------------------------

_FREE_TEXT = (
    ("Strengths and eligible needs", "strengths_and_needs"),
    ("Outcomes", "outcomes"),
    ("Alternative support considered", "alternatives"),
    ("Why it cannot wait", "urgent_reason"),
)


def _history(case: CaseView, shown: int, names: Names) -> list[dict[str, Any]]:
    """The last `shown` decisions, oldest first, each with what the decider wrote."""
    if not case.decisions:
        return []
    kept = case.decisions[len(case.decisions) - shown:]
    blocks = [para(bold(f"Decisions ({len(case.decisions)})"))]
    if hidden := len(case.decisions) - len(kept):
        blocks.append(para(f"{hidden} earlier {'decision' if hidden == 1 else 'decisions'} not shown", subtle=True))
    for decision in kept:
        blocks.append(para(bold(decision_words(decision, names))))
        blocks += [{**block, "spacing": "None"} for block in decision_lines(decision)]
    return blocks


def _free_text(case: CaseView, limit: int) -> list[dict[str, Any]]:
    blocks = []
    for title, name in _FREE_TEXT:
        value = getattr(case, name)
        if value is None:
            continue
        blocks.append(para(bold(title)))
        blocks.append(para(cut(value, limit) if value.strip() else "—", tight=True))
    return blocks


def case_details(case: CaseView, names: Names = NO_NAMES) -> Card:
    """Everything about the case, free text included, with its decision history (all rounds; never a
    practice concern). The services show it only to people with a role on the case, in personal chat.

    It stays under MAX_CARD_BYTES: the oldest decisions are left out first ("N earlier decisions not
    shown") down to the latest, then the free text is cut shorter, each with "…"."""
    people_lines = [_submitted(case, names)]
    if case.team_manager:
        people_lines.append(f"Team manager: {person(case.team_manager, names)}")
    if case.deciders:
        people_lines.append(f"Decides: {people(case.deciders, names)}")
    actions = []
    if case.record_link and case.record_link.startswith("https://"):
        actions.append({"type": "Action.OpenUrl", "title": "Open the case record", "url": case.record_link})

    def build(shown: int, limit: int) -> Card:
        body: list[dict[str, Any]] = [heading(f"Case {case.reference}"), *_case_body(case, names)]
        body += [para(line, tight=index > 0) for index, line in enumerate(people_lines)]
        if case.record_link and not actions:  # not a web link: shown as typed, never as a link
            body.append(para(bold("Case record: "), cut(case.record_link, 500), tight=True))
        body.append(para(f"Stage: {case_words.stage_words(case)}", subtle=True))
        body += _history(case, shown, names)
        body += [separator(), *_free_text(case, limit)]
        return card(body, actions, summary=f"Case {case.reference}: the details")

    shown, limit = min(len(case.decisions), _HISTORY_LIMIT), _FREE_TEXT_LIMIT
    built = build(shown, limit)
    while card_bytes(built) > MAX_CARD_BYTES and shown > 1:  # the latest decision is kept longest
        shown -= 1
        built = build(shown, limit)
    while card_bytes(built) > MAX_CARD_BYTES and limit > 200:
        limit -= 200
        built = build(shown, limit)
    while card_bytes(built) > MAX_CARD_BYTES and shown > 0:
        shown -= 1
        built = build(shown, limit)
    return built


def case_summary(case: CaseView) -> Card:
    """The answer for someone without a role on the case: reference, route and stage."""
    text = f"Case {case.reference}: {case.body_name}, {case_words.stage_words(case)}."
    return card([para(bold(text)), para("Only people with a role on this case can see its details.")], summary=text)


# --- Withdrawing a case (form, personal chat) ------------------------------------------------------------


def withdraw_form(case: CaseView, *, error: str | None = None) -> Card:
    """The form the worker or their team manager fills in to withdraw a case not yet decided. Submit:
    Verb.WITHDRAW with the case; the reason is WithdrawInput.REASON. `error` is the service's
    sentence when it refused the reason."""
    body = [
        heading(f"Withdraw {case.reference}"),
        para(bold(f"Case {case.reference}: "),
             f"{_request_words(case)} — {case.body_name}, {case_words.stage_words(case)}."),
        para("Withdrawing frees any booked slot, stops its reminders and tells the deciders. The reason goes to the "
             "people on the case, never to a channel.", subtle=True),
        *text_input(WithdrawInput.REASON, "Why is it withdrawn?", required=True, multiline=True, error=error,
                    needed="Say why the case is withdrawn."),
    ]
    actions = [execute("Withdraw", Verb.WITHDRAW, {Key.CASE: case.id}, style="destructive"),
               execute("Keep it", Verb.CLOSE_FORM, {Key.CASE: case.id})]
    return card(body, actions, summary=f"Withdraw case {case.reference}")


office = case_words.office
stage_words = case_words.stage_words
