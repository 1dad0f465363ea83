"""The Teams forms and buttons: the case form driven by each policy, its answers read into what
parse_submission takes and a refusal shown under each field; the decision form and read_decision; the
decision buttons per stage; the booking form's slots on the London clock; the limits the builders
enforce themselves."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.domain.booking import BookingChoice, DayChoice
from bot.domain.cases import Stage
from bot.domain.decisions import DecisionFormError, Outcome, read_decision
from bot.domain.submission import FormErrors, parse_submission
from messages.refusals import words_each
from messages.teams.booking import MAX_SLOT_CHOICES, booking_form, outlook_link
from messages.teams.cases import case_card, case_details, decider_notice, decision_actions, mine_card
from messages.teams.decisions import decision_form
from messages.teams.elements import MAX_CARD_BYTES, card_bytes
from messages.teams.help import usage_card
from messages.teams.home import home_card
from messages.teams.ids import BookInput, DecisionInput, Key, SubmitInput, Verb
from messages.teams.reminders import MAX_ITEMS_PER_MESSAGE, reminders_card
from messages.teams.render import render_card
from messages.teams.submit import evidence_key, read_answers, refused_form, submit_form
from tests.teams.test_cards_views import (
    ANNA,
    BOOKED,
    CHOICE,
    DELEGATED,
    ENDORSING,
    FORUM,
    HOME,
    MANY_DECISIONS,
    MANY_SLOTS,
    NAMES,
    NO_SLOTS,
    POLICIES,
    POLICY,
    REMINDER,
    SEND_LATE,
    TOMAS,
    WIDE_TEXT,
    london_slot,
)


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {block["id"]: block for block in card["body"] if str(block.get("type", "")).startswith("Input.")}


def buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    return card.get("actions", [])


# --- The case form ---------------------------------------------------------------------------------------

# What Teams sends when the form below is filled in and submitted (Slack-style ids: the domain checks them).
FILLED = {
    "reference": "1234567", "service": "adults", "request_type": "new_package", "proposed_weekly": "412.5",
    "ras_weekly": "298", "current_weekly": "", "respite_weeks": "", "urgent": "", "urgent_reason": "",
    "strengths_and_needs": "Needs help with personal care.", "outcomes": "Stay at home.",
    "alternatives": "Community agents.", "record_link": "https://records.example.gov.uk/1234567",
    "evidence": f"{evidence_key('occupational therapy')},{evidence_key('moving and handling')}",
    "team_manager": "U0TOMAS", "attendee": "U0ANNAAP",
}


def test_the_filled_in_form_reads_as_parse_submission_takes_it():
    submission = parse_submission(read_answers({**FILLED, Key.CASE: 1}, POLICY), policy=POLICY, submitter="U0PRIYA")
    assert submission.reference == "1234567" and str(submission.proposed_weekly) == "412.50"
    assert submission.evidence == ("moving and handling", "occupational therapy")  # the policy's order
    assert submission.urgent is False and submission.urgent_reason is None
    assert submission.team_manager == "U0TOMAS" and submission.attendee == "U0ANNAAP"


def test_the_urgent_and_top_up_boxes_read_as_the_ticked_values():
    raw = read_answers({**FILLED, "urgent": "urgent", "urgent_reason": "Carer in hospital.", "top_up": "top_up"},
                       POLICIES["high_cost"])
    assert raw["urgent"] == ["urgent"] and raw["top_up"] == ["top_up"]
    assert read_answers({**FILLED, "urgent": ""}, POLICY)["urgent"] is None


def test_evidence_not_on_the_form_is_passed_on_for_parse_submission_to_refuse():
    raw = read_answers({**FILLED, "evidence": "ev-unknown"}, POLICY)
    assert raw["evidence"] == ["ev-unknown"]
    with pytest.raises(FormErrors) as refused:
        parse_submission(raw, policy=POLICY, submitter="U0PRIYA")
    assert "evidence" in refused.value.errors


def test_an_evidence_choice_is_stable_and_has_no_comma():
    assert evidence_key("mental capacity, best interest") == evidence_key("mental capacity, best interest")
    assert "," not in evidence_key("mental capacity, best interest")
    assert evidence_key("health") != evidence_key("Health")


def test_a_refusal_comes_back_as_the_form_with_each_sentence_under_its_field_and_the_answers_kept():
    data = {**FILLED, "reference": "12", "urgent": "urgent", "urgent_reason": "", "alternatives": ""}
    with pytest.raises(FormErrors) as refused:
        parse_submission(read_answers(data, POLICY), policy=POLICY, submitter="U0PRIYA")
    sentences = words_each(refused.value.errors)
    card = refused_form(POLICY, data, sentences, team_managers=("U0TOMAS",))
    fields = inputs(card)
    assert fields["reference"]["value"] == "12"
    assert fields["urgent"]["value"] == "urgent"
    assert fields["evidence"]["value"] == FILLED["evidence"]
    assert fields["strengths_and_needs"]["value"] == "Needs help with personal care."
    body = card["body"]
    for field, sentence in sentences.items():
        error = next(block for block in body if block.get("id") == f"{field}.error")
        between = body[body.index(fields[field]) + 1: body.index(error)]
        assert all(block["type"] == "RichTextBlock" for block in between)  # at most the field's hint
        assert sentence in json.dumps(error, ensure_ascii=False)
        assert fields[field]["errorMessage"] == sentence


def test_an_error_on_a_field_this_policys_form_does_not_show_still_reaches_the_person():
    card = submit_form(POLICIES["weekly_panel"], errors={"hours_per_month": "Enter the hours of support a month"})
    assert "hours_per_month" not in inputs(card)
    assert "⚠ Enter the hours of support a month" in render_card(card)


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_the_case_form_asks_for_what_the_policys_rules_use(name):
    policy = POLICIES[name]
    fields = inputs(submit_form(policy, team_managers=(TOMAS,), names=NAMES))
    facts = policy.facts_used()
    assert ("ras_weekly" in fields) == ("within_ras" in facts)
    assert ("hours_per_month" in fields) == ("hours_per_month_over" in facts)
    for fact in ("age_band", "team", "top_up"):
        assert (fact in fields) == (fact in facts)
    evidence = policy.evidence_options()
    if evidence:
        assert [choice["title"] for choice in fields["evidence"]["choices"]] == list(evidence)
    for field in ("reference", "service", "request_type", "proposed_weekly", "strengths_and_needs", "outcomes",
                  "team_manager"):
        assert fields[field]["isRequired"] is True
    assert fields["team_manager"]["choices"] == [{"title": "Tomás Reyes", "value": TOMAS}]


def test_without_a_list_of_team_managers_the_form_asks_for_a_work_email():
    field = inputs(submit_form(POLICY))["team_manager"]
    assert field["type"] == "Input.Text" and "e-mail" in field["label"] and field["regex"]


def test_the_case_form_submits_with_a_universal_action():
    [submit, cancel] = buttons(submit_form(POLICY))
    assert (submit["type"], submit["verb"], submit["title"]) == ("Action.Execute", Verb.SUBMIT_CASE, "Submit")
    assert cancel["verb"] == Verb.CLOSE_FORM


# --- Decisions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "titles"), [
    (FORUM, []),  # a meeting decides once a slot is booked
    (BOOKED, ["Approve", "Approve with changes", "Defer", "Decline"]),
    (DELEGATED, ["Approve", "Approve with changes", "Defer", "Decline"]),
    (SEND_LATE, ["Approve", "Approve with changes", "Defer", "Decline"]),
    (ENDORSING, ["Endorse", "Don't endorse"]),
    (replace(DELEGATED, stage=Stage.AWAITING_RATIFICATION), ["Ratify", "Don't ratify"]),
    (replace(DELEGATED, stage=Stage.DEFERRED), []),
    (replace(DELEGATED, stage=Stage.APPROVED), []),
], ids=["awaiting-booking", "booked", "sign-off", "listed", "endorsement", "ratification", "deferred", "approved"])
def test_the_decision_buttons_are_those_of_the_decision_the_case_waits_on(case, titles):
    actions = decision_actions(case)
    assert [action["title"] for action in actions] == titles
    assert buttons(case_card(case)) == actions
    for action in actions:
        assert action["verb"] == Verb.DECIDE
        assert action["data"] == {Key.CASE: case.id, Key.ROUND: case.round, Key.OUTCOME: action["data"]["outcome"]}
    styles = {action["title"]: action.get("style") for action in actions}
    assert styles.get("Approve", "positive") == "positive" and styles.get("Decline", "destructive") == "destructive"


def test_the_decider_notice_carries_the_buttons_and_open_the_case():
    card = decider_notice(DELEGATED, NAMES)
    assert [action["title"] for action in buttons(card)] == ["Approve", "Approve with changes", "Defer", "Decline"]
    assert "[Open the case]" in render_card(card)


@pytest.mark.parametrize(("outcome", "fields"), [
    (Outcome.APPROVED, ["reason", "practice_concern", "concern_actions"]),
    (Outcome.APPROVED_WITH_CHANGES, ["reason", "amended_weekly", "conditions", "practice_concern", "concern_actions"]),
    (Outcome.DEFERRED, ["reason", "info_needed", "practice_concern", "concern_actions"]),
    (Outcome.DECLINED, ["reason", "practice_concern", "concern_actions"]),
    (Outcome.ENDORSED, ["reason"]),
    (Outcome.NOT_RATIFIED, ["reason"]),
])
def test_the_decision_form_asks_for_what_the_outcome_needs(outcome, fields):
    card = decision_form(FORUM, outcome)
    assert list(inputs(card)) == fields
    [record, cancel] = buttons(card)
    assert record["verb"] == Verb.RECORD_DECISION
    assert record["data"] == {Key.CASE: FORUM.id, Key.ROUND: FORUM.round, Key.OUTCOME: outcome.value}
    assert cancel["verb"] == Verb.CLOSE_FORM


def test_the_decision_forms_answers_are_what_read_decision_reads():
    data = {DecisionInput.REASON: "Best value.", DecisionInput.AMENDED_WEEKLY: "380",
            DecisionInput.CONDITIONS: "8 weeks", DecisionInput.PRACTICE_CONCERN: "", DecisionInput.CONCERN_ACTIONS: "",
            Key.CASE: 1, Key.ROUND: 1}
    form = read_decision(Outcome.APPROVED_WITH_CHANGES, {key: value for key, value in data.items()
                                                          if key in {field.value for field in DecisionInput}})
    assert str(form.amended_weekly) == "380.00" and form.conditions == "8 weeks"


def test_a_refused_decision_shows_each_sentence_under_its_field_and_keeps_the_amount_but_never_typed_text():
    with pytest.raises(DecisionFormError) as refused:
        read_decision(Outcome.APPROVED_WITH_CHANGES, {"reason": "", "amended_weekly": "1380.5", "conditions": ""})
    card = decision_form(FORUM, Outcome.APPROVED_WITH_CHANGES, errors=words_each(refused.value.errors),
                         amended_weekly="1380.5")
    fields = inputs(card)
    assert fields["amended_weekly"]["value"] == 1380.5
    assert not any("value" in fields[field] for field in ("reason", "conditions"))
    ids = [block.get("id") for block in card["body"]]
    for field in refused.value.errors:
        assert ids.index(f"{field}.error") > ids.index(field)


def test_the_endorsement_form_says_whose_decision_it_follows_and_where_its_reason_is():
    lines = render_card(decision_form(ENDORSING, Outcome.ENDORSED, names=NAMES))
    assert "The decision: Approved by Dev Patel at 10:42 on Wednesday 25 November 2026" in lines
    assert not any("Carer breakdown" in line for line in lines)


# --- Booking ---------------------------------------------------------------------------------------------


def test_the_booking_form_offers_the_free_slots_earliest_first_in_uk_time_with_utc_values():
    card = booking_form(CHOICE)
    slot = inputs(card)[BookInput.SLOT]
    assert slot["value"] == slot["choices"][0]["value"] == "2026-12-01T09:30:00+00:00"
    assert slot["choices"][0]["title"] == "Tuesday 1 December, 09:30–10:00"
    assert "Full: Monday 30 November" in " ".join(render_card(card))
    assert [action["verb"] for action in buttons(card)] == [Verb.BOOK, Verb.CLOSE_FORM]


def test_after_the_clocks_go_forward_a_slot_shows_london_time_and_keeps_utc_as_its_value():
    spring = london_slot(date(2026, 3, 30), 13, 0)
    card = booking_form(BookingChoice(case=FORUM, days=(DayChoice(date(2026, 3, 30), (spring,)),), current=None))
    [choice] = inputs(card)[BookInput.SLOT]["choices"]
    assert choice == {"title": "Monday 30 March, 13:00–13:30", "value": "2026-03-30T12:00:00+00:00"}
    assert datetime.fromisoformat(choice["value"]) == datetime(2026, 3, 30, 12, 0, tzinfo=UTC)


def test_the_booking_form_offers_at_most_a_hundred_slots_and_says_so():
    card = booking_form(MANY_SLOTS)
    assert len(inputs(card)[BookInput.SLOT]["choices"]) == MAX_SLOT_CHOICES
    assert f"Showing the first {MAX_SLOT_CHOICES} free slots" in " ".join(render_card(card))


def test_with_no_free_slot_the_booking_form_cannot_be_submitted():
    card = booking_form(NO_SLOTS)
    assert not inputs(card) and [action["verb"] for action in buttons(card)] == [Verb.CLOSE_FORM]


def test_the_outlook_link_carries_the_reference_and_times_never_a_name():
    from tests.teams.test_cards_views import BOOKING

    link = outlook_link(BOOKING)
    assert link.startswith("https://outlook.office.com/") and "1234567" in link
    assert "startdt=2026-12-01T09%3A30%3A00Z" in link or "startdt=2026-12-01T09:30:00Z" in link
    assert "Priya" not in link and "Anna" not in link


# --- Limits the builders keep themselves --------------------------------------------------------------------


def test_the_details_card_leaves_out_the_oldest_decisions_to_fit_a_teams_message():
    card = case_details(MANY_DECISIONS, NAMES)
    assert card_bytes(card) <= MAX_CARD_BYTES
    lines = render_card(card)
    assert "Decisions (25)" in lines
    assert any(line.strip().endswith("earlier decisions not shown") for line in lines)


def test_the_details_card_cuts_free_text_only_when_it_cannot_fit_whole():
    assert "ŵ" * 3000 in json.dumps(case_details(replace(WIDE_TEXT, outcomes=None, alternatives=None), NAMES),
                                     ensure_ascii=False)
    card = case_details(WIDE_TEXT, NAMES)
    assert card_bytes(card) <= MAX_CARD_BYTES
    assert "…" in json.dumps(card, ensure_ascii=False)


def test_a_reminders_message_refuses_what_cannot_be_one_message():
    with pytest.raises(ValueError, match="at least one"):
        reminders_card([])
    with pytest.raises(ValueError, match="at most"):
        reminders_card([replace(REMINDER, id=n) for n in range(MAX_ITEMS_PER_MESSAGE + 1)])
    with pytest.raises(ValueError, match="twice"):
        reminders_card([REMINDER, REMINDER])


def test_a_reminders_buttons_carry_the_reminder_and_open_its_case():
    card = reminders_card([REMINDER], NAMES)
    actions = [action for block in card["body"] if block["type"] == "ActionSet" for action in block["actions"]]
    assert [(action["verb"], action["data"]) for action in actions] == [
        (Verb.REMINDER_DONE, {Key.REMINDER: 31}), (Verb.SNOOZE_DAY, {Key.REMINDER: 31}),
        (Verb.SNOOZE_WEEK, {Key.REMINDER: 31}), (Verb.OPEN_CASE, {Key.CASE: 1})]


def test_the_home_card_names_the_people_the_services_write_as_tokens():
    lines = render_card(home_card(HOME, NAMES))
    assert "• You cover for Tomás Reyes today: their messages and reminders come to you." in lines
    assert not any("<@" in line or "{{" in line for line in lines)


def test_the_home_and_mine_cards_count_the_tasks_the_home_did_not_read():
    home = replace(HOME, waiting=HOME.waiting * 40, waiting_more=60)
    lines = render_card(home_card(home, NAMES))
    assert "Waiting on you (100)" in lines and "and 80 more" in [line.strip() for line in lines]
    mine = render_card(mine_card([], ["sign-off 2345678"] * 40, NAMES, more=60))
    assert "Waiting on you (100)" in mine and "and 60 more" in [line.strip() for line in mine]
    assert "Waiting on you: 100. You have submitted no cases." in mine


def test_an_unknown_command_is_echoed_cut_short():
    assert "I don't know " + "x" * 30 + "…. Try one of these:" in render_card(usage_card("x" * 200))


def test_a_person_without_a_known_name_is_shown_by_id():
    assert f"Attending with the worker: {ANNA}" in render_card(case_card(FORUM))
    assert "Attending with the worker: Anna Kowalska" in render_card(case_card(FORUM, {ANNA: "Anna Kowalska"}))


def test_submitted_answers_are_never_echoed_into_a_card_that_a_channel_sees():
    assert SubmitInput.STRENGTHS_AND_NEEDS.value not in json.dumps(case_card(FORUM))
