"""Withdrawing a case and correcting it before its decision, through the real app."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.services.booking import book_slot
from bot.services.outbox import deliver_due
from handlers.slack.standin.requests import form_state
from messages.slack.cases import withdraw_modal
from messages.slack.ids import WithdrawField
from store.models import Audit, Case, ForumBooking, Reminder
from tests.conftest import dispatch
from tests.test_submit import DELEGATED_CASE, FORUM_CASE, posts_to, submit

PRIYA, TOMAS, STRANGER = "U0PRIYA", "U0TOMAS", "U0STRANGER"
THURSDAY_NINE = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
REASON = "Family found another way (typed by the worker)"


def withdraw(app, signer, services, user, case_id, reason=REASON, view_id="V0WITHDRAW"):
    from bot.services.cases import case_by_id

    view = {**withdraw_modal(case_by_id(services, case_id, PRIYA).case), "id": view_id}
    response = dispatch(app, signer.view_submission(user, view, form_state(view, {WithdrawField.REASON: reason})))
    assert response.status == 200
    return json.loads(response.body) if response.body else {}


def the_case(engine):
    with engine.connect() as connection:
        return connection.execute(select(Case)).one()


def test_the_worker_withdraws_a_booked_case_and_everything_it_set_going_stops(
        app, signer, slack, services, engine, policy, clock):
    submit(app, signer, policy, FORUM_CASE)
    case_id = the_case(engine).id
    book_slot(services, case_id, THURSDAY_NINE, PRIYA)
    deliver_due(services, clock[0])
    dispatch(app, signer.command(PRIYA, "withdraw 1234567"))
    [opened] = slack.calls_to("views.open")
    assert opened.args["view"]["title"]["text"] == "Withdraw 1234567"
    slack.reset()

    answer = withdraw(app, signer, services, PRIYA, case_id)
    assert answer["view"]["title"]["text"] == "Case withdrawn"
    row = the_case(engine)
    assert (row.stage, row.is_open) == ("withdrawn", False)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(ForumBooking)
                                 .where(ForumBooking.cancelled_at.is_(None))) == 0
        assert set(connection.scalars(select(Reminder.state))) == {"withdrawn"}
        audit = connection.execute(select(Audit).where(Audit.action == "case.withdrawn")).one()
    assert audit.before["slot"] == THURSDAY_NINE.isoformat() and audit.after["stage"] == "withdrawn"
    deliver_due(services, clock[0])
    assert slack.calls_to("chat.update")  # the card shows it withdrawn
    channel = json.dumps([c.args for c in posts_to(slack, policy.bodies["forum"].channel)])
    assert "Withdrawn" in channel and REASON not in channel  # the reason never goes to a channel
    # The chair of the booked day hears, with the reason, in a DM; so does the AP/SM attending.
    told = {c.args["channel"] for c in slack.calls_to("chat.postMessage") if REASON in json.dumps(c.args)}
    assert {"U0ANNAAP", "U0SMNBHD01"} <= told and policy.bodies["forum"].channel not in told


def test_only_the_worker_or_their_team_manager_may_withdraw_and_only_once(app, signer, slack, services, engine,
                                                                        policy):
    submit(app, signer, policy, DELEGATED_CASE)
    case_id = the_case(engine).id
    answer = json.loads(dispatch(app, signer.command(STRANGER, "withdraw 2345678")).body)
    assert answer["text"] == ("Only the worker who submitted case 2345678, or their team manager, can withdraw it.")
    forged = withdraw(app, signer, services, STRANGER, case_id)
    assert "Only the worker who submitted case 2345678" in forged["errors"][WithdrawField.REASON]
    assert the_case(engine).stage == "awaiting_sign_off"
    assert withdraw(app, signer, services, TOMAS, case_id)["response_action"] == "update"
    again = withdraw(app, signer, services, PRIYA, case_id, view_id="V0WITHDRAW2")
    assert "is withdrawn: it can no longer be withdrawn" in again["errors"][WithdrawField.REASON]
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Audit)
                                 .where(Audit.action == "case.withdrawn")) == 1


def test_a_blank_reason_is_an_inline_error_and_changes_nothing(app, signer, services, engine, policy):
    submit(app, signer, policy, DELEGATED_CASE)
    answer = withdraw(app, signer, services, PRIYA, the_case(engine).id, reason="   ")
    assert answer["errors"] == {WithdrawField.REASON: "Say why the case is withdrawn."}
    assert the_case(engine).stage == "awaiting_sign_off"


def test_the_worker_corrects_a_case_before_its_decision_and_it_is_routed_again(
        app, signer, slack, services, engine, policy, clock):
    submit(app, signer, policy, FORUM_CASE)
    case_id = the_case(engine).id
    book_slot(services, case_id, THURSDAY_NINE, PRIYA)
    answer = submit(app, signer, policy, {**FORUM_CASE, "proposed_weekly": "300", "ras_weekly": "320"},
                    view_id="V0CORRECT")
    words = json.dumps(answer["view"], ensure_ascii=False)
    assert answer["view"]["title"]["text"] == "Case corrected"
    assert ("Case 1234567 is corrected:* proposed cost £412.00 → £300.00; RAS £298.00 → £320.00; now goes to the "
            "delegated sign-off.") in words
    row = the_case(engine)
    assert (row.id, row.route, row.stage, row.round) == (case_id, "delegated", "awaiting_sign_off", 1)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(ForumBooking)
                                 .where(ForumBooking.cancelled_at.is_(None))) == 0
        corrected = connection.execute(select(Audit).where(Audit.action == "case.corrected")).one()
    assert (corrected.before["route"], corrected.after["route"]) == ("forum", "delegated")
    deliver_due(services, clock[0])
    assert posts_to(slack, policy.bodies["delegated"].channel)  # a new card where it is now decided
    assert any(c.args["channel"] == TOMAS for c in slack.calls_to("chat.postMessage"))  # the team manager hears


def test_after_a_decision_the_same_reference_is_a_new_case(app, signer, services, engine, policy):
    from bot.domain.decisions import DecisionForm, Outcome
    from bot.services.decisions import decide

    submit(app, signer, policy, DELEGATED_CASE)
    decide(services, the_case(engine).id, 1, DecisionForm(outcome=Outcome.APPROVED, reason="ok"), TOMAS)
    answer = submit(app, signer, policy, {**DELEGATED_CASE, "proposed_weekly": "290"}, view_id="V0AGAIN")
    assert answer["view"]["title"]["text"] == "Case submitted"
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Case)) == 2
