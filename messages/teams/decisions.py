"""Decisions in Teams: the decision form, the reply under the case card, the notices to the worker and
to the worker's line manager, the answers to a late or unpermitted press, and the SEND panel's
agenda with its attendance form. The Teams counterpart of messages/slack/decisions.py.

Privacy (DESIGN.md §4): the reply under the case card and the panel agenda go to channels, so they
carry the case reference, amounts, stages, the outcome, who decided and when, and where to read the
reason; never anything a decider typed, nor a case's free text or record link. The reason,
conditions and information needed go only to people with a role on the case, in personal chat (the
decision notice, the details card). The practice concern and its recommended actions go only to the
worker's line manager (`practice_concern`).

The decision form is the answer to a decision button on the channel card, so it is channel-safe
too: unlike Slack's modal it does not repeat the earlier decision's reason to the body endorsing
it (it says where to read it), and a refused form comes back with the agreed amount filled in but
never the text that was typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from messages.teams.cases import (
    amount_facts,
    channel_decision_lines,
    decision_actions,
    decision_lines,
    decision_words,
    office,
    open_case_button,
    route_blocks,
)
from messages.teams.elements import (
    NO_NAMES,
    Card,
    Names,
    bold,
    bullets,
    card,
    choice_input,
    execute,
    facts,
    fit,
    heading,
    number_input,
    para,
    people,
    person,
    separator,
    teams_words,
    text_input,
)
from messages.teams.ids import AttendanceInput, DecisionInput, Key, Verb
from messages.words import clock_time, count, cut, long_date, weekly

__all__ = [
    "FORM_TITLES",
    "already_decided",
    "attendance_form",
    "attendance_text",
    "decision_actions",
    "decision_form",
    "decision_notice",
    "not_allowed",
    "panel_agenda",
    "practice_concern",
    "thread_reply",
]

_AGENDA_LINES = 80  # lines per list the panel agenda shows before "and N more" (fewer if they do not fit)
_THREAD_HINT = "Sent to the people on the case, never to the channel. Keep it to what the decision needs."

FORM_TITLES = {
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


def _request(case: CaseView) -> str:
    """"direct payment £310.00/wk"."""
    return f"{REQUEST_TYPE_LABELS[case.request_type]} {weekly(case.proposed_weekly)}"




def _latest(case: CaseView) -> DecisionView | None:
    return case.decisions[-1] if case.decisions else None


# --- The decision form ----------------------------------------------------------------------------------


def decision_form(case: CaseView, outcome: Outcome | str, *, errors: Mapping[str, str] | None = None,
                  amended_weekly: str | None = None, names: Names = NO_NAMES) -> Card:
    """The form a decision button answers with. Submit: Verb.RECORD_DECISION with the case, its round
    and the outcome; the inputs are DecisionInput (read_decision's keys).

    Every outcome asks for a reason; approved with changes asks for the agreed weekly amount
    (starting at the proposed one, or `amended_weekly` as last entered) and the conditions; deferred
    asks what information is needed. A decision (not an endorsement or ratification) may record a
    practice concern with its recommended actions, which go only to the worker's line manager.
    `errors` (DecisionFormError.errors, worded) shows each refusal under its field."""
    outcome = Outcome(outcome)
    errors = errors or {}
    body: list[dict[str, Any]] = [
        heading(FORM_TITLES[outcome]),
        para(bold(f"Case {case.reference}: "), _request(case)),
        facts(amount_facts(case)),
        *route_blocks(case),
    ]
    is_decision = outcome in OUTCOMES_FOR[DecisionKind.DECISION]
    if not is_decision and (latest := _latest(case)):
        body.append(para(bold("The decision: "), decision_words(latest, names)))
        body += channel_decision_lines(case, latest)
    if errors:
        body.append(para("Please put right what is marked below.", color="attention"))
    body.append(separator())
    body += text_input(DecisionInput.REASON, "Reason", required=True, multiline=True, max_length=MAX_TEXT,
                       hint=_THREAD_HINT, error=errors.get(DecisionInput.REASON),
                       needed="A reason is required for every decision.")
    if outcome is Outcome.APPROVED_WITH_CHANGES:
        try:
            start = float(amended_weekly.replace("£", "").replace(",", "")) if amended_weekly else None
        except ValueError:
            start = None
        body += number_input(DecisionInput.AMENDED_WEEKLY, "Agreed weekly amount (£)", required=True, minimum=0,
                             maximum=float(MAX_WEEKLY),
                             value=start if start is not None else float(case.proposed_weekly),
                             error=errors.get(DecisionInput.AMENDED_WEEKLY),
                             needed="Enter the agreed weekly amount in pounds, like 380.00.")
        body += text_input(DecisionInput.CONDITIONS, "Changes and conditions", required=True, multiline=True,
                           max_length=MAX_TEXT, hint=_THREAD_HINT, error=errors.get(DecisionInput.CONDITIONS),
                           needed="Say what changes or conditions come with the approval.")
    if outcome is Outcome.DEFERRED:
        body += text_input(DecisionInput.INFO_NEEDED, "What information is needed", required=True, multiline=True,
                           max_length=MAX_TEXT, hint=_THREAD_HINT, error=errors.get(DecisionInput.INFO_NEEDED),
                           needed="Say what information is needed before the case comes back.")
    if is_decision:
        body += text_input(DecisionInput.PRACTICE_CONCERN, "Practice concern", required=False, multiline=True,
                           max_length=MAX_TEXT, hint="Sent only to the worker's line manager",
                           error=errors.get(DecisionInput.PRACTICE_CONCERN))
        body += text_input(DecisionInput.CONCERN_ACTIONS, "Recommended actions", required=False, multiline=True,
                           max_length=MAX_TEXT,
                           hint="Needed when you record a practice concern. Sent only to the line manager.",
                           error=errors.get(DecisionInput.CONCERN_ACTIONS))
    data = {Key.CASE: case.id, Key.ROUND: case.round, Key.OUTCOME: outcome.value}
    actions = [execute("Record decision", Verb.RECORD_DECISION, data, style="positive"),
               execute("Cancel", Verb.CLOSE_FORM, {Key.CASE: case.id})]
    return card(body, actions, summary=f"{FORM_TITLES[outcome]}: case {case.reference}")


# --- The reply under the case card (channel) ------------------------------------------------------------


def thread_reply(case: CaseView, decision: DecisionView, names: Names = NO_NAMES) -> Card:
    """The decision, posted as a reply to the case card (a channel): outcome, who and when (London
    clock), the agreed amount, where to read the reason, the request and body, and the case's new
    stage. Nothing the decider typed and none of the case's free text, whatever `decision` carries."""
    stage = decision_steps.stage_after(case, decision)
    body = [
        para(bold(f"Case {case.reference}: {decision_words(decision, names)}")),
        *channel_decision_lines(case, decision),
        para(f"{_request(case)}, {case.body_name}  ·  Stage now: {STAGE_LABELS[stage]}", subtle=True),
    ]
    summary = f"Case {case.reference}: {OUTCOME_LABELS[decision.outcome]} by {person(decision.decided_by, names)}" + \
        (f" for {person(decision.decided_for, names)}." if decision.decided_for else ".")
    return card(body, summary=summary)


# --- The decision notice (personal chat, the worker and the AP/SM) -----------------------------------------




def decision_notice(case: CaseView, decision: DecisionView, names: Names = NO_NAMES) -> Card:
    """The message to the worker and to the advanced practitioner / service manager: the decision with
    its reason, what to do next, and "Open the case". Never the practice concern."""
    body = [
        para(bold(f"Case {case.reference}: {decision_words(decision, names)}")),
        *decision_lines(replace(decision, info_needed=None)),  # the next steps say what is needed
        para(bold("Next steps")),
        *bullets([teams_words(step, names)
                  for step in decision_steps.next_steps(case, decision, limit=MAX_TEXT)]),
        para(f"Stage now: {STAGE_LABELS[decision_steps.stage_after(case, decision)]}", subtle=True),
    ]
    return card(body, [open_case_button(case.id)],
                summary=f"Case {case.reference}: {OUTCOME_LABELS[decision.outcome]}.")


# --- The practice concern (personal chat, the worker's line manager only) ------------------------------


def practice_concern(case: CaseView, decision: DecisionView, names: Names = NO_NAMES) -> Card:
    """The message to the worker's line manager when a decision recorded a practice concern: the
    concern and the recommended actions as typed, who recorded it and when, and whose case it is.
    Raises ValueError for a decision with no practice concern."""
    if not decision.practice_concern:
        raise ValueError("the decision recorded no practice concern")
    text = f"A practice concern was recorded at the decision on case {case.reference}."
    body = [
        para(bold(text)),
        para(f"{decision_words(decision, names)}. Worker: {person(case.submitter, names)}.", tight=True),
        para(bold("Practice concern")),
        para(cut(decision.practice_concern, MAX_TEXT), tight=True),
        para(bold("Recommended actions")),
        para(cut(decision.concern_actions or "—", MAX_TEXT), tight=True),
        para("Sent only to you as the worker's line manager: it is not under the case card.", subtle=True),
    ]
    return card(body, summary=text)


# --- Short answers to a press ---------------------------------------------------------------------------


def already_decided(case_reference: str, decision: DecisionView, names: Names = NO_NAMES) -> str:
    """"Case 1234567 was already decided: Approved by … at 10:42 on Tuesday 24 November 2026."."""
    return f"Case {case_reference} was already decided: {decision_words(decision, names)}."


def not_allowed(reason: str) -> str:
    """The answer to someone who may not decide; `reason` is the service's sentence."""
    return f"🚫 {reason}"


# --- The SEND panel's agenda (channel) --------------------------------------------------------------------


def _agenda_line(case: CaseView, names: Names) -> list[Any]:
    """case 3456789 · direct payment £310.00/wk · 45 hours a month · practitioner must attend · worker."""
    parts: list[Any] = [f"case {case.reference} · {_request(case)}"]
    if case.hours_per_month is not None:
        parts.append(f" · {count(case.hours_per_month, 'hour')} a month")
    if case.practitioner_must_attend:
        parts += [" · ", bold("practitioner must attend")]
    if case.panel is not None and case.panel.carried_from is not None:
        parts.append(f" · carried from {long_date(case.panel.carried_from)}")
    parts.append(f" · {person(case.submitter, names)}")
    if case.attendee:
        parts.append(f" with {person(case.attendee, names)}")
    return parts


def _follow_on_line(case: CaseView, names: Names) -> str:
    """"case 4567890 · new package £500.00/wk · endorsement of: Approved by … · worker"."""
    kind = KIND_AT_STAGE.get(case.stage)
    step = kind.value if kind in (DecisionKind.ENDORSEMENT, DecisionKind.RATIFICATION) else "a follow-on step"
    parts = [f"case {case.reference}", _request(case)]
    if latest := _latest(case):
        follows = f"{step} of: {decision_words(latest, names)}"
        if latest.amended_weekly is not None:
            follows += f", agreed at {weekly(latest.amended_weekly)}"
        parts.append(follows)
    else:
        parts.append(step)
    parts.append(person(case.submitter, names))
    return " · ".join(parts)


def _cases(n: int) -> str:
    return "1 case" if n == 1 else f"{n} cases"


def panel_agenda(agenda: PanelAgenda, names: Names = NO_NAMES) -> Card:
    """The SEND Quality Assurance Panel's agenda, posted in its channel at the papers cut-off: the
    sitting, chair and deputy, when papers were due, one line per case for a decision (flagging those
    the practitioner must attend), then the cases waiting for endorsement or ratification with the
    decision each follows, and with a quorum "Record who is present". A list too long for one Teams
    message ends with "and N more"."""
    place = f", {office(agenda.location)}" if agenda.location else ""
    title = f"{agenda.body_name} — {long_date(agenda.day)}, {clock_time(agenda.starts_at)}{place}"
    decide = [_agenda_line(case, names) for case in agenda.cases]
    follow = [_follow_on_line(case, names) for case in agenda.follow_ons]
    actions = []
    if agenda.quorum:
        actions = [execute("Record who is present", Verb.RECORD_ATTENDANCE,
                           {Key.BODY: agenda.body, Key.DAY: agenda.day.isoformat()})]

    def build(most: int) -> Card:
        body: list[dict[str, Any]] = [
            heading(title),
            para(bold("Chair: "), people(agenda.chair, names)),
            para(bold("Deputy: "), people(agenda.deputy, names), tight=True),
            para(f"Papers were due {long_date(agenda.papers_due)}  ·  {_cases(len(agenda.cases))} for a decision"
                 f"  ·  {len(agenda.follow_ons)} for endorsement or ratification", subtle=True),
        ]
        if agenda.quorum:
            body.append(para(f"Quorum: {', '.join(agenda.quorum)} present. The chair or a panel admin records who "
                             "is present before the panel decides.", subtle=True))
        body.append(para(bold(f"For a decision ({len(agenda.cases)})")))
        body += bullets(decide[:most]) if decide else [para("No cases are listed for this panel.", tight=True)]
        if len(decide) > most:
            body.append(para(f"and {len(decide) - most} more", subtle=True, tight=True))
        if follow:
            body.append(para(bold(f"For endorsement / ratification ({len(follow)})")))
            body += bullets(follow[:most])
            if len(follow) > most:
                body.append(para(f"and {len(follow) - most} more", subtle=True, tight=True))
        return card(body, actions, summary=f"{agenda.body_name} — {long_date(agenda.day)}: "
                                           f"{_cases(len(agenda.cases))} for a decision, {len(agenda.follow_ons)} "
                                           "for endorsement or ratification")

    return fit(build, _AGENDA_LINES)


# --- Attendance at a panel's sitting (quorum) ------------------------------------------------------------


def attendance_form(attendance: Attendance, candidates: Sequence[str], names: Names = NO_NAMES, *,
                    error: str | None = None) -> Card:
    """The form the chair or a panel admin fills in from the agenda: who is present, ticked from
    `candidates` (the panel's members and chairs, as ids; those already recorded start ticked).
    Submit: Verb.SAVE_ATTENDANCE with the body and day; AttendanceInput.PRESENT answers the ticked
    ids joined by commas. `error`: why the last answer was refused, shown under the list."""
    quorum = ", ".join(attendance.quorum) or "none"
    who = list(dict.fromkeys([*candidates, *attendance.present]))
    body = [
        heading("Who is present"),
        para(bold(attendance.body_name), f" — {long_date(attendance.day)}"),
        para(f"Quorum: {quorum}.", subtle=True),
        *choice_input(AttendanceInput.PRESENT, "Present", [(person(one, names), one) for one in who[:100]],
                      required=True, multi=True, expanded=True, value=",".join(attendance.present),
                      needed="Tick everyone present.", error=error),
    ]
    data = {Key.BODY: attendance.body, Key.DAY: attendance.day.isoformat()}
    return card(body, [execute("Record", Verb.SAVE_ATTENDANCE, data, style="positive"),
                       execute("Cancel", Verb.CLOSE_FORM)], summary=f"Who is present: {attendance.body_name}")


def attendance_text(attendance: Attendance) -> str:
    """What the form turns into once recorded: how many are present, and whether the panel is quorate."""
    present = len(attendance.present)
    head = f"Recorded {present} {'person' if present == 1 else 'people'} present at the {attendance.body_name} " \
           f"on {long_date(attendance.day)}."
    if attendance.quorate:
        return f"{head} The panel is quorate and may decide."
    return f"{head} It is not quorate yet: it needs {' and '.join(attendance.missing)}."

