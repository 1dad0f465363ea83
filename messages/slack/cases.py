"""What people see of a case: the channel card, the submitter's receipt, the decider's notice,
`/panel mine`, and the details modal; and the decision buttons the card and the decider's notice
carry (messages/slack/decisions.py builds the rest of a decision and imports its shared pieces from here).

Privacy (DESIGN.md §4): the card goes to a channel, and notification text travels beyond Slack, so
every builder here except `case_details_modal` uses only the case reference, amounts and
panelbot's own words. The free-text fields and the record link appear in the details modal
alone, which the services open only for people with a role on the case. Whatever a decider typed
(a decision's reason, conditions and the information needed) never goes on the card: people type
names into them. The card shows the outcome, who decided and when, the agreed amount, and where
to read the reason (`reason_pointer`); the reason itself is in the decision notice DM and the
details modal. The practice concern goes only to the worker's line manager (messages/slack/decisions.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.cases import CaseView, Stage, is_waiting
from bot.domain.decisions import KIND_AT_STAGE, OUTCOME_LABELS, OUTCOMES_FOR, DecisionView, Outcome
from bot.domain.routing import FOLLOW_ON_LABELS, REQUEST_TYPE_LABELS, SERVICE_LABELS, FollowOn
from messages import case_words
from messages.slack.format import clock_time, count, cut, escape, long_date, mention, weekly
from messages.slack.ids import DECIDE_BLOCK, VALUE, Action, Callback, Command, Subcommand, WithdrawField, decide_action

__all__ = [
    "BUTTON_TEXT",
    "DECIDE_BLOCK",
    "MINE_LIMIT",
    "amount_fields",
    "case_card",
    "case_details_modal",
    "case_summary_message",
    "channel_decision_lines",
    "decider_notice",
    "decision_actions",
    "decision_lines",
    "decision_words",
    "mine_message",
    "next_step",
    "office",
    "open_case_button",
    "reason_pointer",
    "receipt_blocks",
    "receipt_dm",
    "route_text",
]

MINE_LIMIT = 40  # cases listed by `/panel mine`; with the heading and "and N more" it stays under 50 blocks
_SECTION_TEXT = 3000
_FIELD_TEXT = 2000
_HEADER_TEXT = 150
_MODAL_TITLE = 24
_HISTORY_LIMIT = 20  # decisions the details modal lists, newest kept; it stays well under 100 blocks


# --- Block pieces -----------------------------------------------------------------------------------


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, _SECTION_TEXT)}}


def _fields(items: Sequence[str]) -> dict[str, Any]:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": cut(item, _FIELD_TEXT)} for item in items[:10]]}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, _SECTION_TEXT)}]}


def open_case_button(case: CaseView, text: str = "Open the case") -> dict[str, Any]:
    return {"type": "button", "text": _plain(text), "action_id": Action.OPEN_CASE.value, "value": str(case.id)}


def _bullets(lines: Sequence[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- Words about a case --------------------------------------------------------------------------------


def _ref(case: CaseView) -> str:
    return escape(case.reference)


def _request_words(case: CaseView) -> str:
    """"new package, adults, £412.00/wk" — amounts and labels only."""
    return f"{REQUEST_TYPE_LABELS[case.request_type]}, {SERVICE_LABELS[case.service]}, {weekly(case.proposed_weekly)}"


def amount_fields(case: CaseView) -> list[str]:
    fields = [
        f"*Request:* {_sentence(REQUEST_TYPE_LABELS[case.request_type])}",
        f"*Service:* {_sentence(SERVICE_LABELS[case.service])}",
        f"*Proposed:* {weekly(case.proposed_weekly)}",
        f"*RAS indicative budget:* {weekly(case.ras_weekly) if case.ras_weekly is not None else 'not given'}",
    ]
    if case.current_weekly is not None:
        fields.append(f"*Current:* {weekly(case.current_weekly)}")
    if case.hours_per_month is not None:
        fields.append(f"*Support:* {count(case.hours_per_month, 'hour')} a month")
    if case.respite_weeks_per_year is not None:
        fields.append(f"*Respite:* {count(case.respite_weeks_per_year, 'week')} a year")
    if case.urgent:
        fields.append("*Urgent:* yes")
    return fields


def _follow_ons(case: CaseView) -> str | None:
    if not case.then:
        return None
    steps = [FOLLOW_ON_LABELS.get(FollowOn(step), step) if step in FOLLOW_ON_LABELS else step for step in case.then]
    where = escape(case.follow_on_name) if case.follow_on_name else "panel"
    return f"then {' and '.join(escape(step) for step in steps)} at the next {where}"


def route_text(case: CaseView) -> str:
    text = f"*Route: {escape(_sentence(case.body_name))}*"
    if case.reasons:
        text += "\n" + _bullets([escape(reason) for reason in case.reasons])
    if follow_ons := _follow_ons(case):
        text += f"\n{_sentence(follow_ons)}."
    return text


















def _deciders(case: CaseView) -> str:
    return ", ".join(mention(who) for who in case.deciders)


def next_step(case: CaseView) -> str | None:
    """What happens next for the case's submitter, as one sentence without its full stop; None
    once the case is closed."""
    match case.stage:
        case Stage.AWAITING_BOOKING:
            command = f"`{Command.PANEL} {Subcommand.BOOK} {_ref(case)}`"
            return f"Next: book a slot at the {escape(case.body_name)} with {command}"
        case Stage.BOOKED:
            when = f" on {case.slot.label()}" if case.slot else ""
            return (f"Booked into the {escape(case.body_name)}{when}: the chair decides there; if the slot passes "
                    "without a decision, ask the chair or rebook")
        case Stage.AWAITING_SIGN_OFF:
            who = f" ({_deciders(case)})" if case.deciders else ""
            return f"Waiting on {_tier_words(case)}{who} to sign off"
        case Stage.LISTED:
            return _panel_sentence(case) or f"Waiting to be listed for the {escape(case.body_name)}"
        case Stage.AWAITING_URGENT_DECISION:
            then = f"; it then goes to the next {escape(case.follow_on_name)} for endorsement" \
                if case.follow_on_name else ""
            return f"Sent to {_tier_words(case)} for an urgent decision{then}"
    return None


def _waiting_on(case: CaseView) -> str | None:
    """Who the card says the case waits on, as mentions (they are the people who act next)."""
    if case.stage is Stage.AWAITING_SIGN_OFF:
        who = _deciders(case)
        return f"Waiting on {who} to sign off" if who else None
    if case.stage is Stage.AWAITING_URGENT_DECISION:
        who = _deciders(case)
        return f"Waiting on {who} for an urgent decision" if who else None
    return None


def _submitted(case: CaseView) -> str:
    at = case.submitted_at
    return f"Submitted by {mention(case.submitter)} on {long_date(at)} at {clock_time(at)}"


def _attendance_lines(case: CaseView, *, to_submitter: bool) -> list[str]:
    lines = []
    attendance = list(case.attendance)
    if case.practitioner_must_attend:
        lines.append("*You must attend the panel.*" if to_submitter else "*Practitioner must attend*")
        # Routing also words the flag as an attendance line; say it once.
        attendance = [item for item in attendance if "practitioner attends" not in item]
    lines += [_sentence(escape(item)) for item in attendance]
    if case.attendee:
        lines.append(f"Attending with the worker: {mention(case.attendee)}")
    return lines


def _slot_text(case: CaseView) -> str | None:
    return f"*Slot:* {case.slot.label()} ({escape(case.body_name)})" if case.slot else None


def _needs_booking(case: CaseView) -> bool:
    """A forum case still waiting for its slot: its receipt offers the booking button."""
    return case.stage is Stage.AWAITING_BOOKING and case.slot is None


def _panel_text(case: CaseView) -> str | None:
    panel = case.panel
    if panel is None:
        return None
    where = f", {escape(case_words.office(panel.location))}" if panel.location else ""
    text = (
        f"*Panel:* {long_date(panel.day)} at {clock_time(panel.starts_at)}{where}. "
        f"Papers due {long_date(panel.papers_due)}."
    )
    if panel.carried_from is not None:
        text += f"\nCarried from {long_date(panel.carried_from)}, where it was not heard."
    if late := _late_sentence(case):
        text += f"\n{late}."
    return text


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
    Outcome.APPROVED: "primary",
    Outcome.ENDORSED: "primary",
    Outcome.RATIFIED: "primary",
    Outcome.DECLINED: "danger",
}


def decision_actions(case: CaseView) -> dict[str, Any] | None:
    """The decision buttons for the decision the case waits on (a decision, an endorsement or a
    ratification), or None when it waits on none (closed or deferred). Each button's action id is
    `decide_action(outcome)` and its value "<case id>:<round>", so a click on an old round's card
    is recognised as stale. Who may decide is checked by the service, not here."""
    kind = KIND_AT_STAGE.get(case.stage)
    if kind is None or case.stage is Stage.AWAITING_BOOKING:  # a meeting decides once a slot is booked
        return None
    buttons = []
    for outcome in OUTCOMES_FOR[kind]:
        button: dict[str, Any] = {
            "type": "button",
            "text": _plain(BUTTON_TEXT.get(outcome, OUTCOME_LABELS[outcome])),
            "action_id": decide_action(outcome.value),
            "value": f"{case.id}:{case.round}",
        }
        if style := _BUTTON_STYLE.get(outcome):
            button["style"] = style
        buttons.append(button)
    return {"type": "actions", "block_id": DECIDE_BLOCK, "elements": buttons}


def decision_words(decision: DecisionView) -> str:
    """"Approved by <@U…> at 10:42 on Tuesday 24 November 2026" (London clock)."""
    at = decision.decided_at
    who = mention(decision.decided_by)
    if decision.decided_for:
        who += f" for {mention(decision.decided_for)}"  # acting in cover
    return f"{OUTCOME_LABELS[decision.outcome]} by {who} at {clock_time(at)} on {long_date(at)}"


def decision_lines(decision: DecisionView, *, full: bool = True) -> list[str]:
    """The decision's reason and agreed amount, and with `full` its conditions and the information
    needed, as mrkdwn lines (the decider's words escaped). Never the practice concern."""
    lines = [f"*Reason:* {escape(decision.reason)}"]
    if decision.amended_weekly is not None:
        lines.append(f"*Agreed amount:* {weekly(decision.amended_weekly)}")
    if full and decision.conditions:
        lines.append(f"*Changes and conditions:* {escape(decision.conditions)}")
    if full and decision.info_needed:
        lines.append(f"*Information needed:* {escape(decision.info_needed)}")
    return lines


def reason_pointer(case: CaseView, decision: DecisionView) -> str:
    """Where a channel's reader finds what the decider wrote, without any of it: "The reason is in
    the decision notice sent to the people on the case, and in `/panel case 1234567`."."""
    what = ["reason"]
    if decision.conditions:
        what.append("conditions")
    if decision.info_needed:
        what.append("information needed")
    words = "The " + (what[0] if len(what) == 1 else ", ".join(what[:-1]) + " and " + what[-1])
    verb = "is" if len(what) == 1 else "are"
    return (f"{words} {verb} in the decision notice sent to the people on the case, "
            f"and in `{Command.PANEL} {Subcommand.CASE} {_ref(case)}`.")


def channel_decision_lines(case: CaseView, decision: DecisionView) -> list[str]:
    """A decision as a channel may see it: the agreed amount, if any, and where to read the reason.
    Never the reason, conditions or information needed (typed text)."""
    lines = []
    if decision.amended_weekly is not None:
        lines.append(f"*Agreed amount:* {weekly(decision.amended_weekly)}")
    lines.append(reason_pointer(case, decision))
    return lines


def _latest_decision_text(case: CaseView) -> str | None:
    if not case.decisions:
        return None
    latest = case.decisions[-1]
    return "\n".join([f"*{decision_words(latest)}*", *channel_decision_lines(case, latest)])


# --- The case card (channel) --------------------------------------------------------------------------


def _case_body(case: CaseView) -> list[dict[str, Any]]:
    """Amounts, route and reasons, attendance, evidence and the panel sitting: what the card and
    the details modal share. No free text."""
    blocks = [_fields(amount_fields(case)), _section(route_text(case))]
    if attendance := _attendance_lines(case, to_submitter=False):
        blocks.append(_section("*Attendance*\n" + "\n".join(attendance)))
    if evidence := _evidence_lines(case):
        blocks.append(_section("*Evidence*\n" + "\n".join(evidence)))
    if panel := _panel_text(case):
        blocks.append(_section(panel))
    if slot := _slot_text(case):
        blocks.append(_section(slot))
    return blocks


def case_card(case: CaseView) -> dict[str, Any]:
    """The one card per case in the deciding forum's channel: reference, amounts, route and its
    reasons (panelbot's words), evidence, the latest decision (outcome, by whom and when, agreed
    amount, where to read the reason), stage and who acts next, and the decision buttons while the
    case waits on a decision, endorsement or ratification. It is updated in place after each
    decision. Nothing anyone typed except the reference, and no record link: a channel sees it."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(cut(f"Case {case.reference}", _HEADER_TEXT))},
        *_case_body(case),
    ]
    if decided := _latest_decision_text(case):
        blocks.append(_section(decided))
    if waiting := _waiting_on(case):
        blocks.append(_section(waiting))
    notes = [f"*Stage:* {stage_words(case)}", _submitted(case)]
    if case.round > 1:
        resubmitted = any(decision.outcome is Outcome.DEFERRED for decision in case.decisions)
        notes.append(f"Resubmitted (round {case.round})" if resubmitted else
                     f"Changed at a review (round {case.round})")
    blocks.append(_context("  ·  ".join(notes)))
    if buttons := decision_actions(case):
        blocks.append(buttons)
    text = f"Case {_ref(case)}: {_request_words(case)} — {case.body_name}"
    return {"text": text, "blocks": blocks}


# --- The submitter's receipt (DM) and the submitted view ----------------------------------------------


def _receipt_next_step(case: CaseView) -> str | None:
    if _needs_booking(case):
        return f"Next: book a forum slot (button below, or `{Command.PANEL} {Subcommand.BOOK} {_ref(case)}`)"
    return next_step(case)


def _receipt_steps(case: CaseView) -> list[str]:
    steps = [f"{step}." for step in (_receipt_next_step(case), _late_sentence(case)) if step]
    steps += _attendance_lines(case, to_submitter=True)
    if missing := case_words.missing_evidence(case):
        steps.append("Evidence still missing: " + ", ".join(escape(item) for item in missing) + ".")
    elif case.evidence_required:
        steps.append("Evidence: everything asked for is attached.")
    return steps


def receipt_blocks(case: CaseView, *, open_button: bool = False) -> list[dict[str, Any]]:
    """The receipt, shared by the DM (`open_button=True`) and the modal the form turns into: a
    forum case still waiting for its slot gets a "Book a forum slot" button."""
    head = f"*Case {_ref(case)} is submitted:* {escape(_request_words(case))}.\n" + route_text(case)
    blocks = [_section(head), _section("\n".join(_receipt_steps(case)))]
    buttons = [open_case_button(case)] if open_button else []
    if _needs_booking(case):
        buttons.append({"type": "button", "text": _plain("Book a forum slot"), "action_id": Action.BOOK_SLOT.value,
                        "value": str(case.id)})
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def receipt_dm(case: CaseView) -> dict[str, Any]:
    """The submitter's DM after a submission: route, reasons, what happens next, what is missing."""
    blocks = receipt_blocks(case, open_button=True)
    text = f"Case {_ref(case)} is submitted: it goes to the {case.body_name}."
    return {"text": text, "blocks": blocks}


# --- The decider's notice (DM) ------------------------------------------------------------------------


def decider_notice(case: CaseView) -> dict[str, Any]:
    """The DM to the team manager (delegated) or each operations manager (urgent), with the
    decision buttons while the case waits on a decision."""
    if case.stage is Stage.AWAITING_SIGN_OFF:
        waits = "waits on your sign-off"
    elif case.stage is Stage.AWAITING_URGENT_DECISION:
        waits = "waits on your urgent decision"
    elif case.stage is Stage.AWAITING_ENDORSEMENT:
        waits = f"waits for endorsement at the {escape(case.follow_on_name or case.body_name)}"
    elif case.stage is Stage.AWAITING_RATIFICATION:
        waits = f"waits for ratification at the {escape(case.follow_on_name or case.body_name)}"
    else:
        waits = "waits on your decision"
    text = f"Case {_ref(case)} {waits}."
    blocks: list[dict[str, Any]] = [
        _section(f"*{text}*"),
        _fields(amount_fields(case)),
        _section(route_text(case)),
    ]
    if evidence := _evidence_lines(case):
        blocks.append(_section("*Evidence*\n" + "\n".join(evidence)))
    notes = [_submitted(case)]
    if case.urgent:
        notes.append("Open the case to read why it cannot wait.")
    blocks.append(_context("  ·  ".join(notes)))
    blocks.append({"type": "actions", "elements": [open_case_button(case)]})
    if buttons := decision_actions(case):
        blocks.append(buttons)  # the delegated sign-off, or the urgent decision, is made from here
    return {"text": text, "blocks": blocks}


# --- /panel mine --------------------------------------------------------------------------------------


def _mine_line(case: CaseView) -> str:
    parts = [
        f"*{_ref(case)}*",
        REQUEST_TYPE_LABELS[case.request_type],
        weekly(case.proposed_weekly),
        stage_words(case),
    ]
    if case.stage is Stage.LISTED and (sitting := _sitting_words(case)):
        parts[-1] += f" on {sitting}"  # the stage label already says "listed for the … Panel"
    elif is_waiting(case.stage) and (step := next_step(case)):
        parts.append(step)
    return " — ".join(parts)


def mine_message(cases: Sequence[CaseView], waiting: Sequence[str] = (), *, more: int = 0) -> dict[str, Any]:
    """The ephemeral answer to `/panel mine`: what waits on the caller (`waiting`, lines oldest first,
    and `more` not given), then the caller's cases, newest first, at most MINE_LIMIT."""
    first: list[dict[str, Any]] = []
    if waiting:
        first = [_section(cut(f"*Waiting on you ({len(waiting) + more})*\n" + "\n".join(waiting[:MINE_LIMIT]),
                              3000))]
        if hidden := max(len(waiting) - MINE_LIMIT, 0) + more:
            first.append(_context(f"and {hidden} more on your Home tab"))
    if not cases:
        text = f"You have no cases yet. Use `{Command.PANEL} {Subcommand.SUBMIT}` to send one."
        if waiting:
            text = f"Waiting on you: {len(waiting) + more}. You have submitted no cases."
        return {"response_type": "ephemeral", "text": text, "blocks": [*first, _section(text)]}
    newest_first = sorted(cases, key=lambda case: case.submitted_at, reverse=True)
    shown = newest_first[:MINE_LIMIT]
    text = f"Your cases, newest first ({len(cases)})"
    blocks: list[dict[str, Any]] = [*first, _section(f"*{text}*")]
    for case in shown:
        block = _section(_mine_line(case))
        block["accessory"] = open_case_button(case, "Open")
        blocks.append(block)
    if hidden := len(newest_first) - len(shown):
        blocks.append(_context(f"and {hidden} more"))
    return {"response_type": "ephemeral", "text": text, "blocks": blocks}


# --- Details (modal, role holders only) and the summary for everyone else ------------------------------


def _record_link(url: str) -> str:
    if any(char in url for char in "|<>"):
        return escape(url)
    return f"<{escape(url)}|Open the case record>"


_FREE_TEXT = (
    ("Strengths and eligible needs", "strengths_and_needs"),
    ("Outcomes", "outcomes"),
    ("Alternative support considered", "alternatives"),
    ("Why it cannot wait", "urgent_reason"),
)


def _history_blocks(case: CaseView) -> list[dict[str, Any]]:
    """Every decision so far, oldest first (the last _HISTORY_LIMIT of them), one section each."""
    if not case.decisions:
        return []
    shown = case.decisions[-_HISTORY_LIMIT:]
    blocks = [_section(f"*Decisions ({len(case.decisions)})*")]
    if hidden := len(case.decisions) - len(shown):
        blocks.append(_context(f"{hidden} earlier {'decision' if hidden == 1 else 'decisions'} not shown"))
    for decision in shown:
        blocks.append(_section("\n".join([f"*{decision_words(decision)}*", *decision_lines(decision)])))
    return blocks


def case_details_modal(case: CaseView) -> dict[str, Any]:
    """Everything about the case, free text included, as a modal, with its decision history (all
    rounds; never a practice concern). The caller opens it only for people with a role on the case;
    free text longer than a section holds is cut with "…"."""
    blocks: list[dict[str, Any]] = _case_body(case)
    people = [_submitted(case)]
    if case.team_manager:
        people.append(f"Team manager: {mention(case.team_manager)}")
    if case.deciders:
        people.append(f"Decides: {_deciders(case)}")
    if case.record_link:
        people.append(f"Case record: {_record_link(case.record_link)}")
    blocks.append(_section("\n".join(people)))
    blocks.append(_context(f"*Stage:* {stage_words(case)}"))
    blocks += _history_blocks(case)
    for heading, name in _FREE_TEXT:
        value = getattr(case, name)
        if value is None:
            continue
        # plain_text, so what a practitioner typed is shown as typed and can never become a mention.
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{heading}*"}})
        blocks.append({"type": "section", "text": _plain(cut(value, _SECTION_TEXT) if value.strip() else "—")})
    return {
        "type": "modal",
        "callback_id": Callback.CASE_DETAILS.value,
        "title": _plain(cut(f"Case {case.reference}", _MODAL_TITLE)),
        "close": _plain("Close"),
        "blocks": blocks,
    }


def case_summary_message(case: CaseView) -> dict[str, Any]:
    """The ephemeral answer for someone without a role on the case: reference, route and stage."""
    text = f"Case {_ref(case)}: {case.body_name}, {stage_words(case)}."
    body = f"*{text}*\nOnly people with a role on this case can see its details."
    return {"response_type": "ephemeral", "text": text, "blocks": [_section(body)]}


# --- Withdrawing a case (modal) ----------------------------------------------------------------------------


def withdraw_modal(case: CaseView) -> dict[str, Any]:
    """The form the worker or their team manager fills in to withdraw a case not yet decided."""
    return {
        "type": "modal",
        "callback_id": Callback.WITHDRAW_FORM.value,
        "private_metadata": str(case.id),
        "title": _plain(cut(f"Withdraw {case.reference}", _MODAL_TITLE)),
        "submit": _plain("Withdraw"),
        "close": _plain("Keep it"),
        "blocks": [
            _section(f"*Case {_ref(case)}:* {escape(_request_words(case))} — {escape(case.body_name)}, "
                     f"{stage_words(case)}."),
            _context("Withdrawing frees any booked slot, stops its reminders and tells the deciders. The reason "
                     "goes to the people on the case, never to a channel."),
            {"type": "input", "block_id": WithdrawField.REASON.value, "label": _plain("Why is it withdrawn?"),
             "element": {"type": "plain_text_input", "action_id": VALUE, "multiline": True,
                         "max_length": 3000}},
        ],
    }


# The shared sentences (messages/case_words.py), escaped for mrkdwn as a whole.
def _evidence_lines(case: CaseView) -> list[str]:
    return [escape(line) for line in case_words.evidence_lines(case)]


def _sitting_words(case: CaseView) -> str | None:
    words = case_words.sitting_words(case)
    return escape(words) if words else None


def _panel_sentence(case: CaseView) -> str | None:
    words = case_words.panel_sentence(case)
    return escape(words) if words else None


def _late_sentence(case: CaseView) -> str | None:
    words = case_words.late_sentence(case)
    return escape(words) if words else None


def stage_words(case: CaseView) -> str:
    return escape(case_words.stage_words(case))


def _tier_words(case: CaseView) -> str:
    return escape(case_words.tier_words(case))


office = case_words.office
