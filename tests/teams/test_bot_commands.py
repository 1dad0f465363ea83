"""What people type to panelbot in Teams, and the reminders' buttons: help and an unknown command get the
list of commands; a channel sees nothing about a person but help and a pointer (the answer goes to the
person's chat with panelbot); "case" shows the details only to people with a role on the case; Done
and Snooze close or move the reminder once."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.domain.reminders import ReminderKind
from bot.services.reminders import remind, send_due_reminders
from messages.teams.help import COMMANDS
from messages.teams.render import render_text
from store.models import Reminder
from tests.teams.test_bot_harness import (
    ADMIN,
    CHAIR,
    PRIYA,
    TOMAS,
    button,
    counts,
    everyone_installed,
    policy,
    seed_case,
    teams,
)

FIXTURES = (everyone_installed, policy, teams)  # pytest finds these fixtures by their names in this module


def test_help_lists_every_command(teams):
    teams.send(teams.message(PRIYA, "help"))
    shown = render_text(teams.chat(PRIYA)[-1])
    assert all(command.value in shown for command, _, _ in COMMANDS)


def test_an_unknown_command_gets_the_list_of_commands_and_changes_nothing(teams):
    before = counts(teams.services.engine)
    teams.send(teams.message(PRIYA, "approve everything"))
    shown = render_text(teams.chat(PRIYA)[-1])
    assert shown.startswith("I don't know approve. Try one of these:")
    assert all(command.value in shown for command, _, _ in COMMANDS)
    assert counts(teams.services.engine)[:2] == before[:2]  # no audit, nothing queued


def test_help_typed_in_a_channel_is_answered_in_its_thread(everyone_installed):
    teams = everyone_installed
    teams.send(teams.message(PRIYA, "help", channel=teams.forum_channel))
    [reply] = [a for a in teams.standin.posted_in(teams.forum_channel) if a.get("attachments")]
    assert ";messageid=" in reply["conversation"]["id"]  # under the message, not a new post


def test_a_case_asked_for_in_a_channel_is_shown_only_in_the_persons_own_chat(everyone_installed):
    teams = everyone_installed
    seed_case(teams, strengths_and_needs="Jamie Smith needs care at home")
    teams.send(teams.message(PRIYA, "case 1234567", channel=teams.forum_channel))
    said = [a["text"] for a in teams.standin.posted_in(teams.forum_channel) if not a.get("attachments")]
    assert said == ["I have answered you in your chat with panelbot."]
    assert "Jamie Smith needs care at home" in render_text(teams.chat(PRIYA)[-1])
    assert "Jamie" not in json.dumps(teams.standin.posted_in(teams.forum_channel))


def test_the_case_details_go_only_to_people_with_a_role_on_it(everyone_installed):
    teams = everyone_installed
    seed_case(teams, strengths_and_needs="Jamie Smith needs care at home")
    teams.send(teams.message(ADMIN, "case 1234567"))
    shown = render_text(teams.chat(ADMIN)[-1])
    assert "Only people with a role on this case can see its details." in shown and "Jamie" not in shown
    teams.send(teams.message(TOMAS, "case 1234567"))
    assert "Jamie Smith needs care at home" in render_text(teams.chat(TOMAS)[-1])


def test_mine_and_agenda_answer_with_their_cards(everyone_installed):
    teams = everyone_installed
    seed_case(teams)
    teams.send(teams.message(PRIYA, "mine"))
    assert "1234567" in render_text(teams.chat(PRIYA)[-1])
    teams.send(teams.message(CHAIR, "agenda"))
    assert "Enhanced Peer Forum" in render_text(teams.chat(CHAIR)[-1])
    teams.send(teams.message(PRIYA, "book"))
    assert "book 1234567" in render_text(teams.chat(PRIYA)[-1])


def test_a_command_with_control_characters_is_refused_with_a_sentence(teams):
    teams.send(teams.message(PRIYA, "case 12\x0034567"))
    assert "characters panelbot cannot store" in render_text(teams.chat(PRIYA)[-1])


def test_a_reminder_is_done_once_and_snoozed_by_the_person_it_is_for(everyone_installed):
    teams = everyone_installed
    case_id = seed_case(teams)
    services = teams.services
    now = services.now()
    with services.sessions.begin() as session:
        remind(session, kind=ReminderKind.REVIEW_DUE, case_id=case_id, person=PRIYA, due_at=now,
               why="Review due today", now=now)
        remind(session, kind=ReminderKind.RESUBMISSION_DUE, case_id=case_id, person=PRIYA, due_at=now,
               why="Resubmission due today", now=now)
    assert send_due_reminders(services, now) == 2
    reminders = teams.chat(PRIYA)[-1]
    assert "You have 2 reminders" in render_text(reminders)
    done, snooze = button(reminders, "Done"), [b for b in reminders["body"] if b.get("type") == "ActionSet"][1]
    answer = teams.send(teams.press(PRIYA, done))
    assert answer["value"] == "Done: the reminder about case 1234567 is cleared."
    assert teams.send(teams.press(PRIYA, done))["value"] == "That reminder is already closed."
    assert teams.send(teams.press(TOMAS, snooze["actions"][1]))["value"] == "That reminder is not yours."
    snoozed = teams.send(teams.press(PRIYA, snooze["actions"][1]))["value"]
    assert snoozed.startswith("Snoozed: case 1234567 comes back on Wednesday 25 November 2026")
    with services.sessions() as session:
        states = sorted(session.scalars(select(Reminder.state).where(Reminder.person == PRIYA)).all())
    assert states == ["done", "pending"]


def test_a_failure_of_ours_gives_the_person_an_incident_id_and_never_a_500(teams, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("Jamie Smith")  # an exception's message can quote input: never logged

    monkeypatch.setattr("handlers.teams.bot.cases_of", broken)
    status, body = teams.post(teams.message(PRIYA, "mine"))
    assert (status, body) == (200, None)
    [said] = [a["text"] for a in teams.standin.sent_to(teams.users[PRIYA])]
    assert said.startswith("Sorry, panelbot hit a problem") and "incident id" in said
    monkeypatch.setattr("handlers.teams.bot.case_by_id", broken)
    answer = teams.send(teams.press(PRIYA, {"type": "Action.Execute", "verb": "case.open", "data": {"case": 1}}))
    assert answer["value"].startswith("Sorry, panelbot hit a problem")
    assert "Jamie" not in "\n".join(record.getMessage() for record in caplog.records)
