"""Decisions: the decision form, the reply in the case's thread, the notices to the worker and to
the worker's line manager, the answers to a late or unpermitted click, and the SEND panel's agenda.

The decision buttons themselves (`decision_actions`) live in messages/slack/cases.py, because the case
card and the decider's notice carry them; this module imports them from there, never the other way.

Privacy (DESIGN.md §4): the thread reply and the panel agenda go to channels, so they carry the
case reference, amounts, stages, the outcome, who decided and when, and where to read the reason;
never anything a decider typed (reason, conditions, information needed), because people type
names into them, and never a case's free-text fields or record link. The reason, conditions and
information needed go only to people with a role on the case: the decision notice to the worker
and the AP/SM, and the case's details modal. The practice concern and its recommended actions go
only to the worker's line manager, in `practice_concern_dm`, shown as plain text so nothing typed
there can mention anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.domain.cases import STAGE_LABELS, CaseView
from bot.domain.decisions import (
    KIND_AT_STAGE,
    MAX_TEXT,
    MAX_WEEKLY,
    OUTCOME_LABELS,
    OUTCOMES_FOR,
    Attendance,
    DecisionKind,
    DecisionView,
    Outcome,
    PanelAgenda,
)
from bot.domain.routing import REQUEST_TYPE_LABELS
from messages import decision_steps
from messages.slack.cases import (
    amount_fields,
    channel_decision_lines,
    decision_actions,
    decision_lines,
    decision_words,
    office,
    open_case_button,
    route_text,
)
from messages.slack.format import clock_time, count, cut, escape, long_date, mention, slack_words, weekly
from messages.slack.ids import VALUE, Action, AttendanceField, Callback, DecisionField

__all__ = [
    "MODAL_TITLES",
    "already_decided",
    "decision_actions",
    "decision_modal",
    "decision_notice_dm",
    "decision_thread_reply",
    "not_allowed",
    "panel_agenda_message",
    "practice_concern_dm",
]

_MESSAGE_BLOCKS = 50
_BLOCKS_TEXT = 12_000  # characters of text in a message's blocks, all told (msg_blocks_too_long beyond)
_SECTION_TEXT = 3000
_FIELD_TEXT = 2000
_HEADER_TEXT = 150
_THREAD_HINT = "Sent to the people on the case, never to the channel. Keep it to what the decision needs."

# The decision form's title for each outcome (a modal title holds 24 characters).
MODAL_TITLES = {
    Outcome.APPROVED: "Approve case",
    Outcome.APPROVED_WITH_CHANGES: "Approve with changes",
    Outcome.DEFERRED: "Defer case",
    Outcome.DECLINED: "Decline case",
    Outcome.ENDORSED: "Endorse decision",
    Outcome.NOT_ENDORSED: "Don't endorse decision",
    Outcome.RATIFIED: "Ratify decision",
    Outcome.NOT_RATIFIED: "Don't ratify decision",
    Outcome.WITHDRAWN: "Withdraw case",
    Outcome.EXPIRED: "Record expiry",
}


# --- Block pieces -----------------------------------------------------------------------------------


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, _SECTION_TEXT)}}


def _plain_section(text: str) -> dict[str, Any]:
    """Someone's own words, shown as typed: plain text can never become a mention or a link."""
    return {"type": "section", "text": _plain(cut(text, _SECTION_TEXT) if text.strip() else "—")}


def _fields(items: Sequence[str]) -> dict[str, Any]:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": cut(item, _FIELD_TEXT)} for item in items[:10]]}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, _SECTION_TEXT)}]}


def _bullets(lines: Sequence[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def _text_input(field: DecisionField, label: str, *, hint: str | None = None,
                optional: bool = False) -> dict[str, Any]:
    element = {"type": "plain_text_input", "action_id": VALUE, "multiline": True, "max_length": MAX_TEXT}
    block: dict[str, Any] = {"type": "input", "block_id": field.value, "label": _plain(label), "element": element}
    if hint:
        block["hint"] = _plain(hint)
    if optional:
        block["optional"] = True
    return block


# --- Words ------------------------------------------------------------------------------------------


def _ref(reference: str) -> str:
    return escape(reference)


def _request(case: CaseView) -> str:
    """"direct payment £310.00/wk"."""
    return f"{REQUEST_TYPE_LABELS[case.request_type]} {weekly(case.proposed_weekly)}"




def _decision_sections(decision: DecisionView) -> list[dict[str, Any]]:
    """Reason, agreed amount, conditions, information needed: a section each, so a long reason
    cannot push the others out of a 3,000-character section."""
    return [_section(line) for line in decision_lines(decision)]


def _latest(case: CaseView) -> DecisionView | None:
    return case.decisions[-1] if case.decisions else None


# --- The decision form ----------------------------------------------------------------------------------


def decision_modal(case: CaseView, outcome: Outcome) -> dict[str, Any]:
    """The form a decision button opens. `private_metadata` is "<case id>:<round>:<outcome>".

    Every outcome asks for a reason; approved with changes asks for the agreed weekly amount
    (starting at the proposed one) and the conditions; deferred asks what information is needed.
    A decision (not an endorsement or ratification) may record a practice concern with its
    recommended actions, which go only to the worker's line manager. Block ids are DecisionField
    values and every input's action id is VALUE. `outcome` may also be an Outcome's string value.
    """
    outcome = Outcome(outcome)
    blocks: list[dict[str, Any]] = [
        _section(f"*Case {_ref(case.reference)}:* {_request(case)}"),
        _fields(amount_fields(case)),
        _section(route_text(case)),
    ]
    is_decision = outcome in OUTCOMES_FOR[DecisionKind.DECISION]
    if not is_decision and (latest := _latest(case)):
        lines = [f"*The decision:* {decision_words(latest)}", *decision_lines(latest)]
        blocks.append(_section("\n".join(lines)))
    blocks.append({"type": "divider"})
    blocks.append(_text_input(DecisionField.REASON, "Reason", hint=_THREAD_HINT))
    if outcome is Outcome.APPROVED_WITH_CHANGES:
        blocks.append({
            "type": "input",
            "block_id": DecisionField.AMENDED_WEEKLY.value,
            "label": _plain("Agreed weekly amount (£)"),
            "element": {
                "type": "number_input",
                "action_id": VALUE,
                "is_decimal_allowed": True,
                "initial_value": f"{case.proposed_weekly:.2f}",
                "min_value": "0",
                "max_value": f"{MAX_WEEKLY:.2f}",
            },
        })
        blocks.append(_text_input(DecisionField.CONDITIONS, "Changes and conditions", hint=_THREAD_HINT))
    if outcome is Outcome.DEFERRED:
        blocks.append(_text_input(DecisionField.INFO_NEEDED, "What information is needed", hint=_THREAD_HINT))
    if is_decision:
        blocks.append(_text_input(DecisionField.PRACTICE_CONCERN, "Practice concern", optional=True,
                                  hint="Sent only to the worker's line manager"))
        blocks.append(_text_input(DecisionField.CONCERN_ACTIONS, "Recommended actions", optional=True,
                                  hint="Needed when you record a practice concern. Sent only to the line manager."))
    return {
        "type": "modal",
        "callback_id": Callback.DECISION_FORM.value,
        "private_metadata": f"{case.id}:{case.round}:{outcome.value}",
        "title": _plain(MODAL_TITLES[outcome]),
        "submit": _plain("Record decision"),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }


# --- The reply in the case's thread (channel) ------------------------------------------------------------


def decision_thread_reply(case: CaseView, decision: DecisionView) -> dict[str, Any]:
    """The decision, posted in the case card's thread (a channel): outcome, who and when (London
    clock), the agreed amount, where to read the reason, the request, amount and route, and the
    case's new stage. Nothing the
    decider typed (reason, conditions, information needed, practice concern) and none of the
    case's free text, whatever `decision` carries."""
    stage = decision_steps.stage_after(case, decision)
    blocks = [
        _section("\n".join([f"*Case {_ref(case.reference)}: {decision_words(decision)}*",
                            *channel_decision_lines(case, decision)])),
        _context(f"{_request(case)}, {escape(case.body_name)}  ·  *Stage now:* {STAGE_LABELS[stage]}"),
    ]
    text = f"Case {_ref(case.reference)}: {OUTCOME_LABELS[decision.outcome]} by {mention(decision.decided_by)}" + \
        (f" for {mention(decision.decided_for)}." if decision.decided_for else ".")
    return {"text": text, "blocks": blocks}


# --- The decision notice (DM to the worker and the AP/SM) ------------------------------------------------




def decision_notice_dm(case: CaseView, decision: DecisionView) -> dict[str, Any]:
    """The DM to the worker and to the advanced practitioner / service manager: the decision with its
    reason, what to do next, and an "Open the case" button. Never the practice concern."""
    text = f"Case {_ref(case.reference)}: {OUTCOME_LABELS[decision.outcome]}."
    blocks = [
        _section(f"*Case {_ref(case.reference)}: {decision_words(decision)}*"),
        *_decision_sections(replace(decision, info_needed=None)),  # the next steps say what is needed
        _section("*Next steps*\n" + _bullets([slack_words(escape(step))
                                               for step in decision_steps.next_steps(case, decision)])),
        _context(f"*Stage now:* {STAGE_LABELS[decision_steps.stage_after(case, decision)]}"),
        {"type": "actions", "elements": [open_case_button(case)]},
    ]
    return {"text": text, "blocks": blocks}


# --- The practice concern (DM to the worker's line manager only) -----------------------------------------


def practice_concern_dm(case: CaseView, decision: DecisionView) -> dict[str, Any]:
    """The DM to the worker's line manager when a decision recorded a practice concern: the concern
    and the recommended actions as typed (plain text), who recorded it and when, and whose case it
    is. Raises ValueError for a decision with no practice concern."""
    if not decision.practice_concern:
        raise ValueError("the decision recorded no practice concern")
    text = f"A practice concern was recorded at the decision on case {_ref(case.reference)}."
    blocks = [
        _section(f"*{text}*\n{decision_words(decision)}. Worker: {mention(case.submitter)}."),
        _section("*Practice concern*"),
        _plain_section(decision.practice_concern),
        _section("*Recommended actions*"),
        _plain_section(decision.concern_actions or ""),
        _context("Sent only to you as the worker's line manager: it is not in the case's thread."),
    ]
    return {"text": text, "blocks": blocks}


# --- Short answers to a click ---------------------------------------------------------------------------


def already_decided(case_reference: str, decision: DecisionView) -> str:
    """"Case 1234567 was already decided: Approved by <@U…> at 10:42 on Tuesday 24 November 2026."."""
    return f"Case {_ref(case_reference)} was already decided: {decision_words(decision)}."


def not_allowed(reason: str) -> str:
    """The ephemeral answer to someone who may not decide; `reason` is the service's sentence."""
    return f"🚫 {reason}"


# --- The SEND panel's agenda (channel) --------------------------------------------------------------------


def _mentions(ids: Sequence[str]) -> str:
    return ", ".join(mention(who) for who in ids) or "not set"


def _agenda_line(case: CaseView) -> str:
    """"case 3456789 · direct payment £310.00/wk · 45 hours a month · *practitioner must attend* · <@…>"."""
    parts = [f"case {_ref(case.reference)}", _request(case)]
    if case.hours_per_month is not None:
        parts.append(f"{count(case.hours_per_month, 'hour')} a month")
    if case.practitioner_must_attend:
        parts.append("*practitioner must attend*")
    if case.panel is not None and case.panel.carried_from is not None:
        parts.append(f"_carried from {long_date(case.panel.carried_from)}_")
    parts.append(mention(case.submitter))
    if case.attendee:
        parts.append(f"with {mention(case.attendee)}")
    return " · ".join(parts)


def _follow_on_line(case: CaseView) -> str:
    """"case 4567890 · new package £500.00/wk · endorsement of: Approved by <@…> at … · <@…>"."""
    kind = KIND_AT_STAGE.get(case.stage)
    step = kind.value if kind in (DecisionKind.ENDORSEMENT, DecisionKind.RATIFICATION) else "a follow-on step"
    parts = [f"case {_ref(case.reference)}", _request(case)]
    if latest := _latest(case):
        follows = f"{step} of: {decision_words(latest)}"
        if latest.amended_weekly is not None:
            follows += f", agreed at {weekly(latest.amended_weekly)}"
        parts.append(follows)
    else:
        parts.append(step)
    parts.append(mention(case.submitter))
    return " · ".join(parts)


def _pack(heading: str, lines: Sequence[str], most: int, chars: int = _BLOCKS_TEXT) -> list[dict[str, Any]]:
    """`heading` and `lines` packed into as few sections of 3,000 characters as they fit, at most
    `most` blocks and `chars` characters of text in all (Slack refuses a message whose blocks hold
    more than 12,000: msg_blocks_too_long); lines beyond are counted in a closing "and N more" context."""
    lines = [cut(line, _SECTION_TEXT) for line in lines]
    groups = _groups(heading, lines, len(lines), most, chars)
    if groups is not None:
        return [_section("\n".join(group)) for group in groups]
    if most <= 0:
        return []
    kept = _groups(heading, lines, None, most - 1, chars - _MORE_TEXT) or []
    shown = sum(len(group) for group in kept) - (1 if kept else 0)  # the heading is not a line
    return [*(_section("\n".join(group)) for group in kept), _context(f"and {len(lines) - shown} more")]


_MORE_TEXT = 40  # room kept for "and N more"


def _groups(heading: str, lines: Sequence[str], wanted: int | None, most: int,
            chars: int) -> list[list[str]] | None:
    """The heading and the lines in sections of 3,000 characters, as many lines as fit in `most` sections
    and `chars` characters; None if that is fewer than `wanted` (None: as many as fit, maybe none)."""
    if most <= 0 or len(heading) > chars:
        return None if wanted else []
    groups, length, total = [[heading]], len(heading), len(heading)
    for line in lines:
        if length + 1 + len(line) <= _SECTION_TEXT:
            grown, new_group = length + 1 + len(line), False
        else:
            grown, new_group = len(line), True
        if total + (grown - length if not new_group else grown) > chars or (new_group and len(groups) >= most):
            break
        if new_group:
            groups.append([line])
        else:
            groups[-1].append(line)
        total += grown - length if not new_group else grown
        length = grown
    shown = sum(len(group) for group in groups) - 1
    return None if wanted is not None and shown < wanted else groups


def _needed(heading: str, lines: Sequence[str]) -> int:
    return len(_pack(heading, lines, _MESSAGE_BLOCKS))


def _text_length(blocks: list[dict[str, Any]]) -> int:
    """The characters of every `text` in `blocks`, as Slack counts them against its 12,000."""
    def texts(value: Any) -> int:
        if isinstance(value, dict):
            own = len(value["text"]) if isinstance(value.get("text"), str) else 0
            return own + sum(texts(v) for k, v in value.items() if k != "text" or not isinstance(v, str))
        if isinstance(value, list):
            return sum(texts(item) for item in value)
        return 0
    return texts(blocks)


def panel_agenda_message(agenda: PanelAgenda) -> dict[str, Any]:
    """The SEND Quality Assurance Panel's agenda, posted in its channel at the papers cut-off: the
    sitting, chair and deputy, when papers were due, one line per case for a decision (flagging
    those the practitioner must attend), then the cases waiting for endorsement or ratification with
    the decision each follows. At most 50 blocks: a very long list ends with "and N more"."""
    place = f", {office(agenda.location)}" if agenda.location else ""
    title = f"{agenda.body_name} — {long_date(agenda.day)}, {clock_time(agenda.starts_at)}{place}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(cut(title, _HEADER_TEXT))},
        _section(f"*Chair:* {_mentions(agenda.chair)}\n*Deputy:* {_mentions(agenda.deputy)}"),
        _context(
            f"Papers were due {long_date(agenda.papers_due)}  ·  {_cases(len(agenda.cases))} for a decision"
            f"  ·  {len(agenda.follow_ons)} for endorsement or ratification"
        ),
    ]
    decide_heading = f"*For a decision ({len(agenda.cases)})*"
    decide_lines = [_agenda_line(case) for case in agenda.cases] or ["No cases are listed for this panel."]
    follow_heading = f"*For endorsement / ratification ({len(agenda.follow_ons)})*"
    follow_lines = [_follow_on_line(case) for case in agenda.follow_ons]

    actions = []
    if agenda.quorum:
        blocks.append(_context(f"Quorum: {', '.join(agenda.quorum)} present. The chair or a panel admin records who "
                               "is present before the panel decides."))
        actions = [{"type": "actions", "elements": [{
            "type": "button", "text": _plain("Record who is present"), "action_id": Action.RECORD_ATTENDANCE.value,
            "value": f"{agenda.body}:{agenda.day.isoformat()}"}]}]
    room = _MESSAGE_BLOCKS - len(blocks) - len(actions)
    chars = _BLOCKS_TEXT - _text_length(blocks) - _text_length(actions)
    follow_most, follow_chars = 0, 0
    if follow_lines:
        need_decide, need_follow = _needed(decide_heading, decide_lines), _needed(follow_heading, follow_lines)
        follow_most = min(need_follow, max(room - need_decide, room // 2))
        follow_chars = chars // 2 if follow_most else 0
    decided = _pack(decide_heading, decide_lines, room - follow_most, chars - follow_chars)
    blocks += decided
    if follow_lines:
        blocks += _pack(follow_heading, follow_lines, follow_most, chars - _text_length(decided))
    blocks += actions
    text = (
        f"{agenda.body_name} — {long_date(agenda.day)}: {_cases(len(agenda.cases))} for a decision, "
        f"{len(agenda.follow_ons)} for endorsement or ratification"
    )
    return {"text": text, "blocks": blocks}


def _cases(n: int) -> str:
    return "1 case" if n == 1 else f"{n} cases"


# --- Attendance at a panel's sitting (quorum) ------------------------------------------------------------


def attendance_modal(attendance: Attendance) -> dict[str, Any]:
    """The form the chair or a panel admin fills in from the agenda: who is present at the sitting."""
    element: dict[str, Any] = {"type": "multi_users_select", "action_id": VALUE,
                               "placeholder": _plain("Choose everyone present")}
    if attendance.present:
        element["initial_users"] = list(attendance.present)
    quorum = ", ".join(attendance.quorum) or "none"
    return {
        "type": "modal",
        "callback_id": Callback.ATTENDANCE_FORM.value,
        "private_metadata": f"{attendance.body}:{attendance.day.isoformat()}",
        "title": _plain("Who is present"),
        "submit": _plain("Record"),
        "close": _plain("Cancel"),
        "blocks": [
            _section(cut(f"*{escape(attendance.body_name)}* — {long_date(attendance.day)}", 3000)),
            _context(cut(f"Quorum: {escape(quorum)}.", 3000)),
            {"type": "input", "block_id": AttendanceField.PRESENT.value, "label": _plain("Present"),
             "element": element},
        ],
    }


def attendance_text(attendance: Attendance) -> str:
    """What the form turns into once recorded: how many are present, and whether the panel is quorate."""
    people = len(attendance.present)
    head = f"Recorded {people} {'person' if people == 1 else 'people'} present at the {escape(attendance.body_name)} " \
           f"on {long_date(attendance.day)}."
    if attendance.quorate:
        return f"{head} The panel is quorate and may decide."
    return f"{head} It is not quorate yet: it needs {escape(' and '.join(attendance.missing))}."
