"""Channels and logs carry no typed text, on Teams, as tests/test_privacy_channels.py is for Slack: every
flow through the real Teams bot over HTTP, with canary personal data (a name, a date of birth, an NHS
number, a postcode, a phone number) typed into every free-text field of every submission (the case form,
the decision form with each outcome's fields, a withdrawal, reviews, a spot check). None of it reaches
anything panelbot sent to a channel (each card as posted and as updated, each thread reply, the agendas),
nor an answer to a press made in a channel (Teams may show it there), nor any log line at DEBUG from any
logger; it reaches only personal chats, of people with a role on the case.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from bot import worker
from bot.domain.decisions import Outcome
from bot.services.cases import look_up_case
from bot.services.outbox import deliver_due
from bot.services.reminders import send_due_reminders
from handlers.teams.dialogs import new_form_key
from messages.teams.ids import Key, ReviewInput, SpotCheckInput, Verb, WithdrawInput
from store.models import SpotCheck
from tests.teams.matrix_support import (
    ATTENDEE,
    CASE_TM,
    DELEGATED,
    FORUM,
    OUTSIDER,
    POLICY,
    SEND,
    STRANGER,
    URGENT,
    WORKER,
    MatrixTeams,
    answer_text,
    card_channel,
    case_form_submit,
    chair_on,
    decision_answers,
    free_slot,
    holder,
    matrix,
    matrix_clock,
    new_reference,
)

FIXTURES = (matrix, matrix_clock)  # pytest finds these fixtures by their names in this module


# What people type about a person, one of each kind DESIGN.md §4 names.
NAME, BORN, NHS, POSTCODE, PHONE = "Winifred Canarywood", "14/07/1962", "943 476 5919", "CF10 1AA", "07700 900461"
CANARY = f"{NAME}, born {BORN}, NHS number {NHS}, of {POSTCODE}, phone {PHONE}"
CANARY_TOKENS = ("Winifred", "Canarywood", BORN, NHS, "9434765919", POSTCODE, PHONE)

CASE_TEXT = {"strengths_and_needs": f"Strengths: {CANARY}", "outcomes": f"Outcomes: {CANARY}",
             "alternatives": f"Alternatives: {CANARY}",
             "record_link": "https://records.example.gov.uk/Winifred-Canarywood"}
# Every typed field of the decision form, each with the canary (the form takes those its outcome asks).
DECISION_TEXT = {"reason": f"Reason: {CANARY}", "conditions": f"Conditions: {CANARY}",
                 "info_needed": f"Needed: {CANARY}", "practice_concern": f"Concern: {CANARY}",
                 "concern_actions": f"Actions: {CANARY}"}

FORUM_DAY = date(2026, 11, 25)  # the forum case is heard on the Wednesday


def leaks(value: Any) -> list[str]:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return [token for token in CANARY_TOKENS if token in text]


class Flow:
    """Each person's part, as the activities Teams posts; what was answered to presses in channels kept."""

    def __init__(self, teams: MatrixTeams) -> None:
        self.teams = teams
        self.in_channels: list[Any] = []  # the answers to presses made on a card in a channel

    def submit(self, answers: dict[str, Any]) -> str:
        reference = new_reference()
        answer = self.teams.send(case_form_submit(self.teams, WORKER, {**answers, **CASE_TEXT, "reference": reference},
                                                  new_form_key()))
        assert "Case submitted" in answer_text(answer), answer_text(answer)
        return reference

    def case_id(self, reference: str) -> int:
        found = look_up_case(self.teams.services, reference, WORKER)
        assert found is not None
        return found.case.id

    def press(self, who: str, verb: str, data: dict[str, Any], *, on_card: int | None = None) -> str:
        channel = card_channel(self.teams, who, on_card) if on_card is not None else None
        answer = self.teams.execute(who, verb, data, channel=channel)
        if channel is not None:
            self.in_channels.append(answer)
        return answer_text(answer)

    def decide(self, who: str, reference: str, outcome: Outcome, weekly: str) -> None:
        case_id = self.case_id(reference)
        round_ = look_up_case(self.teams.services, reference, WORKER).case.round
        data = {Key.CASE.value: case_id, Key.ROUND.value: round_, Key.OUTCOME.value: outcome.value}
        form = self.press(who, Verb.DECIDE, data, on_card=case_id)
        assert not form.startswith("🚫"), form
        typed = {key: value for key, value in DECISION_TEXT.items() if key == "reason" or (
            key in ("practice_concern", "concern_actions")) or (key == "conditions" and outcome is
                                                                Outcome.APPROVED_WITH_CHANGES) or (
            key == "info_needed" and outcome is Outcome.DEFERRED)}
        said = self.press(who, Verb.RECORD_DECISION, data | decision_answers(outcome, weekly, **typed), on_card=case_id)
        assert "by" in said and not said.startswith("🚫"), said

    def at(self, when: datetime) -> None:
        self.teams.clock[0] = when
        worker.tick(self.teams.services, when)


def channel_payloads(teams: MatrixTeams) -> list[tuple[str, Any]]:
    """Everything panelbot sent to a channel, as sent: posts, replies, and each version of an updated card."""
    channels = set(teams.standin.channels)
    return [(call.operation, call.body) for call in teams.standin.calls
            if call.operation in ("send", "reply", "update", "create")
            and any(channel in unquote(call.path) for channel in channels)]


def allowed_to_read(teams: MatrixTeams) -> set[str]:
    """Who has a role on the flow's cases: their own people, the deciders and members of every body the
    flow's cases went to (or are endorsed at), and the spot checkers."""
    people = {WORKER, ATTENDEE, CASE_TM}
    for body in POLICY.bodies.values():
        people |= {person for role in (*body.decider_roles(), *body.members) for person in POLICY.members(role)}
    return people | set(POLICY.members(POLICY.spot_checks.role))


def test_no_typed_text_reaches_a_channel_an_answer_shown_there_or_a_log_only_personal_chats(matrix, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, every level
    teams, flow = matrix, Flow(matrix)
    services = teams.services
    ops, send_chair = holder("operations_managers"), holder("send_operations_manager")
    endorser = holder(POLICY.bodies["forum"].chair.rota[0])

    # The worker submits a case on every route, each free-text field holding the canary.
    forum = flow.submit(FORUM)
    delegated = flow.submit(DELEGATED)
    agreed = flow.submit(DELEGATED)
    withdrawn = flow.submit(DELEGATED)
    urgent = flow.submit({**URGENT, "urgent_reason": f"Why now: {CANARY}"})
    not_endorsed = flow.submit({**URGENT, "urgent_reason": f"Why now: {CANARY}"})
    send = flow.submit(SEND)
    send_changed = flow.submit(SEND)

    # The forum case is booked for the Wednesday; the team manager signs off one delegated case with a
    # practice concern and declines another; an operations manager decides the urgent one, a chair endorses it.
    for _ in range(2):  # booked, cancelled, booked again: the card changes each time
        said = flow.press(WORKER, Verb.BOOK, {Key.CASE.value: flow.case_id(forum),
                                              "slot": free_slot(teams, flow.case_id(forum), FORUM_DAY)})
        assert "Forum slot booked" in said, said
        if not _:
            said = flow.press(ATTENDEE, Verb.CANCEL_BOOKING_CONFIRMED, {Key.CASE.value: flow.case_id(forum)})
            assert "cancelled" in said, said
    flow.decide(CASE_TM, agreed, Outcome.APPROVED, DELEGATED["proposed_weekly"])
    flow.decide(CASE_TM, delegated, Outcome.DECLINED, DELEGATED["proposed_weekly"])
    flow.decide(ops, urgent, Outcome.APPROVED_WITH_CHANGES, URGENT["proposed_weekly"])
    flow.decide(endorser, urgent, Outcome.ENDORSED, URGENT["proposed_weekly"])
    flow.decide(ops, not_endorsed, Outcome.APPROVED, URGENT["proposed_weekly"])
    flow.decide(endorser, not_endorsed, Outcome.NOT_ENDORSED, URGENT["proposed_weekly"])
    # The SEND panel agrees a package; a review changes it (notes typed); the deputy does not ratify the change.
    flow.decide(send_chair, send_changed, Outcome.APPROVED, SEND["proposed_weekly"])
    said = flow.press(WORKER, Verb.RECORD_REVIEW, {
        Key.CASE.value: flow.case_id(send_changed), ReviewInput.QUALITY_OF_LIFE.value: "same",
        ReviewInput.PACKAGE.value: "changes", ReviewInput.NEW_WEEKLY.value: "330",
        ReviewInput.NOTES.value: f"Review notes: {CANARY}"})
    assert "Review recorded" in said, said
    flow.decide(holder("send_service_manager"), send_changed, Outcome.NOT_RATIFIED, "330")

    # A withdrawal, a review and a spot check, each with the canary typed in.
    said = flow.press(WORKER, Verb.WITHDRAW, {Key.CASE.value: flow.case_id(withdrawn),
                                              WithdrawInput.REASON.value: f"Withdrawn: {CANARY}"})
    assert "withdrawn" in said, said
    said = flow.press(WORKER, Verb.RECORD_REVIEW, {
        Key.CASE.value: flow.case_id(agreed), ReviewInput.QUALITY_OF_LIFE.value: "improved",
        ReviewInput.PACKAGE.value: "continues", ReviewInput.NOTES.value: f"Notes: {CANARY}"})
    assert "Review recorded" in said, said
    [listing] = teams.say(holder(POLICY.spot_checks.role), "spotchecks")
    assert agreed in listing, listing
    with services.sessions() as session:  # the check drawn for the case signed off above
        check_id = session.scalar(select(SpotCheck.id).where(SpotCheck.case_id == flow.case_id(agreed)))
    said = flow.press(holder(POLICY.spot_checks.role), Verb.RECORD_SPOT_CHECK, {
        Key.SPOT_CHECK.value: check_id, SpotCheckInput.FINDING.value: "concern",
        SpotCheckInput.ACTIONS.value: f"Spot check actions: {CANARY}"})
    assert "Spot check recorded" in said, said

    # Wednesday: the forum's agenda at 08:00; the chair asks for the case on its card and in the channel,
    # then decides it with every typed field, a practice concern too.
    flow.at(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
    flow.at(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    chair = chair_on(services, FORUM_DAY)
    said = flow.press(chair, Verb.OPEN_CASE, {Key.CASE.value: flow.case_id(forum)}, on_card=flow.case_id(forum))
    assert said == "The case's details are in your chat with panelbot.", said
    forum_channel = card_channel(teams, chair, flow.case_id(forum))
    teams.send(teams.message(chair, f"case {forum}", channel=forum_channel))
    flow.decide(chair, forum, Outcome.APPROVED_WITH_CHANGES, FORUM["proposed_weekly"])

    # Thursday: the SEND panel's agenda at its papers' cut-off; its chair defers the case.
    flow.at(datetime(2026, 11, 26, 8, 0, tzinfo=UTC))
    flow.decide(send_chair, send, Outcome.DEFERRED, SEND["proposed_weekly"])
    flow.at(datetime(2026, 11, 27, 10, 0, tzinfo=UTC))  # reminders, and anything left to deliver
    send_due_reminders(services, teams.clock[0])
    deliver_due(services, teams.clock[0])

    # Every channel saw its cards, the decisions under them and the agendas ...
    sent = channel_payloads(teams)
    posted_in = {channel for channel in teams.standin.channels if teams.standin.posted_in(channel)}
    assert posted_in == set(teams.standin.channels)  # every body's channel got its cards
    assert sum(1 for operation, _ in sent if operation == "reply") >= 10  # a reply for every decision
    assert sum(1 for operation, _ in sent if operation == "update") >= 12  # cards changed as the cases moved
    shown = json.dumps([body for _, body in sent], ensure_ascii=False)
    assert "Enhanced Peer Forum — Wednesday 25 November 2026" in shown  # the forum's agenda
    assert "Wednesday 9 December 2026" in shown  # the SEND panel's agenda
    # ... and none of what anyone typed, nor did any answer to a press in a channel, nor any log line.
    assert [(operation, leaks(body)) for operation, body in sent if leaks(body)] == []
    assert [leaks(answer) for answer in flow.in_channels if leaks(answer)] == []
    assert len(flow.in_channels) >= 10
    logged = "\n".join(f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in caplog.records)
    assert logged and leaks(logged) == []

    # What was typed reached personal chats only: those of the people on the cases (the worker and the
    # attendee hear the reasons; the team manager the practice concern), never anyone without a role.
    read_it = {person for person, user in teams.users.items()
               if any(leaks(activity) for activity in teams.standin.sent_to(user))}
    assert {WORKER, ATTENDEE, CASE_TM, chair} <= read_it
    assert read_it <= allowed_to_read(teams), sorted(teams.cast.label(person) for person in read_it)
    assert not read_it & {STRANGER, OUTSIDER, holder("placement_commissioning_officers")}


@pytest.mark.parametrize("where", ["in a channel", "in a personal chat"])
def test_a_case_asked_for_by_someone_without_a_role_shows_no_typed_text(matrix, where):
    """The case's details (what the worker typed) are for the people on it: a stranger in the tenant who
    types "case <reference>" or presses the card's button gets the reference and amounts only."""
    teams, flow = matrix, Flow(matrix)
    reference = flow.submit(FORUM)
    case_id = flow.case_id(reference)
    channel = card_channel(teams, STRANGER, case_id) if where == "in a channel" else None
    before = {user: len(teams.standin.sent_to(user)) for user in teams.users.values()}
    answer = teams.execute(STRANGER, Verb.OPEN_CASE, {Key.CASE.value: case_id}, channel=channel)
    teams.send(teams.message(STRANGER, f"case {reference}", channel=channel))
    assert reference in answer_text(answer) and leaks(answer) == []
    after = [activity for user in teams.users.values() for activity in teams.standin.sent_to(user)[before[user]:]]
    channel_now = teams.standin.posted_in(channel) if channel else []
    assert after or channel_now
    assert [leaks(activity) for activity in [*after, *channel_now] if leaks(activity)] == []
