"""The App Home tab: each person's own (what waits on them, their cases and bookings, what their role
needs today), and `/panel mine` showing what waits on them too."""

import json
from datetime import UTC, date, datetime, timedelta

from bot.services.booking import book_slot
from bot.services.home import READ_MOST, home_of
from messages.slack.home import HOME_BLOCKS, home_view
from messages.teams.home import home_card
from tests.conftest import dispatch

PRIYA, TOMAS, CHAIR_TODAY = "U0PRIYA", "U0TOMAS", "U0SDASCOP1"


def published(slack, user):
    [call] = [c for c in slack.calls_to("views.publish") if c.args["user_id"] == user]
    view = call.args["view"]
    return json.loads(view) if isinstance(view, str) else view


def text_of(view):
    return json.dumps(view, ensure_ascii=False)


def test_opening_the_home_tab_publishes_the_persons_own_home(app, signer, slack, new_case):
    new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")
    dispatch(app, signer.event({"type": "app_home_opened", "user": TOMAS, "tab": "home"}))
    view = published(slack, TOMAS)
    assert view["type"] == "home"
    words = text_of(view)
    assert "*Waiting on you (1)*" in words
    assert "*sign-off* — 2345678 · new package £280.00/wk, delegated sign-off · since today" in words
    assert "/panel help" in words


def test_the_worker_sees_their_open_cases_and_bookings(app, signer, slack, services, new_case):
    case_id = new_case()
    book_slot(services, case_id, datetime(2026, 11, 26, 9, 0, tzinfo=UTC), PRIYA)
    dispatch(app, signer.event({"type": "app_home_opened", "user": PRIYA, "tab": "home"}))
    words = text_of(published(slack, PRIYA))
    assert "*Your open cases (1)*" in words
    assert "*1234567* — new package £412.00/wk · Enhanced Peer Forum · booked into a sitting" in words
    assert "1234567: Enhanced Peer Forum, Thursday 26 November 2026, 09:00–09:30" in words
    assert "Nothing waits on you." in words


def test_the_chair_of_the_day_sees_todays_decisions_and_the_days_waiting_grow(services, new_case, clock):
    case_id = new_case()
    book_slot(services, case_id, datetime(2026, 11, 24, 12, 30, tzinfo=UTC), PRIYA)  # today, 12:30
    home = home_of(services, CHAIR_TODAY)
    assert [(task.what, task.reference) for task in home.waiting] == [("decision", "1234567")]
    assert home.chairing == ("You chair the Enhanced Peer Forum today: 8 slots; {{/agenda}} shows them.",)
    clock[0] = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    later = home_of(services, CHAIR_TODAY)
    assert later.waiting[0].days_waiting(later.today) == 3


def test_a_panel_admin_sees_the_next_panel_and_its_cut_off(services):
    home = home_of(services, "U0PANELAD1")
    assert home.panels == ("SEND Quality Assurance Panel: next sits Wednesday 9 December 2026; papers due by the end "
                           "of Wednesday 25 November 2026 ({{/agenda send_panel}})",)


def test_a_long_home_stays_within_slacks_hundred_blocks_and_says_how_many_more(services, new_case):
    for n in range(60):
        new_case(reference=f"{3000000 + n}", proposed_weekly="280", ras_weekly="300")
    home = home_of(services, TOMAS)
    assert home.waiting_count == 60
    view = home_view(home)
    assert len(view["blocks"]) <= HOME_BLOCKS
    assert "*Waiting on you (60)*" in text_of(view) and "and 40 more" in text_of(view)


def submit_hourly(new_case, clock, base, count=100):
    """`count` delegated cases by U0PRIYA to U0TOMAS, an hour apart; the first submitted has the highest
    reference (base + count - 1), so the oldest are not the lowest references."""
    start = clock[0]
    for n in range(count):
        clock[0] = start + timedelta(hours=n)
        new_case(reference=f"{base + count - 1 - n}", proposed_weekly="280", ras_weekly="300")


def test_a_team_manager_with_a_hundred_sign_offs_reads_the_oldest_forty_and_counts_the_rest(
        app, signer, services, new_case, clock):
    """Before, every case waiting on them was read at every publish of their Home (600 in the
    benchmark: the worker's largest cost). What they see is the same: the count, the oldest first."""
    submit_hourly(new_case, clock, 3100000)
    home = home_of(services, TOMAS)
    assert (len(home.waiting), home.waiting_more, home.waiting_count) == (READ_MOST, 100 - READ_MOST, 100)
    # The forty submitted first (3100099 down to 3100060) are read, oldest day first.
    assert {task.reference for task in home.waiting} == {f"{3100000 + n}" for n in range(60, 100)}
    assert [task.since for task in home.waiting] == sorted(task.since for task in home.waiting)
    words = text_of(home_view(home))
    assert "*Waiting on you (100)*" in words and "and 80 more" in words
    answer = json.dumps(json.loads(dispatch(app, signer.command(TOMAS, "mine")).body))
    assert "*Waiting on you (100)*" in answer and "and 60 more on your Home tab" in answer


def test_a_worker_with_a_hundred_open_cases_has_the_oldest_forty_read_and_sees_them_all_counted(
        services, new_case, clock):
    """Before, every open case of theirs was read at every publish of their Home: the benchmark's one
    worker with 600 open cases made their Home the worker process's largest cost."""
    submit_hourly(new_case, clock, 3200000)
    home = home_of(services, PRIYA)
    assert (len(home.cases), home.cases_more, home.cases_count) == (READ_MOST, 100 - READ_MOST, 100)
    # The forty submitted first (3200099 down to 3200060), oldest first.
    assert [case.reference for case in home.cases] == [f"{3200000 + 99 - n}" for n in range(READ_MOST)]
    words = text_of(home_view(home))
    assert "*Your open cases (100)*" in words and "and 80 more" in words
    card = text_of(home_card(home))
    assert "Your open cases (100)" in card and "and 80 more" in card


def test_panel_mine_shows_what_waits_on_a_team_manager(app, signer, new_case):
    new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")
    answer = json.loads(dispatch(app, signer.command(TOMAS, "mine")).body)
    assert "*Waiting on you (1)*" in answer["blocks"][0]["text"]["text"]
    assert "You have no cases yet" not in json.dumps(answer)


def test_opening_the_messages_tab_publishes_nothing(app, signer, slack):
    assert dispatch(app, signer.event({"type": "app_home_opened", "user": PRIYA, "tab": "messages"})).status == 200
    assert slack.calls_to("views.publish") == []


def test_the_senior_qa_officer_sees_overdue_visits(services, slack, clock):
    from bot.services.visits import add_placement, save_provision

    slack.groups["S0PCOTEAM"] = ["U0PCO0001"]
    view, _ = save_provision(services, "U0PCO0001", provision_id=None, name="Oakwood House",
                             provision_type="residential_home", rating=None, rated_on=None, contact=None)
    add_placement(services, "U0PCO0001", provision_id=view.id, child_reference="7654321",
                  starts_on=date(2026, 11, 25), social_worker=None, iro=None, sen_officer=None)
    clock[0] = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
    home = home_of(services, "U0SQAO0001")
    assert home.overdue_visits and home.overdue_visits[0].startswith("Oakwood House: initial visit, due ")


def test_a_spot_checker_sees_the_spot_checks_waiting_on_them(services, new_case):
    from bot.domain.decisions import DecisionForm, Outcome
    from bot.services.decisions import decide

    for n in range(40):  # some of forty delegated approvals are drawn for a check (10% and the policy's rules)
        case_id = new_case(reference=f"{5000000 + n}", proposed_weekly="280", ras_weekly="300")
        decide(services, case_id, 1, DecisionForm(outcome=Outcome.APPROVED, reason="ok"), "U0TOMAS")
    from bot.services.spot_checks import open_spot_checks

    drawn = open_spot_checks(services, "U0SQAO0001", limit=200)
    assert drawn
    home = home_of(services, "U0SQAO0001")
    assert [task.reference for task in home.waiting if task.what == "spot check"] == [c.reference for c in drawn]


def test_a_team_managers_home_is_published_once_for_cases_submitted_together_and_shows_them_all(
        services, engine, slack, new_case):
    from sqlalchemy import select

    from bot.services.outbox import deliver_due
    from store.models import Outbox

    for n in range(3):
        new_case(reference=f"345678{n}", proposed_weekly="280", ras_weekly="300")
    slack.reset()
    deliver_due(services, services.now())
    view = published(slack, TOMAS)  # one publish for the three cases
    assert "*Waiting on you (3)*" in text_of(view)
    with engine.connect() as connection:
        states = connection.execute(select(Outbox.state, Outbox.error).where(
            Outbox.kind == "home", Outbox.recipient == TOMAS)).all()
    assert len(states) == 3 and {state for state, _ in states} == {"sent"}
    assert sorted(error or "" for _, error in states) == ["", "superseded", "superseded"]


def test_a_home_queued_by_a_change_is_left_to_the_one_a_later_change_queued_unless_it_has_waited_five_seconds(
        services, engine, slack, new_case, clock):
    """Before, each case's own pass published the team manager's Home: fifty submissions in a burst read
    and published it fifty times. Now the last publish shows them all, and a busy Home still goes out
    at least every five seconds."""
    from sqlalchemy import select

    from bot.services.outbox import deliver_due
    from store.models import Outbox

    first = new_case(reference="3456780", proposed_weekly="280", ras_weekly="300")
    second = new_case(reference="3456781", proposed_weekly="280", ras_weekly="300")
    slack.reset()
    deliver_due(services, services.now(), case_id=first)
    assert [c for c in slack.calls_to("views.publish") if c.args["user_id"] == TOMAS] == []
    deliver_due(services, services.now(), case_id=second)
    assert "*Waiting on you (2)*" in text_of(published(slack, TOMAS))
    with engine.connect() as connection:
        assert sorted(error or "" for (error,) in connection.execute(select(Outbox.error).where(
            Outbox.kind == "home", Outbox.recipient == TOMAS))) == ["", "superseded"]

    third = new_case(reference="3456782", proposed_weekly="280", ras_weekly="300")
    new_case(reference="3456783", proposed_weekly="280", ras_weekly="300")
    clock[0] += timedelta(seconds=5)
    slack.reset()
    deliver_due(services, services.now(), case_id=third)  # waited five seconds: published, with both
    assert "*Waiting on you (4)*" in text_of(published(slack, TOMAS))
