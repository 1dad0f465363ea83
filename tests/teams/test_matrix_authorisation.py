"""Who may press what in Teams, derived from the policy's roles, as tests/test_visits_authorisation.py is
for Slack: every button and command of panelbot for Teams that acts on a case, a booking, a reminder, a
review, cover or a spot check, sent over HTTP by each person who must not do it (the worker, the person
attending, the case's team manager, the holder of each role of the policy, a stranger in the tenant,
someone from another tenant) is refused with the services' sentence, changes no row (no audit row, no
message owed) and sends nothing; and each person who may do it, can.

The cast is read from the policy's [roles] (tests/teams/matrix_support.py), and who may do what from the
policy's bodies (tiers, chair rotas, deputies), the case's own people and the spot-check role: a role
added to the policy adds a row to every column of the matrix. The presses are built from panelbot's own
verbs and data, as a forged press (or a card forwarded to the wrong person) would be.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.domain.bodies import BodyKind
from bot.domain.calendar import WorkingCalendar
from bot.domain.decisions import OUTCOMES_FOR, DecisionKind, Outcome
from bot.domain.reminders import PackageAfterReview, QualityOfLife
from bot.domain.routing import covering_tiers
from bot.domain.schedules import chair_role, sittings_on
from bot.services.cases import case_by_id
from bot.services.outbox import deliver_due
from bot.services.reviews import record_review
from messages.teams.ids import (
    AwayInput,
    BookInput,
    Key,
    ReviewInput,
    SpotCheckInput,
    Verb,
    WithdrawInput,
)
from tests.conftest import PINNED_NOW
from tests.teams.matrix_support import (
    ATTENDEE,
    CASE_TM,
    DELEGATED,
    FORUM,
    OUTSIDER,
    POLICY,
    SEND,
    SEND_URGENT_INCREASE,
    STRANGER,
    TYPED,
    URGENT,
    WORKER,
    Cast,
    MatrixTeams,
    Target,
    agreed,
    answer_text,
    audit_actions,
    card_channel,
    changed_tables,
    decided,
    decision_answers,
    everything_stored,
    forum_booked,
    forum_unbooked,
    holder,
    last_audit_id,
    matrix,
    matrix_clock,
    new_reminder,
    outbox_rows,
    submit,
    target_of,
)

FIXTURES = (matrix, matrix_clock)  # pytest finds these fixtures by their names in this module

CAST = Cast.of(POLICY)
TODAY = PINNED_NOW.date()  # Tuesday 24 November 2026: the shared forum case is booked for noon today
DECIDING_DAY = date(2026, 11, 25)  # the forum cases the allowed decide are booked for the Wednesday
BOOKING_DAY = date(2026, 11, 26)  # the slots the allowed cancel are on the Thursday
CALENDAR = WorkingCalendar(tz=POLICY.council.tz, closures=frozenset(POLICY.working_days.closures))


def members(*roles: str) -> frozenset[str]:
    return frozenset(person for role in roles if role for person in POLICY.members(role))


def forum_chair(day: date) -> frozenset[str]:
    """Who chairs the forum's sitting on `day` (the rota's role that day) and its deputy."""
    forum = POLICY.bodies["forum"]
    role = chair_role(CALENDAR, forum, sittings_on(CALENDAR, forum, day)[0])
    return members(role, forum.chair.deputy if forum.chair else "")


def body_deciders(body_key: str, weekly: str) -> frozenset[str]:
    """Who decides for a body: a person body's tiers that cover the amount, else its chairs and deputy."""
    body = POLICY.bodies[body_key]
    if body.kind is BodyKind.PERSON:
        return members(*(tier.role for tier in covering_tiers(body, Decimal(weekly), POLICY.routing.weeks_per_year)))
    return members(*body.decider_roles())


URGENT_DECIDER = holder("operations_managers")
SEND_OPERATIONS_MANAGER = holder("send_operations_manager")  # decides urgent SEND cases, chairs the SEND panel


def ratifying(teams: MatrixTeams) -> Target:
    """A SEND package agreed at panel whose review changed it: waiting for ratification at the panel."""
    services = teams.services
    case_id = decided(teams, SEND, SEND_OPERATIONS_MANAGER)
    record_review(services, case_id, WORKER, QualityOfLife.SAME, PackageAfterReview.CHANGES, None,
                  new_weekly=Decimal("330"))
    deliver_due(services, services.now())
    return target_of(teams, case_id)


# Each kind of case a decision is asked of: how to make one, what it waits for, and who may give it.
@dataclass(frozen=True)
class Deciding:
    make: Callable[[MatrixTeams], Target]
    body: str  # the body that gives this decision
    kind: DecisionKind
    weekly: str
    deciders: frozenset[str]  # who may, before the case's own people and an earlier decider are taken out
    made_by: str | None = None  # who made the decision this one endorses or ratifies

    def may(self) -> frozenset[str]:
        return self.deciders - {WORKER, ATTENDEE, self.made_by}


DECIDING = {
    "forum": Deciding(lambda t: forum_booked(t, DECIDING_DAY), "forum", DecisionKind.DECISION, FORUM["proposed_weekly"],
                      forum_chair(DECIDING_DAY)),
    "delegated": Deciding(lambda t: target_of(t, submit(t, DELEGATED)), "delegated", DecisionKind.DECISION,
                          DELEGATED["proposed_weekly"], body_deciders("delegated", DELEGATED["proposed_weekly"])),
    "urgent": Deciding(lambda t: target_of(t, submit(t, URGENT)), "urgent", DecisionKind.DECISION,
                       URGENT["proposed_weekly"],
                       body_deciders("urgent", URGENT["proposed_weekly"])),
    "send_panel": Deciding(lambda t: target_of(t, submit(t, SEND)), "send_panel", DecisionKind.DECISION,
                           SEND["proposed_weekly"],
                           body_deciders("send_panel", SEND["proposed_weekly"])),
    "send_urgent": Deciding(lambda t: target_of(t, submit(t, SEND_URGENT_INCREASE)), "send_urgent",
                            DecisionKind.DECISION,
                            SEND_URGENT_INCREASE["proposed_weekly"],
                            body_deciders("send_urgent", SEND_URGENT_INCREASE["proposed_weekly"])),
    "urgent endorsement": Deciding(lambda t: target_of(t, decided(t, URGENT, URGENT_DECIDER)), "forum",
                                   DecisionKind.ENDORSEMENT, URGENT["proposed_weekly"],
                                   body_deciders("forum", URGENT["proposed_weekly"]), URGENT_DECIDER),
    "SEND urgent endorsement": Deciding(lambda t: target_of(t, decided(t, SEND_URGENT_INCREASE,
                                                                       SEND_OPERATIONS_MANAGER)),
                                        "send_panel", DecisionKind.ENDORSEMENT, SEND_URGENT_INCREASE["proposed_weekly"],
                                        body_deciders("send_panel", "0"), SEND_OPERATIONS_MANAGER),
    # (the round's own decision is the ratification: the panel chair who agreed the package may ratify its change)
    "SEND ratification": Deciding(ratifying, "send_panel", DecisionKind.RATIFICATION, "330",
                                  body_deciders("send_panel", "0")),
}
SHARED_FORUM_CHAIR = forum_chair(TODAY) - {WORKER, ATTENDEE}


# -- the actions ----------------------------------------------------------------------------------------------

DECISION_REFUSED = re.compile(
    r"^🚫 (Only .+ can decide this( case at £[\d,]+\.\d\d/wk \(.+\))?\."
    r"|You submitted this case, so someone else must decide it\."
    r"|You attend for this case, so someone else must decide it\."
    r"|You made the decision that needs \w+, so another decider must give it\.)$")
FORM_SHOWN = re.compile(r"^== (Approve|Defer|Decline|Endorse|Don't|Ratify)")

Do = Callable[[MatrixTeams, str, Target], list[str]]  # what the person read: one answer a press


@dataclass(frozen=True)
class Action:
    """One thing a person can do in Teams: `do` it as `who` about `target`; `refused` is what someone
    who may not reads, `done` what someone who may reads, `audit` the audit rows it writes when done
    (none: it only shows something)."""

    name: str
    target: str  # the key of the case it is about in the `targets` fixture
    do: Do
    may: frozenset[str]
    refused: re.Pattern[str]
    done: re.Pattern[str]
    audit: tuple[str, ...] = ()
    fresh: Callable[[MatrixTeams], Target] | None = None  # a case of its own for each allowed try
    after: Callable[[MatrixTeams, str], None] | None = None  # puts back what an allowed try changed
    decides: bool = False  # the allowed are in test_each_person_who_may_decide_…, each on a case of their own


def press(verb: str, data: Callable[[Target], dict[str, Any]]) -> Do:
    def do(teams: MatrixTeams, who: str, target: Target) -> list[str]:
        return [answer_text(teams.execute(who, verb, data(target)))]
    do.via = verb  # type: ignore[attr-defined]
    return do


def typed(word: str, rest: Callable[[Target], str] = lambda target: "") -> Do:
    def do(teams: MatrixTeams, who: str, target: Target) -> list[str]:
        return teams.say(who, f"{word} {rest(target)}".strip())
    do.via = word  # type: ignore[attr-defined]
    return do


def deciding(key: str, verb: str) -> Do:
    """Record decision (the form's submit, forged) with each outcome the case can be given, or press the
    card's first decision button (Verb.DECIDE, which answers with the form: the service refuses before it
    reads the outcome, and the forged submits above carry each outcome)."""
    decision = DECIDING[key]
    outcomes = OUTCOMES_FOR[decision.kind]

    def do(teams: MatrixTeams, who: str, target: Target) -> list[str]:
        channel = card_channel(teams, who, target.case_id)
        said = []
        for outcome in outcomes if verb == Verb.RECORD_DECISION else outcomes[:1]:
            data = {Key.CASE.value: target.case_id, Key.ROUND.value: target.round, Key.OUTCOME.value: outcome.value}
            if verb == Verb.RECORD_DECISION:
                data |= decision_answers(outcome, decision.weekly)
            said.append(answer_text(teams.execute(who, verb, data, channel=channel)))
        return said
    do.via = verb  # type: ignore[attr-defined]
    return do


def decision_actions() -> list[Action]:
    found = []
    for key, decision in DECIDING.items():
        may = SHARED_FORUM_CHAIR if key == "forum" else decision.may()
        found.append(Action(f"press a decision button on a {key} case", key, deciding(key, Verb.DECIDE), may,
                            DECISION_REFUSED, FORM_SHOWN))
        found.append(Action(f"record each decision on a {key} case", key, deciding(key, Verb.RECORD_DECISION), may,
                            DECISION_REFUSED, re.compile(r" by "), decides=True))
    return found


BOOKERS = frozenset({WORKER, ATTENDEE})
BOOKING_REFUSED = re.compile(r"Only the worker who submitted case \d+, or the person attending with them, can book "
                             r"its slot at the Enhanced Peer Forum\.")
WITHDRAWERS = frozenset({WORKER, CASE_TM})
WITHDRAW_REFUSED = re.compile(r"Only the worker who submitted case \d+, or their team manager, can withdraw it\.")
REVIEWERS = frozenset({WORKER, ATTENDEE, CASE_TM})
REVIEW_REFUSED = re.compile(r"Only the worker, their team manager or the AP/SM on case \d+ can review it\.")
REMINDER_REFUSED = re.compile(r"^That reminder is not yours\.$")
SIGNED_OFF_BY = holder(POLICY.case_form.team_manager_role)  # who signs off the `agreed` cases
SPOT_CHECKERS = members(POLICY.spot_checks.role) - {SIGNED_OFF_BY, WORKER, ATTENDEE}
SPOT_CHECK_REFUSED = re.compile(r"Only the spot checkers can see spot checks\.|You made or took part in the decision "
                                r"on case \d+, so another checker must check it\.")
COVER_REFUSED = re.compile(r"Choose a colleague who holds one of your roles \(or decides at the same forum or "
                           r"panel\): cover lends your place, not new powers\."
                           r"|Choose a colleague other than yourself\.")
DETAILS_HIDDEN = re.compile(rf"^(?![\s\S]*{re.escape(TYPED)})[\s\S]*Only people with a role on this case can see "
                            r"its details\.")


def has_role_on_forum_case() -> frozenset[str]:
    """The case's own people, and the deciders and members of the forum."""
    forum = POLICY.bodies["forum"]
    return frozenset({WORKER, ATTENDEE, CASE_TM}) | members(*forum.decider_roles(), *forum.members)


def covers_for_the_chair() -> frozenset[str]:
    """Who may name today's forum chair to cover for them: a holder of a role the chair holds, or of a
    role deciding at a body the chair decides at (another chair of the rota, a deputy)."""
    [chair] = SHARED_FORUM_CHAIR
    held = {role for role, people in POLICY.roles.items() if chair in people}
    sharing = set(held)
    for body in POLICY.bodies.values():
        if held & set(body.decider_roles()):
            sharing |= set(body.decider_roles())
    return members(*sharing) - {chair}


def cover(teams: MatrixTeams, who: str, target: Target) -> list[str]:
    [chair] = SHARED_FORUM_CHAIR
    data = {AwayInput.COLLEAGUE.value: chair, AwayInput.FIRST_DAY.value: TODAY.isoformat(),
            AwayInput.LAST_DAY.value: (TODAY + timedelta(days=1)).isoformat()}
    return [answer_text(teams.execute(who, Verb.SET_COVER, data))]


cover.via = Verb.SET_COVER  # type: ignore[attr-defined]


def end_cover(teams: MatrixTeams, who: str) -> None:
    [said] = teams.say(who, "away off")
    assert "Your cover has ended: your messages come to you again." in said


def own_reminder(teams: MatrixTeams) -> Target:
    """A reminder of its own to the worker, about the case the allowed review."""
    target = replace(teams_targets(teams)["allowed"])
    target.reminder = new_reminder(teams, target.case_id)
    return target


ACTIONS: list[Action] = [
    *decision_actions(),
    Action("open the booking form", "forum", press(Verb.BOOK_SLOT, lambda t: {Key.CASE.value: t.case_id}),
           BOOKERS, BOOKING_REFUSED, re.compile(r"^== Book a forum slot")),
    Action("open the booking form to rebook", "forum", press(Verb.REBOOK, lambda t: {Key.CASE.value: t.case_id}),
           BOOKERS, BOOKING_REFUSED, re.compile(r"^== Book a forum slot")),
    Action("book a slot", "forum",
           press(Verb.BOOK, lambda t: {Key.CASE.value: t.case_id, BookInput.SLOT.value: t.slot}),
           BOOKERS, BOOKING_REFUSED, re.compile(r"Forum slot booked"), ("booking.made",), fresh=forum_unbooked),
    Action("ask to cancel the booking", "forum", press(Verb.CANCEL_BOOKING, lambda t: {Key.CASE.value: t.case_id}),
           BOOKERS, BOOKING_REFUSED, re.compile(r"^== Cancel the booking\?")),
    Action("cancel the booking", "forum",
           press(Verb.CANCEL_BOOKING_CONFIRMED, lambda t: {Key.CASE.value: t.case_id}), BOOKERS, BOOKING_REFUSED,
           re.compile(r"cancelled", re.I), ("booking.cancelled",), fresh=lambda t: forum_booked(t, BOOKING_DAY)),
    Action("keep the booking", "forum", press(Verb.KEEP_BOOKING, lambda t: {Key.CASE.value: t.case_id}),
           BOOKERS, BOOKING_REFUSED, re.compile(r"booked", re.I)),
    Action("type book", "forum", typed("book", lambda t: t.reference), BOOKERS, BOOKING_REFUSED,
           re.compile(r"^== Book a forum slot")),
    Action("withdraw the case", "forum",
           press(Verb.WITHDRAW, lambda t: {Key.CASE.value: t.case_id, WithdrawInput.REASON.value: "not needed"}),
           WITHDRAWERS, WITHDRAW_REFUSED, re.compile(r"^== Case withdrawn"), ("case.withdrawn",),
           fresh=lambda t: target_of(t, submit(t, DELEGATED))),
    Action("type withdraw", "forum", typed("withdraw", lambda t: t.reference), WITHDRAWERS, WITHDRAW_REFUSED,
           re.compile(r"^== Withdraw \d+")),
    Action("mark a reminder done", "agreed", press(Verb.REMINDER_DONE, lambda t: {Key.REMINDER.value: t.reminder}),
           frozenset({WORKER}), REMINDER_REFUSED, re.compile(r"^Done: the reminder about case \d+ is cleared\.$"),
           ("reminder.done",), fresh=own_reminder),
    Action("snooze a reminder for a day", "agreed",
           press(Verb.SNOOZE_DAY, lambda t: {Key.REMINDER.value: t.reminder}), frozenset({WORKER}), REMINDER_REFUSED,
           re.compile(r"^Snoozed: case \d+ comes back on Wednesday 25 November 2026"), ("reminder.snoozed",),
           fresh=own_reminder),
    Action("snooze a reminder for a week", "agreed",
           press(Verb.SNOOZE_WEEK, lambda t: {Key.REMINDER.value: t.reminder}), frozenset({WORKER}), REMINDER_REFUSED,
           re.compile(r"^Snoozed: case \d+ comes back on Tuesday 1 December 2026"), ("reminder.snoozed",),
           fresh=own_reminder),
    Action("record a review", "agreed", press(Verb.RECORD_REVIEW, lambda t: {
        Key.CASE.value: t.case_id, ReviewInput.QUALITY_OF_LIFE.value: QualityOfLife.IMPROVED.value,
        ReviewInput.PACKAGE.value: PackageAfterReview.CONTINUES.value, ReviewInput.NOTES.value: "went well"}),
        REVIEWERS, REVIEW_REFUSED, re.compile(r"^== Review recorded"), ("case.reviewed",),
        fresh=agreed),  # a case of its own for each: a case is reviewed once a day
    Action("type review", "agreed", typed("review", lambda t: t.reference), REVIEWERS, REVIEW_REFUSED,
           re.compile(r"^== Review case")),
    Action("open a spot check", "agreed", press(Verb.SPOT_CHECK_OPEN, lambda t: {Key.SPOT_CHECK.value: t.spot_check}),
           SPOT_CHECKERS, SPOT_CHECK_REFUSED, re.compile(r"Spot check"), ("spot_check.opened",), fresh=agreed),
    Action("record a spot check", "agreed", press(Verb.RECORD_SPOT_CHECK, lambda t: {
        Key.SPOT_CHECK.value: t.spot_check, SpotCheckInput.FINDING.value: "agreed"}),
        SPOT_CHECKERS, SPOT_CHECK_REFUSED, re.compile(r"^== Spot check recorded"),
        ("spot_check.opened", "spot_check.recorded"), fresh=agreed),  # recorded unopened: opened on the way
    Action("type spotchecks", "agreed", typed("spotchecks"), SPOT_CHECKERS, SPOT_CHECK_REFUSED,
           re.compile(r"spot checks? (is|are) waiting")),
    Action("set cover naming today's forum chair", "forum", cover, covers_for_the_chair(), COVER_REFUSED,
           re.compile(r"^== Cover set"), ("cover.set",), after=end_cover),
    Action("open the case's details", "forum", press(Verb.OPEN_CASE, lambda t: {Key.CASE.value: t.case_id}),
           has_role_on_forum_case(), DETAILS_HIDDEN, re.compile(re.escape(TYPED))),
    Action("type case", "forum", typed("case", lambda t: t.reference), has_role_on_forum_case(), DETAILS_HIDDEN,
           re.compile(re.escape(TYPED))),
]
ACTIONS_BY_NAME = {action.name: action for action in ACTIONS}
EVERYONE = tuple(CAST.people.values())

def teams_targets(teams: MatrixTeams) -> dict[str, Target]:
    """The cases shared by the module's tests, made once: one of each kind the refused are about (a
    refusal changes none of them), and one the allowed review."""
    if "targets" not in teams.shared:
        found = {key: decision.make(teams) for key, decision in DECIDING.items() if key != "forum"}
        found["forum"] = forum_booked(teams, TODAY)
        found["agreed"] = agreed(teams)
        found["allowed"] = agreed(teams)
        teams.shared["targets"] = found
    return teams.shared["targets"]


@pytest.fixture(scope="module")
def targets(matrix: MatrixTeams) -> dict[str, Target]:
    return teams_targets(matrix)


# What the Teams bot offers that no role is needed for (anyone may start a case form, close a form, ask
# for help, their own list, the cover form, or the agenda: test_everyone_may_read_the_forums_agenda_…), and
# what other tests cover (visits, provisions, placements, concerns, attendance, the report).
OPEN_TO_ANYONE = {Verb.NEW_CASE, Verb.SUBMIT_CASE, Verb.CLOSE_FORM, "help", "submit", "mine", "away", "agenda"}
ELSEWHERE = {Verb.STEP_DONE, Verb.PLAN_VISIT, Verb.SAVE_VISIT_PLAN, Verb.VISIT_DONE, Verb.ACTION_PLAN_REQUESTED,
             Verb.ACTION_PLAN_RECEIVED, Verb.SAVE_PROVISION, Verb.SAVE_PLACEMENT, Verb.RECORD_ATTENDANCE,
             Verb.SAVE_ATTENDANCE, "visits", "provision", "placement", "concern", "report", "attendance"}


def test_the_matrix_has_everyone_the_policy_names_and_every_action_of_the_teams_bot(matrix):
    assert {f"holder of {role}" for role in POLICY.roles} <= set(CAST.people)
    assert {WORKER, ATTENDEE, CASE_TM, STRANGER, OUTSIDER, holder("panel_admins")} <= set(EVERYONE)
    for action in ACTIONS:
        assert action.may and set(EVERYONE) - action.may, action.name  # someone may, someone may not
    pressed = {action.do.via for action in ACTIONS}  # type: ignore[attr-defined]
    offered = set(matrix.bot.verbs) | set(matrix.bot.commands)
    assert offered - pressed - OPEN_TO_ANYONE - ELSEWHERE == set(), "a Teams action the matrix does not press"


def refused_pairs(action: Action) -> list[str]:
    return [who for who in EVERYONE if who not in action.may]


@pytest.mark.parametrize("name", [action.name for action in ACTIONS])
def test_everyone_who_may_not_is_refused_with_the_services_sentence_and_nothing_changes(matrix, targets, name):
    """Each person who may not, in turn: what they read is the refusal, no audit row is written, no
    message is owed or sent (a typed command's answer in their own chat apart), and at the end every
    row of every table is as it was."""
    action = ACTIONS_BY_NAME[name]
    engine = matrix.services.engine
    before = everything_stored(engine)
    problems = []
    for who in refused_pairs(action):
        label = CAST.label(who)
        audited, owed, calls = last_audit_id(engine), outbox_rows(engine), len(matrix.standin.calls)
        said = action.do(matrix, who, targets[action.target])
        problems += [f"{label} read {answer!r}" for answer in said or ["nothing"] if not action.refused.search(answer)]
        if (last_audit_id(engine), outbox_rows(engine)) != (audited, owed):
            problems.append(f"{label}: audit rows {audit_actions(engine, audited)}, outbox {owed} -> "
                            f"{outbox_rows(engine)}")
        sent = matrix.outbound_since(calls)
        if [where for operation, where in sent if (operation, where) != ("send", matrix.chat_of(who))] or \
                len(sent) > len(said):
            problems.append(f"{label}: panelbot sent {sent}")
    after = everything_stored(engine)
    assert problems == []
    assert after == before, changed_tables(before, after)


def allowed_pairs() -> list[Any]:
    for action in ACTIONS:
        if action.decides:
            continue  # each outcome on a case of its own: test_each_person_who_may_decide_…
        for who in sorted(action.may, key=EVERYONE.index):
            yield pytest.param(action.name, who, id=f"{action.name}-by-{CAST.label(who)}")


@pytest.mark.parametrize(("name", "who"), list(allowed_pairs()))
def test_each_person_who_may_can(matrix, targets, name, who):
    action = ACTIONS_BY_NAME[name]
    engine = matrix.services.engine
    target = action.fresh(matrix) if action.fresh else targets[action.target]
    audited = last_audit_id(engine)
    said = action.do(matrix, who, target)
    try:
        assert said, "no answer"
        for answer in said:
            assert action.done.search(answer) and not action.refused.search(answer), f"{CAST.label(who)}: {answer!r}"
        assert tuple(audit_actions(engine, audited)) == action.audit
    finally:
        if action.after:
            action.after(matrix, who)


def decisions_allowed() -> list[Any]:
    """Each person who may decide a kind of case, once, the outcomes taken in turn."""
    for key, decision in DECIDING.items():
        deciders = sorted(decision.may(), key=EVERYONE.index)
        assert deciders and set(EVERYONE) - decision.may(), key
        outcomes = OUTCOMES_FOR[decision.kind]
        for n, who in enumerate(deciders):
            outcome = outcomes[n % len(outcomes)]
            yield pytest.param(key, outcome, who, id=f"{key}-{outcome.value}-by-{CAST.label(who)}")


@pytest.mark.parametrize(("key", "outcome", "who"), list(decisions_allowed()))
def test_each_person_who_may_decide_does_on_the_card(matrix, key, outcome, who):
    decision = DECIDING[key]
    target = decision.make(matrix)
    engine = matrix.services.engine
    audited = last_audit_id(engine)
    channel = card_channel(matrix, who, target.case_id)
    data = {Key.CASE.value: target.case_id, Key.ROUND.value: target.round, Key.OUTCOME.value: outcome.value}
    form = answer_text(matrix.execute(who, Verb.DECIDE, data, channel=channel))
    assert FORM_SHOWN.search(form), form
    said = answer_text(matrix.execute(who, Verb.RECORD_DECISION, data | decision_answers(outcome, decision.weekly),
                                      channel=channel))
    assert not said.startswith("🚫") and "already decided" not in said, said
    # A decision at a person body that agrees funding is drawn for a spot check (this policy draws them all).
    body = POLICY.bodies[decision.body]
    drawn = decision.kind is DecisionKind.DECISION and body.kind is BodyKind.PERSON and outcome in (
        Outcome.APPROVED, Outcome.APPROVED_WITH_CHANGES)
    assert audit_actions(engine, audited) == [f"case.{decision.kind}", *(["spot_check.draw"] if drawn else [])]
    made = case_by_id(matrix.services, target.case_id, WORKER).case.decisions[-1]
    assert (made.outcome, made.decided_by) == (outcome, who)


def test_everyone_may_read_the_forums_agenda_which_shows_references_and_slots_only(matrix, targets):
    """The agenda has no role on it today (as in Slack): anyone who can reach panelbot reads it, someone
    from another tenant too. It shows the reference and the slot, nothing typed."""
    forum = targets["forum"]
    for who in EVERYONE:
        [said] = matrix.say(who, "agenda")
        assert "Enhanced Peer Forum — Tuesday 24 November 2026" in said, (CAST.label(who), said)
        assert forum.reference in said and "12:00–12:30" in said and TYPED not in said
