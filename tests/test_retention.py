"""Retention: closed cases past the council's period are pseudonymised (free text erased, reference
replaced), the audit records it and still verifies, and the Slack messages about them are deleted."""

from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from bot.domain.decisions import DecisionForm, Outcome
from bot.domain.retention import Retention, is_past_retention, kept_until, tombstone
from bot.policy import PolicyError, default_policy_path, load_policy
from bot.services.decisions import decide
from bot.services.export import export_reference
from bot.services.outbox import deliver_due
from bot.services.retention import delete_erased_messages, pseudonymise_due_cases
from bot.services.visits import add_placement, save_provision
from store.audit import pseudonym, verify_chain
from store.models import Audit, Case, CaseCard, Decision, MessageDeletion, Placement, Reminder
from tests.conftest import TEST_AUDIT_KEY

KEY = TEST_AUDIT_KEY.encode()
TOMAS, PRIYA, OFFICER = "U0TOMAS", "U0PRIYA", "U0PCO0001"
# The case is decided on Tuesday 24 November 2026; the clock then moves on by years.
DECIDED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
DELEGATED = {"proposed_weekly": "280", "ras_weekly": "300"}


# -- the rule ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("services", "last", "today", "past"), [
    (["adults"], date(2026, 11, 24), date(2034, 11, 23), False),  # a day short of 8 years
    (["adults"], date(2026, 11, 24), date(2034, 11, 24), True),  # 8 years after the end of care
    (["children_send"], date(2026, 11, 24), date(2034, 11, 24), False),  # children: 25 years with no birth date
    (["children_send"], date(2026, 11, 24), date(2051, 11, 24), True),
    (["adults", "placements"], date(2026, 11, 24), date(2040, 1, 1), False),  # the longest service decides
    (["adults"], date(2024, 2, 29), date(2032, 2, 28), False),  # a leap day counts to 28 February...
    (["adults"], date(2024, 2, 29), date(2032, 2, 29), True),  # ...or the 29th when there is one
])
def test_records_are_kept_for_the_longest_period_of_the_persons_services(services, last, today, past):
    assert is_past_retention(Retention(), services, last, today) is past


def test_the_defaults_are_the_records_management_codes_and_a_service_it_does_not_name_keeps_longest():
    retention = Retention()
    assert (retention.adults, retention.children_send, retention.placements) == (8, 25, 25)
    assert retention.years_for("something_new") == 25
    assert kept_until(retention, [], date(2026, 1, 1)) == date(2051, 1, 1)
    assert tombstone(date(2026, 11, 30)) == "[erased 2026-11-30 under retention]"


def test_a_council_sets_its_own_periods_in_the_policy_and_a_typo_is_refused(tmp_path):
    text = default_policy_path().read_text()
    good = tmp_path / "good.toml"
    good.write_text(text + "\n[retention]\nadults = 10\n")
    assert load_policy(good).retention.adults == 10
    bad = tmp_path / "bad.toml"
    bad.write_text(text + "\n[retention]\nadult = 10\n")
    with pytest.raises(PolicyError, match="adult"):
        load_policy(bad)


# -- pseudonymising ----------------------------------------------------------------------------------


@pytest.fixture
def team(slack, policy):
    slack.groups[policy.members("team_managers")[0]] = [TOMAS]
    return slack


@pytest.fixture
def closed_case(services, new_case, team, clock):
    """An adults' case declined by the team manager, its card and DMs sent to Slack."""
    case_id = new_case(reference="2345678", alternatives="Mrs Example's neighbour helps", **DELEGATED)
    decide(services, case_id, 1, DecisionForm(outcome=Outcome.DECLINED, reason="Jane Example has family support",
                                              conditions=None), TOMAS)
    deliver_due(services, clock[0])
    return case_id


def years_later(clock, years, days=0):
    clock[0] = DECIDED + relativedelta(years=years) + timedelta(days=days)
    return clock[0]


def case_row(engine, case_id):
    with engine.connect() as connection:
        return connection.execute(select(Case).where(Case.id == case_id)).one()


def test_a_closed_adults_case_is_kept_until_eight_years_have_passed(services, engine, closed_case, clock):
    assert pseudonymise_due_cases(services, years_later(clock, 8, days=-1)) == 0
    assert case_row(engine, closed_case).reference == "2345678"


def test_past_retention_free_text_is_erased_and_the_reference_replaced_by_its_pseudonym(
        services, engine, closed_case, clock):
    now = years_later(clock, 8, days=1)
    assert pseudonymise_due_cases(services, now) == 1
    erased = f"[erased {now.date().isoformat()} under retention]"
    row = case_row(engine, closed_case)
    assert row.reference == pseudonym(KEY, "2345678")
    assert (row.strengths_and_needs, row.outcomes, row.alternatives) == (erased, erased, erased)
    with engine.connect() as connection:
        decision = connection.execute(select(Decision)).one()
        assert decision.reason == erased
        assert decision.outcome == "declined"  # facts stay: outcome, amounts, stage, who and when
        audit = connection.execute(select(Audit).order_by(Audit.id.desc())).first()
        assert (audit.action, audit.actor, audit.subject_id) == ("case.pseudonymised", "panelbot",
                                                                 pseudonym(KEY, "2345678"))
        assert audit.after["free_text"] == erased
        assert "2345678" not in str(audit.before) + str(audit.after)
        result = verify_chain(connection, KEY)
    assert result.ok, result.problem


def test_the_audit_rows_about_the_case_still_find_it_and_an_export_shows_the_tombstones(
        services, closed_case, clock):
    before = export_reference(services, "2345678", "U0DPO")
    pseudonymise_due_cases(services, years_later(clock, 8, days=1))
    after = export_reference(services, "2345678", "U0DPO")
    assert [row["reference"] for row in after.tables["cases"]] == [pseudonym(KEY, "2345678")]
    assert "Jane Example" not in after.as_json() and "Mrs Example" not in after.as_json()
    assert "Jane Example" in before.as_json()
    by_pseudonym = export_reference(services, pseudonym(KEY, "2345678"), "U0DPO")
    assert [row["id"] for row in by_pseudonym.tables["audit"]][:-1] == [row["id"] for row in after.tables["audit"]]
    assert {row["action"] for row in after.tables["audit"]} >= {"case.submitted", "case.decision",
                                                                "case.pseudonymised", "subject.exported"}


def test_the_slack_messages_it_posted_about_the_case_are_deleted(services, engine, closed_case, clock, slack):
    with engine.connect() as connection:
        card = connection.execute(select(CaseCard.channel, CaseCard.ts)).one()
    slack.reset()
    pseudonymise_due_cases(services, years_later(clock, 8, days=1))
    deleted = {(call.args["channel"], call.args["ts"]) for call in slack.calls_to("chat.delete")}
    assert tuple(card) in deleted
    assert len(deleted) >= 3  # the card, the receipt, the decision DM
    with engine.connect() as connection:
        assert set(connection.scalars(select(MessageDeletion.state))) == {"deleted"}


def test_a_message_slack_no_longer_has_counts_as_deleted_and_an_outage_is_retried(
        services, engine, closed_case, clock, slack):
    slack.reset()
    slack.fail_next("chat.delete", error="message_not_found")
    slack.fail_next("chat.delete", status=503)
    now = years_later(clock, 8, days=1)
    pseudonymise_due_cases(services, now)
    with engine.connect() as connection:
        states = sorted(connection.scalars(select(MessageDeletion.state)))
    assert states.count("pending") == 1 and "failed" not in states
    assert delete_erased_messages(services, now + timedelta(minutes=1)) == 1
    with engine.connect() as connection:
        assert set(connection.scalars(select(MessageDeletion.state))) == {"deleted"}


def test_a_permanent_refusal_is_recorded_and_not_retried(services, engine, closed_case, clock, slack):
    slack.reset()
    slack.fail_next("chat.delete", error="cant_delete_message")
    now = years_later(clock, 8, days=1)
    pseudonymise_due_cases(services, now)
    calls = len(slack.calls_to("chat.delete"))
    delete_erased_messages(services, now + timedelta(minutes=5))
    assert len(slack.calls_to("chat.delete")) == calls
    with engine.connect() as connection:
        assert connection.execute(select(MessageDeletion.state, MessageDeletion.error)
                                  .where(MessageDeletion.state == "failed")).all() == [("failed",
                                                                                         "cant_delete_message")]


def test_running_again_changes_nothing_more(services, engine, closed_case, clock, slack):
    now = years_later(clock, 8, days=1)
    pseudonymise_due_cases(services, now)
    with engine.connect() as connection:
        rows = connection.scalar(select(Audit.id).order_by(Audit.id.desc()))
    slack.reset()
    assert pseudonymise_due_cases(services, now + timedelta(days=1)) == 0
    assert slack.calls_to("chat.delete") == []
    with engine.connect() as connection:
        assert connection.scalar(select(Audit.id).order_by(Audit.id.desc())) == rows


def test_an_open_case_is_never_pseudonymised_however_old(services, engine, new_case, team, clock):
    case_id = new_case(reference="3456789", **DELEGATED)  # waits for sign-off for ever
    assert pseudonymise_due_cases(services, years_later(clock, 30)) == 0
    assert case_row(engine, case_id).reference == "3456789"


def test_an_agreed_package_with_reviews_due_is_kept_from_its_last_review_date(services, engine, new_case, team,
                                                                              clock):
    case_id = new_case(reference="4567890", **DELEGATED)
    decide(services, case_id, 1, DecisionForm(outcome=Outcome.APPROVED, reason="within RAS"), TOMAS)
    assert pseudonymise_due_cases(services, years_later(clock, 8, days=1)) == 0  # the review is due after this
    assert pseudonymise_due_cases(services, years_later(clock, 10)) == 1


def test_a_childs_placement_is_kept_for_the_childrens_period_then_its_reference_replaced(
        services, engine, clock):
    services.directory = type("Officers", (), {"group_members": lambda self, group: frozenset({OFFICER})})()
    provision, _ = save_provision(services, OFFICER, provision_id=None, name="Oakwood House",
                                  provision_type="supported_16_plus", rating=None, rated_on=None, contact=None)
    add_placement(services, OFFICER, provision_id=provision.id, child_reference="5678901",
                  starts_on=date(2026, 12, 1), social_worker=None, iro=None, sen_officer=None)
    with services.sessions.begin() as session:  # the initial visit happened and nothing is open
        from store.models import Visit
        for visit in session.scalars(select(Visit)):
            visit.state, visit.done_on = "done", date(2026, 12, 2)
    assert pseudonymise_due_cases(services, years_later(clock, 20)) == 0
    assert pseudonymise_due_cases(services, years_later(clock, 26)) == 1
    with engine.connect() as connection:
        assert connection.scalar(select(Placement.child_reference)) == pseudonym(KEY, "5678901")
        assert verify_chain(connection, KEY).ok


def test_a_reminder_dm_that_also_lists_someone_elses_case_is_left_in_slack(services, engine, closed_case,
                                                                          new_case, clock, slack):
    other = new_case(reference="6789012", **DELEGATED)
    with services.sessions.begin() as session:
        for n, case_id in enumerate((closed_case, other)):
            session.add(Reminder(key=f"shared:{n}", person=PRIYA, case_id=case_id, kind="review_due", why="due",
                                 due_at=clock[0], state="sent", attempts=1, created_at=clock[0],
                                 sent_channel="D0PRIYA", sent_ts="1800009999.000100"))
    with services.sessions.begin() as session:
        session.get_one(Case, other).is_open = True
    slack.reset()
    pseudonymise_due_cases(services, years_later(clock, 8, days=1))
    assert ("D0PRIYA", "1800009999.000100") not in {(c.args["channel"], c.args["ts"])
                                                    for c in slack.calls_to("chat.delete")}


def test_two_workers_pseudonymising_the_same_case_at_once_do_it_once(services, engine, closed_case, clock):
    from concurrent.futures import ThreadPoolExecutor

    from bot.services.retention import pseudonymise_reference

    now = years_later(clock, 8, days=1)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: pseudonymise_reference(services, "2345678", now), range(4)))
    assert results.count(True) == 1
    with engine.connect() as connection:
        assert connection.scalars(select(Audit.action).where(Audit.action == "case.pseudonymised")).all() == [
            "case.pseudonymised"]
        assert verify_chain(connection, KEY).ok


def test_the_search_runs_once_a_day_but_deletions_are_retried_every_tick(services, engine, closed_case, clock,
                                                                         slack, monkeypatch):
    import bot.services.retention as retention

    slack.reset()
    slack.fail_next("chat.delete", status=503)
    now = years_later(clock, 8, days=1)
    assert pseudonymise_due_cases(services, now) == 1
    monkeypatch.setattr(retention, "candidates", lambda *args: pytest.fail("searched twice in a day"))
    pseudonymise_due_cases(services, now + timedelta(minutes=1))
    with engine.connect() as connection:
        assert set(connection.scalars(select(MessageDeletion.state))) == {"deleted"}
