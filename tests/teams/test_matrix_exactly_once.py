"""Exactly once, on Teams, as tests/test_decisions.py, test_booking.py, test_reminders.py and
test_delivery.py are for Slack.

Every button and dialog submit that changes something, delivered again and again as Teams does (a
retried delivery of the same activity) and as people do (a double click, several at once from threads):
one change, one audit row, one message per recipient in the Teams stand-in's record, and the repeats
answer that it is already done.

Then the Bot Connector failing while the outbox (or the reminder sender) sends: a 5xx, a 429 with
Retry-After, a connection dropped before or after Teams kept the message. Each message is in Teams once,
or its fate cannot be known and it is marked so, with the panel admin told; never posted twice.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.domain.decisions import Outcome, read_decision
from bot.domain.reminders import PackageAfterReview, QualityOfLife
from bot.domain.submission import parse_submission
from bot.services.cases import submit_case
from bot.services.decisions import decide
from bot.services.outbox import deliver_due
from bot.services.reminders import send_due_reminders
from handlers.teams.dialogs import new_form_key
from messages.teams.ids import AwayInput, BookInput, Key, ReviewInput, SpotCheckInput, Verb, WithdrawInput
from messages.teams.render import render_text
from store.models import Outbox, Reminder
from tests.conftest import TEST_DATABASE_URL
from tests.teams.matrix_support import (
    ATTENDEE,
    CASE_TM,
    DELEGATED,
    FORUM,
    POLICY,
    SEND,
    URGENT,
    WORKER,
    MatrixTeams,
    Target,
    agreed,
    answer_text,
    at_once,
    audit_actions,
    card_channel,
    case_form_submit,
    decided,
    decision_answers,
    forum_booked,
    forum_unbooked,
    holder,
    last_audit_id,
    matrix,
    matrix_clock,
    new_reference,
    new_reminder,
    submit,
    target_of,
)

FIXTURES = (matrix, matrix_clock)  # pytest finds these fixtures by their names in this module

FORUM_CHANNEL = POLICY.bodies["forum"].channel.removeprefix("teams:")
ADMIN = holder("panel_admins")
SQAO = holder(POLICY.spot_checks.role)
OPS = holder("operations_managers")
SEND_CHAIR = holder("send_operations_manager")


# -- what is pressed ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submit:
    """A button or dialog submit that changes something. `press(teams, who, target)` builds one delivery
    of it (a new activity: a new click); `audit` is what one change writes; `done` what the press that
    made the change answers, `repeat` what any other answers (or, `alike`, the same as the first)."""

    name: str
    prepare: Callable[[MatrixTeams], Target]
    who: Callable[[MatrixTeams, Target], str]
    press: Callable[[MatrixTeams, str, Target], dict[str, Any]]
    audit: tuple[str, ...]
    done: re.Pattern[str]
    repeat: re.Pattern[str]
    told: tuple[str, ...] = ()  # who must have had one message about it (labels of the cast, or "channel")
    after: Callable[[MatrixTeams, str], None] | None = None
    alike: bool = False  # a repeat answers as the first did (the same card: booked, submitted, opened)


def execute(verb: str, data: Callable[[MatrixTeams, Target], dict[str, Any]], *, on_card: bool = False):
    def press(teams: MatrixTeams, who: str, target: Target) -> dict[str, Any]:
        button = {"type": "Action.Execute", "verb": verb, "data": data(teams, target)}
        channel = card_channel(teams, who, target.case_id) if on_card else None
        return teams.press(who, button, channel=channel)
    return press


def record(outcome: Outcome, weekly: str, **typed: str) -> Callable[[MatrixTeams, Target], dict[str, Any]]:
    def data(teams: MatrixTeams, target: Target) -> dict[str, Any]:
        return {Key.CASE.value: target.case_id, Key.ROUND.value: target.round, Key.OUTCOME.value: outcome.value,
                **decision_answers(outcome, weekly, **typed)}
    return data


def case_form(teams: MatrixTeams, who: str, target: Target) -> dict[str, Any]:
    """The case form's Submit in its dialog, filled in (`slot` holds the form's key)."""
    assert target.slot is not None
    return case_form_submit(teams, who, {**FORUM, "reference": target.reference}, target.slot)


def new_form(teams: MatrixTeams) -> Target:
    return Target(0, new_reference(), slot=new_form_key())


def chair_of_its_day(teams: MatrixTeams, target: Target) -> str:
    assert target.decider is not None
    return target.decider


def forum_chair(teams: MatrixTeams, target: Target) -> str:
    return holder(POLICY.bodies["forum"].chair.rota[0])  # any chair of the rota endorses


def by(person: str) -> Callable[[MatrixTeams, Target], str]:
    return lambda teams, target: person


def end_cover(teams: MatrixTeams, who: str) -> None:
    assert "Your cover has ended" in teams.say(who, "away off")[0]


def nothing(teams: MatrixTeams) -> Target:
    return Target(0, "")


def reviewable(teams: MatrixTeams) -> Target:
    """A case agreed, for reviews and reminders (each test counts only what its own presses wrote)."""
    if "agreed" not in teams.shared:
        teams.shared["agreed"] = agreed(teams)
    return replace(teams.shared["agreed"])


def a_reminder(teams: MatrixTeams) -> Target:
    """A reminder of its own to the worker."""
    target = reviewable(teams)
    target.reminder = new_reminder(teams, target.case_id)
    return target


ALREADY_DECIDED = re.compile(r"^Case \d+ was already decided: ")
SUBMITS = [
    Submit("the case form's Submit (a dialog)", new_form, by(WORKER), case_form,
           ("case.submitted",), re.compile(r"Case submitted"), re.compile(r"Case submitted"),
           told=("worker", "channel forum"), alike=True),
    Submit("Record decision: approve with changes and a practice concern, on the forum's card",
           forum_booked, chair_of_its_day,
           execute(Verb.RECORD_DECISION, record(Outcome.APPROVED_WITH_CHANGES, FORUM["proposed_weekly"],
                                                practice_concern="a concern", concern_actions="an action"),
                   on_card=True),
           ("case.decision",), re.compile(r"Approved with changes by"), ALREADY_DECIDED,
           told=("worker", "attendee", "case team manager", "channel forum")),
    Submit("Record decision: sign off a delegated case", lambda teams: target_of(teams, submit(teams, DELEGATED)),
           by(CASE_TM), execute(Verb.RECORD_DECISION, record(Outcome.APPROVED, DELEGATED["proposed_weekly"]),
                                on_card=True),
           ("case.decision", "spot_check.draw"), re.compile(r"Approved by"), ALREADY_DECIDED,
           told=("worker", "attendee", "channel delegated")),
    Submit("Record decision: endorse an urgent decision", lambda teams: target_of(teams, decided(teams, URGENT, OPS)),
           forum_chair, execute(Verb.RECORD_DECISION, record(Outcome.ENDORSED, URGENT["proposed_weekly"]),
                                on_card=True),
           ("case.endorsement",), re.compile(r"Endorsed by"), ALREADY_DECIDED, told=("worker", "attendee")),
    Submit("Record decision: defer a SEND panel case", lambda teams: target_of(teams, submit(teams, SEND)),
           by(SEND_CHAIR), execute(Verb.RECORD_DECISION, record(Outcome.DEFERRED, SEND["proposed_weekly"]),
                                   on_card=True),
           ("case.decision",), re.compile(r"Deferred: more information needed by"), ALREADY_DECIDED,
           told=("worker", "attendee", "channel send_panel")),
    Submit("Book", forum_unbooked, by(WORKER), execute(Verb.BOOK, lambda teams, target: {
        Key.CASE.value: target.case_id, BookInput.SLOT.value: target.slot}),
        ("booking.made",), re.compile(r"Forum slot booked"), re.compile(r"Forum slot booked"),
        told=("worker", "attendee"), alike=True),
    Submit("Cancel the slot", forum_booked, by(ATTENDEE),
           execute(Verb.CANCEL_BOOKING_CONFIRMED, lambda teams, target: {Key.CASE.value: target.case_id}),
           ("booking.cancelled",), re.compile(r"cancelled", re.I), re.compile(r"^That slot was already cancelled\.$"),
           told=("worker", "attendee")),
    Submit("Withdraw", lambda teams: target_of(teams, submit(teams, DELEGATED)), by(WORKER),
           execute(Verb.WITHDRAW, lambda teams, target: {Key.CASE.value: target.case_id,
                                                         WithdrawInput.REASON.value: "no longer needed"}),
           ("case.withdrawn",), re.compile(r"^== Case withdrawn"),
           re.compile(r"Case \d+ is withdrawn: (it can no longer be withdrawn|someone got there first)"),
           told=("attendee", "case team manager")),
    Submit("Done on a reminder", a_reminder, by(WORKER),
           execute(Verb.REMINDER_DONE, lambda teams, target: {Key.REMINDER.value: target.reminder}),
           ("reminder.done",), re.compile(r"^Done: the reminder about case \d+ is cleared\.$"),
           re.compile(r"^That reminder is already closed\.$")),
    Submit("Snooze 1 day on a reminder", a_reminder, by(WORKER),
           execute(Verb.SNOOZE_DAY, lambda teams, target: {Key.REMINDER.value: target.reminder}),
           ("reminder.snoozed",), re.compile(r"^Snoozed: "), re.compile(r"already snoozed", re.I)),
    Submit("Snooze 1 week on a reminder", a_reminder, by(WORKER),
           execute(Verb.SNOOZE_WEEK, lambda teams, target: {Key.REMINDER.value: target.reminder}),
           ("reminder.snoozed",), re.compile(r"^Snoozed: "), re.compile(r"already snoozed", re.I)),
    # A case of its own each time: a case is reviewed once a day.
    Submit("Record review", agreed, by(WORKER), execute(Verb.RECORD_REVIEW, lambda teams, target: {
        Key.CASE.value: target.case_id, ReviewInput.QUALITY_OF_LIFE.value: QualityOfLife.IMPROVED.value,
        ReviewInput.PACKAGE.value: PackageAfterReview.CONTINUES.value}),
        ("case.reviewed",), re.compile(r"^== Review recorded"), re.compile(r"already (recorded|reviewed)", re.I)),
    Submit("Set cover", nothing, by(holder(POLICY.bodies["forum"].chair.rota[1])),
           execute(Verb.SET_COVER, lambda teams, target: {
               AwayInput.COLLEAGUE.value: holder(POLICY.bodies["forum"].chair.rota[2]),
               AwayInput.FIRST_DAY.value: teams.services.calendar.local_date(teams.services.now()).isoformat(),
               AwayInput.LAST_DAY.value: "2026-12-31"}),
           ("cover.set",), re.compile(r"^== Cover set"), re.compile(r"You already have cover from"), after=end_cover),
    Submit("Check this case (open a spot check)", agreed, by(SQAO),
           execute(Verb.SPOT_CHECK_OPEN, lambda teams, target: {Key.SPOT_CHECK.value: target.spot_check}),
           ("spot_check.opened",), re.compile(r"Spot check"), re.compile(r"Spot check"), alike=True),
    Submit("Record a spot check", agreed, by(SQAO), execute(Verb.RECORD_SPOT_CHECK, lambda teams, target: {
        Key.SPOT_CHECK.value: target.spot_check, SpotCheckInput.FINDING.value: "concern",
        SpotCheckInput.ACTIONS.value: "an action"}),
        ("spot_check.opened", "spot_check.recorded"), re.compile(r"^== Spot check recorded"),
        re.compile(r"The spot check of case \d+ was already recorded"), told=("case team manager",)),
]
def submits(mode: str) -> list[Any]:
    return [pytest.param(submit_.name, mode, id=f"{submit_.name}-{mode}") for submit_ in SUBMITS]


MODES = ("retried by Teams, then pressed again", "pressed four times at once")
BY_NAME = {submit_.name: submit_ for submit_ in SUBMITS}


def label_of(teams: MatrixTeams, label: str) -> str:
    """"channel forum" -> the label MatrixTeams.held gives the forum's channel."""
    if not label.startswith("channel "):
        return label
    return f"channel {POLICY.bodies[label.removeprefix('channel ')].channel.removeprefix('teams:')}"


def summaries(activity: dict[str, Any]) -> str:
    return str(activity.get("summary") or activity.get("text") or "")


@pytest.mark.parametrize(("name", "mode"), [param for mode in MODES for param in submits(mode)])
def test_a_submit_delivered_again_and_again_changes_once_audits_once_and_tells_each_person_once(
        matrix, name, mode):
    submit_ = BY_NAME[name]
    # A race is not lost every time: on PostgreSQL the presses at once are tried on two cases.
    for _ in range(2 if TEST_DATABASE_URL and mode == MODES[1] else 1):
        delivered_again_and_again(matrix, submit_, mode)


def delivered_again_and_again(matrix: MatrixTeams, submit_: Submit, mode: str) -> None:
    target = submit_.prepare(matrix)
    who = submit_.who(matrix, target)
    engine = matrix.services.engine
    audited, held, calls = last_audit_id(engine), matrix.held_counts(), len(matrix.standin.calls)
    try:
        if mode == MODES[0]:  # the same activity twice (Teams' retry), then a second click
            first = submit_.press(matrix, who, target)
            answers = [matrix.post(first), matrix.post(first), matrix.post(submit_.press(matrix, who, target))]
        else:
            presses = [submit_.press(matrix, who, target) for _ in range(4)]
            answers = at_once(4, lambda n: matrix.post(presses[n]))
        assert [status for status, _ in answers] == [200] * len(answers), answers
        # One change: its audit rows, once.
        assert audit_actions(engine, audited) == list(submit_.audit)
        said = [answer_text(body) for _, body in answers]
        assert all("incident" not in answer and "could not save" not in answer for answer in said), said
        if submit_.alike:  # every answer is the same card: booked, submitted, the check opened
            assert all(submit_.done.search(answer) for answer in said), said
        else:  # the one that did it says so; every other is told it is done already
            again = [answer for answer in said if submit_.repeat.search(answer)]
            done = [answer for answer in said if submit_.done.search(answer) and answer not in again]
            assert (len(done), len(again)) == (1, len(said) - 1), said
            assert mode == MODES[1] or done == said[:1], said
        # One message per recipient: no conversation got the same message twice, the card changed once.
        new = matrix.new_since(held)
        repeated = {label: [text for text, count in Counter(map(summaries, activities)).items() if count > 1]
                    for label, activities in new.items()}
        assert {label: texts for label, texts in repeated.items() if texts} == {}
        assert {label_of(matrix, label) for label in submit_.told} <= set(new), sorted(new)
        updates = Counter(call.path for call in matrix.standin.calls[calls:] if call.operation == "update")
        assert all(count == 1 for count in updates.values()), updates
    finally:
        if submit_.after:
            submit_.after(matrix, who)


# -- the Bot Connector failing while messages go -----------------------------------------------------------------

# (A 504 is read as a 500 is, connector.MAYBE_DONE_STATUS; a 503 as a 502.)
FAILURES: dict[str, Callable[[Any, str], None]] = {
    "a 502": lambda standin, operation: standin.fail_next(operation, status=502),
    "a 429 with Retry-After": lambda standin, operation: standin.fail_next(operation, status=429, retry_after=120),
    "a 500 before Teams kept it": lambda standin, operation: standin.fail_next(operation, status=500),
    "a 500 after Teams kept it": lambda standin, operation: standin.fail_next(operation, status=500,
                                                                             after_keeping=True),
    "the connection dropped before Teams kept it": lambda standin, operation: standin.drop_next(
        operation, after_keeping=False),
    "the connection dropped after Teams kept it": lambda standin, operation: standin.drop_next(
        operation, after_keeping=True),
}


@dataclass(frozen=True)
class Sending:
    """A message panelbot sends: the connector operation that carries it, how to make it due, how to send
    what is due, and how to find it in Teams."""

    operation: str
    prepare: Callable[[MatrixTeams], Target]  # what exists before (a case with its card posted)
    cause: Callable[[MatrixTeams, Target], None]  # makes the message due, and tries to send it once
    copies: Callable[[MatrixTeams, Target], list[dict[str, Any]]]  # the copies of it Teams holds
    kind: str  # the outbox row's kind ("reminder": the reminders table)
    recipient: Callable[[Target], str]


def send_outbox(teams: MatrixTeams, target: Target) -> None:
    deliver_due(teams.services, teams.services.now())


def submit_unsent(teams: MatrixTeams) -> Target:
    """A reference for a forum case yet to be submitted."""
    return Target(0, new_reference())


def submit_now(teams: MatrixTeams, target: Target) -> None:
    services = teams.services
    submission = parse_submission({**FORUM, "reference": target.reference}, policy=services.policy, submitter=WORKER)
    target.case_id = submit_case(services, submission, key=f"retry:{target.reference}").case.id
    deliver_due(services, services.now())


def approve_now(teams: MatrixTeams, target: Target) -> None:
    services = teams.services
    assert target.decider is not None
    decide(services, target.case_id, target.round, read_decision(Outcome.APPROVED, {"reason": "agreed"}),
           target.decider)
    deliver_due(services, services.now())


def remind_now(teams: MatrixTeams, target: Target) -> None:
    target.reminder = new_reminder(teams, target.case_id)
    send_due_reminders(teams.services, teams.services.now())


def channel_posts(teams: MatrixTeams, *, replies: bool) -> list[dict[str, Any]]:
    return [activity for activity in teams.standin.posted_in(FORUM_CHANNEL) if ("replyToId" in activity) == replies]


def about(target: Target, activities: list[dict[str, Any]], words: str) -> list[dict[str, Any]]:
    return [activity for activity in activities if f"{words}{target.reference}" in render_text(
        activity["attachments"][0]["content"]) or f"Case {target.reference}" in summaries(activity)]


def in_chat(teams: MatrixTeams, who: str) -> list[dict[str, Any]]:
    return teams.standin.sent_to(teams.users[who])


SENDINGS = {
    "the case card (a new post in the forum's channel)": Sending(
        "send", submit_unsent, submit_now,
        lambda teams, target: about(target, channel_posts(teams, replies=False), "Case "), "case_card",
        lambda target: POLICY.bodies["forum"].channel),
    "the decision under the card (a reply in its thread)": Sending(
        "reply", forum_booked, approve_now,
        lambda teams, target: about(target, channel_posts(teams, replies=True), "Case "), "thread_reply",
        lambda target: POLICY.bodies["forum"].channel),
    "the card changed in place (an update)": Sending(
        "update", forum_booked, approve_now,
        lambda teams, target: [activity for activity in about(target, channel_posts(teams, replies=False), "Case ")
                               if "Approved by" in render_text(activity["attachments"][0]["content"])],
        "card_update", lambda target: POLICY.bodies["forum"].channel),
    "the decision notice (a personal message)": Sending(
        "send", forum_booked, approve_now,
        lambda teams, target: [activity for activity in in_chat(teams, WORKER)
                               if summaries(activity) == f"Case {target.reference}: Approved."],
        "decision_notice", lambda target: WORKER),
    "a reminder (a personal message)": Sending(
        "send", lambda teams: target_of(teams, submit(teams, FORUM)), remind_now,
        lambda teams, target: [activity for activity in in_chat(teams, WORKER)
                               if f"Review due for case {target.reference}" in render_text(
                                   activity["attachments"][0]["content"])], "reminder", lambda target: WORKER),
}

def to_working_hours(teams: MatrixTeams, clock: list[Any]) -> None:
    """Move the clock on (never back: leases and Retry-After run on it) to a working day, 10:00 to 13:00."""
    calendar = teams.services.calendar
    while True:
        local = clock[0].astimezone(calendar.tz)
        if calendar.is_working_day(local.date()) and 10 <= local.hour < 13:
            return
        clock[0] += timedelta(minutes=30)


def deliveries() -> list[Any]:
    return [pytest.param(message, failure, id=f"{message}-{failure}") for message in SENDINGS for failure in FAILURES]


@pytest.mark.parametrize(("message", "failure"), list(deliveries()))
def test_a_message_whose_sending_fails_is_in_teams_once_or_marked_unknown_for_the_panel_admin(
        matrix, matrix_clock, message, failure):
    sending = SENDINGS[message]
    services = matrix.services
    to_working_hours(matrix, matrix_clock)
    target = sending.prepare(matrix)
    deliver_due(services, services.now())  # anything else due goes first: the failure is this message's
    send_due_reminders(services, services.now())
    admin_before = len(in_chat(matrix, ADMIN))
    FAILURES[failure](matrix.standin, sending.operation)
    sending.cause(matrix, target)
    for _ in range(6):  # the worker's next ticks, as backoffs, leases and Retry-After run out
        matrix_clock[0] += timedelta(minutes=20)
        deliver_due(services, services.now())
        send_due_reminders(services, services.now())
    copies = sending.copies(matrix, target)
    assert len(copies) <= 1, f"in Teams {len(copies)} times"
    if sending.kind == "reminder":
        with services.sessions() as session:
            state = session.scalar(select(Reminder.state).where(Reminder.id == target.reminder))
    else:
        with services.sessions() as session:
            state = session.scalar(select(Outbox.state).where(
                Outbox.case_id == target.case_id, Outbox.kind == sending.kind,
                Outbox.recipient == sending.recipient(target)).order_by(Outbox.id.desc()))
    told = [render_text(activity["attachments"][0]["content"]) for activity in in_chat(matrix, ADMIN)[admin_before:]]
    told_about = [text for text in told if "did not confirm" in text and target.reference in text]
    if copies and state == "sent":
        assert told_about == []
    else:
        assert state == "unknown", (state, len(copies))  # never left waiting, never lost unseen
        assert len(told_about) == 1, told

