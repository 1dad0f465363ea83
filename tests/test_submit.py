"""`/panel submit` end to end: the form, inline errors, routing, the card, the receipt, and
what happens when Slack or the database fails part-way or the same form arrives twice."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.services import cases as case_services
from bot.services.outbox import deliver_due
from handlers.slack.standin.requests import form_state
from messages.slack.ids import Callback
from messages.slack.submit import submit_modal
from store.audit import pseudonym
from store.models import Audit, Case, CaseCard, Outbox
from tests.conftest import TEST_AUDIT_KEY, dispatch

PRIYA, TOMAS, ANNA, STRANGER = "U0PRIYA", "U0TOMAS", "U0ANNAAP", "U0STRANGER"
CANARY = "Canary-Mrs-Example-born-1950"

FORUM_CASE = {
    "reference": "1234567", "service": "adults", "request_type": "new_package", "proposed_weekly": "412",
    "ras_weekly": "298", "strengths_and_needs": f"{CANARY} strengths", "outcomes": f"{CANARY} outcomes",
    "alternatives": f"{CANARY} alternatives", "evidence": ["occupational therapy"], "team_manager": TOMAS,
    "attendee": ANNA,
}
DELEGATED_CASE = {**FORUM_CASE, "reference": "2345678", "proposed_weekly": "280", "ras_weekly": "300"}
SEND_CASE = {**FORUM_CASE, "reference": "3456789", "service": "children_send", "request_type": "direct_payment",
             "proposed_weekly": "310", "ras_weekly": "300", "hours_per_month": "40.5"}
URGENT_CASE = {**FORUM_CASE, "reference": "4567890", "urgent": ["urgent"],
               "urgent_reason": f"{CANARY} carer in hospital"}


def form_view(policy, view_id="V0FORM0001"):
    return {**submit_modal(policy), "id": view_id}


def submit(app, signer, policy, answers, *, user=PRIYA, view_id="V0FORM0001"):
    view = form_view(policy, view_id)
    response = dispatch(app, signer.view_submission(user, view, form_state(view, answers)))
    assert response.status == 200
    return json.loads(response.body) if response.body else {}


def count(engine, model):
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def posts_to(slack, channel):
    return [call for call in slack.calls_to("chat.postMessage") if call.args["channel"] == channel]


def test_panel_submit_opens_the_case_form(app, signer, slack):
    response = dispatch(app, signer.command(PRIYA, "submit"))
    assert response.status == 200
    [opened] = slack.calls_to("views.open")
    assert opened.args["view"]["callback_id"] == Callback.SUBMIT_FORM


def test_the_global_shortcut_opens_the_same_form(app, signer, slack):
    dispatch(app, signer.shortcut(PRIYA, Callback.SUBMIT_SHORTCUT))
    [opened] = slack.calls_to("views.open")
    assert opened.args["view"]["callback_id"] == Callback.SUBMIT_FORM


def test_a_forum_case_is_stored_carded_in_the_forum_channel_and_receipted(app, signer, slack, policy, engine):
    answer = submit(app, signer, policy, FORUM_CASE)
    assert answer["response_action"] == "update"
    assert "1234567" in json.dumps(answer["view"])
    with engine.connect() as connection:
        row = connection.execute(select(Case)).one()
    assert (row.route, row.stage, row.is_open) == ("forum", "awaiting_booking", True)
    assert "£412.00/wk is over the £350.00 threshold" in row.reasons[0]
    [card] = posts_to(slack, policy.bodies["forum"].channel)
    assert "1234567" in card.args["text"]
    with engine.connect() as connection:
        [stored_card] = connection.execute(select(CaseCard.case_id, CaseCard.channel, CaseCard.ts)).all()
    assert (stored_card.case_id, stored_card.channel) == (row.id, policy.bodies["forum"].channel) and stored_card.ts
    [receipt] = posts_to(slack, PRIYA)
    assert "book" in json.dumps(receipt.args).lower()


def test_the_card_and_the_receipt_carry_no_free_text(app, signer, slack, policy):
    submit(app, signer, policy, URGENT_CASE)
    assert slack.calls_to("chat.postMessage")
    for call in slack.calls_to("chat.postMessage"):
        assert CANARY not in json.dumps(call.args)


def test_a_submission_writes_an_audit_row_without_free_text(app, signer, policy, engine):
    submit(app, signer, policy, FORUM_CASE)
    with engine.connect() as connection:
        [audit] = connection.execute(select(Audit)).all()
    # The audit names the case by its keyed pseudonym, never the reference itself (see store/audit.py).
    assert (audit.actor, audit.action, audit.subject_id) == (PRIYA, "case.submitted",
                                                             pseudonym(TEST_AUDIT_KEY.encode(), "1234567"))
    assert audit.after["route"] == "forum"
    assert CANARY not in json.dumps(audit.after)


def test_a_delegated_case_waits_on_the_team_manager_who_is_told_by_dm(app, signer, slack, policy, engine):
    submit(app, signer, policy, DELEGATED_CASE)
    with engine.connect() as connection:
        assert connection.scalar(select(Case.stage)) == "awaiting_sign_off"
    assert posts_to(slack, policy.bodies["delegated"].channel)
    [notice] = posts_to(slack, TOMAS)
    assert "2345678" in notice.args["text"]


def test_an_urgent_case_goes_to_the_operations_managers(app, signer, slack, policy, engine):
    group = policy.members("operations_managers")[0]
    slack.groups[group] = ["U0OLUOPS", "U0KEMIOPS"]
    submit(app, signer, policy, URGENT_CASE)
    with engine.connect() as connection:
        row = connection.execute(select(Case)).one()
    assert (row.route, row.stage) == ("urgent", "awaiting_urgent_decision")
    assert "endorsement" in row.then
    [card] = posts_to(slack, policy.bodies["urgent"].channel)
    assert f"<!subteam^{group}>" in json.dumps(card.args)
    for manager in ("U0OLUOPS", "U0KEMIOPS"):
        [notice] = posts_to(slack, manager)
        assert "4567890" in notice.args["text"]


def test_a_send_direct_payment_is_listed_for_the_next_panel_with_its_papers_date(app, signer, slack, policy, engine):
    # Tuesday 24 November 2026: the 9 December panel's papers are due on 25 November.
    submit(app, signer, policy, SEND_CASE)
    with engine.connect() as connection:
        row = connection.execute(select(Case)).one()
    assert (row.route, row.stage) == ("send_panel", "listed")
    assert row.panel_day.isoformat() == "2026-12-09"
    assert row.papers_due.isoformat() == "2026-11-25"
    assert row.practitioner_must_attend is True
    receipt = json.dumps(posts_to(slack, PRIYA)[0].args)
    assert "9 December 2026" in receipt


def test_a_late_send_submission_goes_to_the_following_panel_and_says_why(app, signer, slack, policy, engine, clock):
    clock[0] = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # a day after the 9 December papers were due
    submit(app, signer, policy, SEND_CASE)
    with engine.connect() as connection:
        row = connection.execute(select(Case)).one()
    assert row.panel_day.isoformat() == "2027-01-13"
    assert row.panel_late_for.isoformat() == "2026-12-09"
    assert "9 December 2026" in json.dumps(posts_to(slack, PRIYA)[0].args)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reference": "12AB"}, "reference"),
        ({"proposed_weekly": "-5"}, "proposed_weekly"),
        ({"proposed_weekly": "999999999"}, "proposed_weekly"),
        ({"request_type": "increase"}, "current_weekly"),
        ({"request_type": "respite", "respite_weeks": "53"}, "respite_weeks"),
        ({"hours_per_month": "745"}, "hours_per_month"),
        ({"strengths_and_needs": None}, "strengths_and_needs"),
        ({"team_manager": PRIYA}, "team_manager"),
        ({"urgent": ["urgent"]}, "urgent_reason"),
        ({"attendee": None}, "attendee"),
    ],
    ids=["reference-format", "negative-cost", "absurd-cost", "increase-without-current-cost", "53-weeks-respite",
         "745-hours", "no-strengths", "own-team-manager", "urgent-without-reason", "forum-without-attendee"],
)
def test_a_wrong_field_gets_an_inline_error_and_nothing_is_stored_or_sent(app, signer, slack, policy, engine,
                                                                          change, field):
    answer = submit(app, signer, policy, {**FORUM_CASE, **change})
    assert answer["response_action"] == "errors"
    assert field in answer["errors"]
    assert count(engine, Case) == count(engine, Outbox) == count(engine, Audit) == 0
    assert slack.calls_to("chat.postMessage") == []


def test_a_case_already_in_flight_is_refused_naming_its_stage_and_where_it_is(app, signer, slack, policy):
    submit(app, signer, policy, FORUM_CASE, view_id="V0FIRST")
    # Another worker submitting the same reference (the worker who submitted it corrects it instead).
    answer = submit(app, signer, policy, {**FORUM_CASE, "proposed_weekly": "450"}, user="U0BENWORK",
                    view_id="V0SECOND")
    assert answer["response_action"] == "errors"
    message = answer["errors"]["reference"]
    assert "already in flight" in message
    assert "waiting for a slot to be booked" in message
    assert "Enhanced Peer Forum" in message


def test_a_double_clicked_submit_makes_one_case_and_one_card(app, signer, slack, policy, engine):
    first = submit(app, signer, policy, FORUM_CASE)
    second = submit(app, signer, policy, FORUM_CASE)
    assert first["response_action"] == second["response_action"] == "update"
    assert count(engine, Case) == 1
    assert len(posts_to(slack, policy.bodies["forum"].channel)) == 1
    assert len(posts_to(slack, PRIYA)) == 1


def test_twenty_simultaneous_deliveries_of_one_submission_make_one_case(app, signer, slack, policy, engine):
    view = form_view(policy)
    signed = signer.view_submission(PRIYA, view, form_state(view, FORUM_CASE))
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: dispatch(app, signed).status, range(20)))
    assert statuses == [200] * 20
    assert count(engine, Case) == 1
    assert len(posts_to(slack, policy.bodies["forum"].channel)) == 1


def test_when_slack_fails_the_case_is_kept_and_its_messages_go_out_on_a_later_tick(
        app, signer, slack, policy, engine, services, clock):
    slack.fail_next("chat.postMessage", status=503, times=2)  # Slack kept nothing: tried again later
    answer = submit(app, signer, policy, FORUM_CASE)
    assert answer["response_action"] == "update"
    assert count(engine, Case) == 1
    with engine.connect() as connection:
        assert connection.scalar(select(CaseCard.ts)) is None
    assert deliver_due(services, clock[0]) == 0  # not before the back-off has passed
    clock[0] = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    assert deliver_due(services, clock[0]) == 2
    with engine.connect() as connection:
        assert connection.scalar(select(CaseCard.ts)) is not None
    assert len(posts_to(slack, policy.bodies["forum"].channel)) == 2  # the failed try and the one that landed
    assert deliver_due(services, clock[0]) == 0  # nothing is sent twice


def test_a_case_card_answered_500_is_not_posted_again_and_the_panel_admin_is_told(
        app, signer, slack, policy, engine, services, clock):
    """Slack's 500: "it's possible some aspect of the operation succeeded". panelbot does not read the
    channel, so the card is not posted a second time: it is marked unknown and a person checks."""
    slack.fail_next("chat.postMessage", status=500)  # the card's post: its fate is not known
    submit(app, signer, policy, FORUM_CASE)
    for hours in (1, 2, 3):
        clock[0] = datetime(2026, 11, 24, 10 + hours, 0, tzinfo=UTC)
        deliver_due(services, clock[0])
    assert len(posts_to(slack, policy.bodies["forum"].channel)) == 1  # the one try: never a second card
    with engine.connect() as connection:
        assert connection.execute(select(Outbox.state, Outbox.error).where(
            Outbox.kind == "case_card")).one() == ("unknown", "http_500")
        told = connection.execute(select(Outbox.recipient, Outbox.state).where(
            Outbox.kind == "delivery_unknown")).all()
    assert told and {state for _, state in told} == {"sent"}
    assert set(policy.members("panel_admins")) >= {recipient for recipient, _ in told}


def test_a_recipient_slack_no_longer_knows_is_marked_failed_not_retried_forever(app, signer, slack, policy, engine):
    slack.fail_next("chat.postMessage", error="channel_not_found")
    submit(app, signer, policy, FORUM_CASE)
    with engine.connect() as connection:
        states = dict(connection.execute(select(Outbox.kind, Outbox.state)).all())
    assert states == {"case_card": "failed", "receipt": "sent", "home": "sent"}  # the worker's Home tab too


def test_when_the_database_fails_mid_way_nothing_is_stored_and_the_form_asks_to_try_again(
        app, signer, slack, policy, engine, monkeypatch):
    def broken_audit(*args, **kwargs):
        raise OperationalError("INSERT INTO audit", {}, Exception("connection lost"))

    monkeypatch.setattr(case_services, "record_audit", broken_audit)
    answer = submit(app, signer, policy, FORUM_CASE)
    assert answer["response_action"] == "errors"
    assert "nothing was saved" in answer["errors"]["reference"]
    assert count(engine, Case) == count(engine, Outbox) == 0
    assert slack.calls_to("chat.postMessage") == []


def test_panel_mine_lists_my_cases_with_stage(app, signer, policy):
    submit(app, signer, policy, FORUM_CASE, view_id="V1")
    submit(app, signer, policy, DELEGATED_CASE, view_id="V2")
    text = json.dumps(json.loads(dispatch(app, signer.command(PRIYA, "mine")).body))
    assert "1234567" in text and "2345678" in text
    assert "waiting for a slot to be booked" in text
    assert CANARY not in text


def test_panel_case_shows_details_to_someone_with_a_role_on_it(app, signer, slack, policy):
    submit(app, signer, policy, FORUM_CASE)
    dispatch(app, signer.command(TOMAS, "case 1234567"))
    [details] = slack.calls_to("views.open")
    assert CANARY in json.dumps(details.args["view"])


def test_panel_case_shows_only_the_stage_to_someone_without_a_role(app, signer, slack, policy):
    submit(app, signer, policy, FORUM_CASE)
    body = json.loads(dispatch(app, signer.command(STRANGER, "case 1234567")).body)
    assert "1234567" in json.dumps(body)
    assert CANARY not in json.dumps(body)
    assert slack.calls_to("views.open") == []


def test_an_operations_manager_in_the_policys_user_group_counts_as_having_a_role(app, signer, slack, policy):
    group = policy.members("operations_managers")[0]
    slack.groups[group] = ["U0OPSMGR"]
    submit(app, signer, policy, URGENT_CASE)
    dispatch(app, signer.command("U0OPSMGR", "case 4567890"))
    [details] = slack.calls_to("views.open")
    assert CANARY in json.dumps(details.args["view"])


def test_panel_case_without_a_reference_gets_usage(app, signer):
    assert "Usage" in json.loads(dispatch(app, signer.command(PRIYA, "case")).body)["text"]


def test_the_open_button_on_the_receipt_shows_the_submitter_the_full_case(app, signer, slack, policy, engine):
    submit(app, signer, policy, FORUM_CASE)
    with engine.connect() as connection:
        case_id = connection.scalar(select(Case.id))
    slack.reset()
    dispatch(app, signer.block_action(PRIYA, "open_case", value=str(case_id), channel="D0PRIYA", message_ts="1.1"))
    [details] = slack.calls_to("views.open")
    assert CANARY in json.dumps(details.args["view"])


def test_the_open_button_pressed_by_someone_without_a_role_shows_only_the_stage(app, signer, slack, policy, engine):
    submit(app, signer, policy, FORUM_CASE)
    with engine.connect() as connection:
        case_id = connection.scalar(select(Case.id))
    slack.reset()
    dispatch(app, signer.block_action(STRANGER, "open_case", value=str(case_id), channel="C0X", message_ts="1.1"))
    assert slack.calls_to("views.open") == []
    [reply] = slack.calls_to("response_url")
    assert "Only people with a role" in json.dumps(reply.args)
    assert CANARY not in json.dumps(reply.args)
