"""Cover: someone away names a colleague who acts in their place, shown and audited as "@A for @B",
never lending a tier's limits nor letting anyone decide their own case."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import select

from bot.markup import person
from bot.services.booking import book_slot
from bot.services.cover import set_cover
from bot.services.views import chair_of
from handlers.slack.standin.requests import form_state
from messages.slack.format import slack_words
from messages.slack.home import away_modal
from messages.slack.ids import AwayField, DecisionField
from store.models import Audit, Cover, Decision
from tests.conftest import at_once, dispatch
from tests.test_decisions import stage, submit_decision

PRIYA, SAM, HANA, OLU = "U0PRIYA", "U0SDASCOP1", "U0SMHISIC1", "U0OLUOPS"


def set_away(app, signer, user, answers, view_id="V0AWAY"):
    view = {**away_modal("2026-11-24"), "id": view_id}
    response = dispatch(app, signer.view_submission(user, view, form_state(view, answers)))
    return json.loads(response.body) if response.body else {}


def test_a_chair_away_is_covered_by_another_chair_who_decides_for_them(app, signer, slack, services, engine,
                                                                      new_case):
    _, [chair] = chair_of(services, services.policy.bodies["forum"], date(2026, 11, 24))
    assert chair == SAM
    case_id = new_case()
    book_slot(services, case_id, datetime(2026, 11, 24, 12, 30, tzinfo=UTC), PRIYA)
    refused = submit_decision(app, signer, services, HANA, case_id, "approved", {DecisionField.REASON: "x"})
    assert "Only the chair of the Enhanced Peer Forum on Tuesday 24 November" in refused["errors"]["reason"]

    dispatch(app, signer.command(SAM, "away"))
    answer = set_away(app, signer, SAM, {AwayField.FIRST_DAY: "2026-11-24", AwayField.LAST_DAY: "2026-11-27",
                                         AwayField.COLLEAGUE: HANA})
    assert "covers for you from Tuesday 24 November 2026 to Friday 27 November 2026" in json.dumps(answer)

    assert submit_decision(app, signer, services, HANA, case_id, "approved",
                           {DecisionField.REASON: "Agreed"}, view_id="V0COVERED") == {}
    assert stage(engine, case_id) == "approved"
    with engine.connect() as connection:
        decided = connection.execute(select(Decision.decided_by, Decision.decided_for)).one()
        audit = connection.execute(select(Audit.actor, Audit.on_behalf_of).where(Audit.action == "case.decision")).one()
    assert tuple(decided) == (HANA, SAM) and tuple(audit) == (HANA, SAM)
    from bot.services.cases import case_by_id
    from messages.slack.cases import decision_words

    [decision] = case_by_id(services, case_id, PRIYA).case.decisions
    assert decision_words(decision).startswith(f"Approved by <@{HANA}> for <@{SAM}> at ")


def test_cover_needs_a_colleague_who_shares_a_role_and_sensible_dates(app, signer, services):
    no_role = set_away(app, signer, SAM, {AwayField.FIRST_DAY: "2026-11-24", AwayField.LAST_DAY: "2026-11-27",
                                          AwayField.COLLEAGUE: PRIYA})
    assert "Choose a colleague who holds one of your roles" in no_role["errors"][AwayField.COLLEAGUE]
    past = set_away(app, signer, SAM, {AwayField.FIRST_DAY: "2026-11-20", AwayField.LAST_DAY: "2026-11-27",
                                       AwayField.COLLEAGUE: HANA})
    assert past["errors"] == {AwayField.FIRST_DAY: "Cover starts today or later."}
    backwards = set_away(app, signer, SAM, {AwayField.FIRST_DAY: "2026-11-27", AwayField.LAST_DAY: "2026-11-25",
                                            AwayField.COLLEAGUE: HANA})
    assert backwards["errors"] == {AwayField.LAST_DAY: "The last day comes on or after the first."}
    set_away(app, signer, SAM, {AwayField.FIRST_DAY: "2026-11-24", AwayField.LAST_DAY: "2026-11-27",
                                AwayField.COLLEAGUE: HANA})
    clash = set_away(app, signer, SAM, {AwayField.FIRST_DAY: "2026-11-26", AwayField.LAST_DAY: "2026-11-30",
                                        AwayField.COLLEAGUE: "U0SMNBHD01"}, view_id="V0AWAY2")
    assert "You already have cover from Tuesday 24 November 2026" in clash["errors"][AwayField.FIRST_DAY]
    answer = json.loads(dispatch(app, signer.command(SAM, "away off")).body)
    assert answer["text"] == "Your cover has ended: your messages come to you again."
    assert services.covering(HANA) == ()


def test_four_away_forms_sent_at_once_set_one_cover_and_the_others_are_told_it_is_set(app, signer, services,
                                                                                        engine):
    answers = {AwayField.FIRST_DAY: "2026-11-24", AwayField.LAST_DAY: "2026-11-27", AwayField.COLLEAGUE: HANA}
    said = at_once(*[lambda n=n: set_away(app, signer, SAM, answers, view_id=f"V0AWAY{n}") for n in range(4)])
    set_ = [answer for answer in said if "covers for you from" in json.dumps(answer)]
    clashed = [answer for answer in said
               if "You already have cover from Tuesday 24 November 2026" in answer.get("errors", {}).get(
                   AwayField.FIRST_DAY, "")]
    assert (len(set_), len(clashed)) == (1, 3), said
    with engine.connect() as connection:
        assert connection.execute(select(Cover.absent, Cover.colleague)).all() == [(SAM, HANA)]
        assert connection.scalars(select(Audit.action).where(Audit.action.like("cover.%"))).all() == ["cover.set"]
    assert services.covering(HANA) == (SAM,)


def test_cover_lends_a_chair_but_never_a_tiers_limits_nor_ones_own_case(app, signer, slack, services, engine,
                                                                       new_case):
    slack.groups["S0OPSMGRS1"] = [OLU, HANA]  # Hana chairs the forum and is an operations manager
    urgent = new_case(reference="4567890", urgent=["urgent"], urgent_reason="carer in hospital")
    set_cover(services, HANA, SAM, date(2026, 11, 24), date(2026, 11, 25))  # Sam, another chair, covers
    refused = submit_decision(app, signer, services, SAM, urgent, "approved", {DecisionField.REASON: "x"})
    assert "Only operations managers can decide this case" in refused["errors"]["reason"]
    assert stage(engine, urgent) == "awaiting_urgent_decision"
    own = new_case(submitter=SAM, reference="7777777", proposed_weekly="280", ras_weekly="300")
    slack.groups["S0TEAMMGRS"] = ["U0TOMAS", SAM]
    services.directory = type(services.directory)(services.directory.client)
    assert "You submitted this case" in submit_decision(app, signer, services, SAM, own, "approved",
                                                        {DecisionField.REASON: "x"},
                                                        view_id="V0OWN")["errors"]["reason"]


def test_the_home_tab_says_who_covers_for_whom(services):
    from bot.services.home import home_of

    set_cover(services, SAM, HANA, date(2026, 11, 24), date(2026, 11, 25))
    # The service says who (bot.markup); each surface words it: Slack as a mention.
    [line] = home_of(services, HANA).cover
    assert line == "You cover for " + person(SAM) + " today: their messages and reminders come to you."
    assert slack_words(line) == f"You cover for <@{SAM}> today: their messages and reminders come to you."
    assert slack_words(home_of(services, SAM).cover[0]) == f"<@{HANA}> covers for you today."


def test_while_away_their_dms_and_reminders_go_to_the_colleague_who_may_close_them(
        app, signer, slack, services, engine, new_case, clock):
    from bot import worker
    from bot.services.outbox import deliver_due
    from store.models import Outbox, Reminder

    slack.groups["S0TEAMMGRS"] = ["U0TOMAS", "U0OTHERTM"]
    services.directory = type(services.directory)(services.directory.client)
    set_cover(services, "U0TOMAS", "U0OTHERTM", date(2026, 11, 24), date(2026, 12, 4))
    new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")
    deliver_due(services, clock[0])
    with engine.connect() as connection:
        told = set(connection.scalars(select(Outbox.recipient).where(Outbox.kind == "decider_notice")))
    assert told == {"U0OTHERTM"}  # the sign-off notice that was Tomás's goes to his cover
    # Three working days on, the nudge that would have been Tomás's is handed over and sent to his cover.
    clock[0] = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    worker.tick(services, clock[0])
    with engine.connect() as connection:
        nudges = connection.execute(select(Reminder.id, Reminder.person, Reminder.state, Reminder.why)
                                    .where(Reminder.kind == "decision_waiting")).all()
    assert {(person, state) for _, person, state, _ in nudges} == {("U0OTHERTM", "sent")}
    # One nudge was his own; the other was Tomás's, handed over with a word of why.
    assert sorted(why.startswith("covering for {{@U0TOMAS}}") for *_, why in nudges) == [False, True]
    # The DM names him as a Slack mention (it showed "&lt;@U0TOMAS&gt;" when the service wrote Slack's syntax).
    dm = json.dumps([c.args for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == "U0OTHERTM"])
    assert "covering for <@U0TOMAS>" in dm and "&lt;@" not in dm
    from messages.slack.ids import Action

    first = next(row.id for row in nudges if row.why.startswith("covering for"))
    dispatch(app, signer.block_action("U0OTHERTM", Action.REMINDER_DONE, value=str(first), channel="DX",
                                      message_ts="1"))
    with engine.connect() as connection:
        assert connection.scalar(select(Reminder.state).where(Reminder.id == first)) == "done"
