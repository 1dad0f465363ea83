"""The case form and the view it becomes: ids, elements, required fields, hints and Slack's limits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain.routing import RequestType, Service
from messages.slack.ids import VALUE, Callback, SubmitField
from messages.slack.submit import URGENT_OPTION, evidence_choices, submit_modal, submitted_view
from messages.slack.text import render_view
from tests.messages.test_case_messages import (
    CANARIES,
    DELEGATED,
    EVERY_CASE,
    FORUM,
    POLICY,
    SEND_LATE,
    URGENT,
    assert_slack_sdk_reads_it_back,
    assert_within_slack_limits,
)

ALWAYS_REQUIRED = {
    SubmitField.REFERENCE,
    SubmitField.SERVICE,
    SubmitField.REQUEST_TYPE,
    SubmitField.PROPOSED_WEEKLY,
    SubmitField.STRENGTHS_AND_NEEDS,
    SubmitField.OUTCOMES,
    SubmitField.TEAM_MANAGER,
}
ELEMENT_TYPES = {
    SubmitField.REFERENCE: "plain_text_input",
    SubmitField.SERVICE: "static_select",
    SubmitField.REQUEST_TYPE: "static_select",
    SubmitField.PROPOSED_WEEKLY: "number_input",
    SubmitField.RAS_WEEKLY: "number_input",
    SubmitField.CURRENT_WEEKLY: "number_input",
    SubmitField.HOURS_PER_MONTH: "number_input",
    SubmitField.RESPITE_WEEKS: "number_input",
    SubmitField.URGENT: "checkboxes",
    SubmitField.URGENT_REASON: "plain_text_input",
    SubmitField.STRENGTHS_AND_NEEDS: "plain_text_input",
    SubmitField.OUTCOMES: "plain_text_input",
    SubmitField.ALTERNATIVES: "plain_text_input",
    SubmitField.EVIDENCE: "multi_static_select",  # the default policy's 11 items: more than 10 checkboxes
    SubmitField.RECORD_LINK: "url_text_input",
    SubmitField.TEAM_MANAGER: "users_select",
    SubmitField.ATTENDEE: "users_select",
}
FREE_TEXT = [SubmitField.URGENT_REASON, SubmitField.STRENGTHS_AND_NEEDS, SubmitField.OUTCOMES, SubmitField.ALTERNATIVES]
MONEY = [SubmitField.PROPOSED_WEEKLY, SubmitField.RAS_WEEKLY, SubmitField.CURRENT_WEEKLY]


def inputs(view):
    return {block["block_id"]: block for block in view["blocks"] if block["type"] == "input"}


def with_evidence(evidence):
    """The default policy asking for `evidence` at the forum and nothing at the other routes."""
    return POLICY.model_copy(update={"bodies": {
        key: body.model_copy(update={"evidence": tuple(evidence) if key == "forum" else ()})
        for key, body in POLICY.bodies.items()
    }})


FORM = submit_modal(POLICY)


def test_the_form_is_a_modal_with_its_callback_title_and_buttons():
    assert FORM["type"] == "modal"
    assert FORM["callback_id"] == Callback.SUBMIT_FORM
    assert (FORM["title"]["text"], FORM["submit"]["text"], FORM["close"]["text"]) == ("Submit a case", "Submit",
                                                                                      "Cancel")
    assert_within_slack_limits(FORM)
    assert_slack_sdk_reads_it_back(FORM)


# The facts the shipped policy's rules do not use, so its form does not ask for them.
UNUSED_BY_THE_SEEDS = (SubmitField.AGE_BAND, SubmitField.TOP_UP, SubmitField.TEAM)


def test_the_form_has_one_input_per_field_each_answering_as_value():
    blocks = [block for block in FORM["blocks"] if block["type"] == "input"]
    assert [block["block_id"] for block in blocks] == [f.value for f in SubmitField if f not in UNUSED_BY_THE_SEEDS]
    assert all(block["element"]["action_id"] == VALUE for block in blocks)


def test_the_form_asks_for_the_facts_a_councils_rules_use_and_no_more():
    rules = POLICY.routing.rules
    with_age = POLICY.model_copy(update={
        "case_form": POLICY.case_form.model_copy(update={"age_bands": ("0-17", "18-25", "26+")}),
        "routing": POLICY.routing.model_copy(update={"rules": (
            *rules[:1], rules[1].model_copy(update={"when": rules[1].when.model_copy(update={"age_band": ("18-25",)})}),
            *rules[2:])}),
    })
    form = inputs(submit_modal(with_age))
    assert [option["value"] for option in form[SubmitField.AGE_BAND]["element"]["options"]] == ["0-17", "18-25", "26+"]
    assert SubmitField.TEAM not in form and SubmitField.TOP_UP not in form
    assert SubmitField.AGE_BAND not in inputs(FORM)


@pytest.mark.parametrize("field", [f for f in SubmitField if f not in UNUSED_BY_THE_SEEDS], ids=str)
def test_each_field_has_its_element_and_is_required_only_when_always_needed(field):
    block = inputs(FORM)[field]
    assert block["element"]["type"] == ELEMENT_TYPES[field]
    assert block["optional"] is (field not in ALWAYS_REQUIRED)


def test_the_form_opens_with_the_privacy_note_and_groups_its_inputs_under_headers():
    assert FORM["blocks"][0] == {"type": "context", "elements": [{"type": "mrkdwn", "text": (
        "Details stay in panelbot: channels show only the case reference and amounts.")}]}
    headers = [block["text"]["text"] for block in FORM["blocks"] if block["type"] == "header"]
    assert headers == ["The request", "The person", "Evidence and people"]


def test_the_reference_shows_the_councils_example():
    element = inputs(FORM)[SubmitField.REFERENCE]["element"]
    assert element["placeholder"]["text"] == POLICY.case_reference.example


def test_service_and_request_type_offer_exactly_the_domains_values():
    service = inputs(FORM)[SubmitField.SERVICE]["element"]["options"]
    request_type = inputs(FORM)[SubmitField.REQUEST_TYPE]["element"]["options"]
    assert [option["value"] for option in service] == [s.value for s in Service]
    assert [option["value"] for option in request_type] == [t.value for t in RequestType]
    assert service[1]["text"]["text"] == "Children's SEND"
    assert request_type[3]["text"]["text"] == "Residential placement"


@pytest.mark.parametrize("field", MONEY, ids=str)
def test_money_is_a_decimal_number_of_pounds_a_week_from_zero(field):
    block = inputs(FORM)[field]
    assert block["element"]["is_decimal_allowed"] is True
    assert block["element"]["min_value"] == "0"
    assert "£ a week" in block["label"]["text"]


def test_hours_and_respite_weeks_are_decimal_numbers_and_respite_stops_at_52():
    hours = inputs(FORM)[SubmitField.HOURS_PER_MONTH]["element"]
    respite = inputs(FORM)[SubmitField.RESPITE_WEEKS]["element"]
    assert hours["is_decimal_allowed"] is respite["is_decimal_allowed"] is True
    assert (respite["min_value"], respite["max_value"]) == ("0", "52")


def test_urgent_is_one_checkbox():
    [option] = inputs(FORM)[SubmitField.URGENT]["element"]["options"]
    assert option == {
        "text": {"type": "plain_text", "text": "Urgent: needs a decision before the next panel"},
        "value": URGENT_OPTION,
    }


@pytest.mark.parametrize("field", FREE_TEXT, ids=str)
def test_free_text_is_multiline_up_to_3000_characters(field):
    element = inputs(FORM)[field]["element"]
    assert (element["multiline"], element["max_length"]) == (True, 3000)


def test_evidence_offers_what_every_route_asks_for_once_each_valued_as_itself():
    options = inputs(FORM)[SubmitField.EVIDENCE]["element"]["options"]
    offered = [option["value"] for option in options]
    assert offered == list(POLICY.evidence_options())
    assert [option["text"]["text"] for option in options] == offered
    for body in POLICY.bodies.values():
        assert set(body.evidence) <= set(offered)
    assert len(offered) == len(set(offered))
    assert evidence_choices(POLICY) == POLICY.evidence_options()


def test_a_short_evidence_list_is_offered_as_checkboxes():
    element = inputs(submit_modal(with_evidence(["health", "mental capacity"])))[SubmitField.EVIDENCE]["element"]
    assert element["type"] == "checkboxes"


def test_evidence_past_slacks_ten_checkboxes_becomes_a_multi_select():
    many = [f"assessment {n}" for n in range(12)]
    element = inputs(submit_modal(with_evidence(many)))[SubmitField.EVIDENCE]["element"]
    assert element["type"] == "multi_static_select"
    assert [option["value"] for option in element["options"]] == many
    assert_within_slack_limits(submit_modal(with_evidence(many)))


def test_a_policy_asking_for_no_evidence_gets_no_empty_checkbox_group():
    form = submit_modal(with_evidence([]))
    assert SubmitField.EVIDENCE not in inputs(form)
    assert_within_slack_limits(form)


def test_long_evidence_wording_is_cut_in_the_option_text_only():
    wording = "a very long description of an assessment that a council wrote into its policy file"
    element = inputs(submit_modal(with_evidence([wording])))[SubmitField.EVIDENCE]["element"]
    [option] = element["options"]
    assert option["value"] == wording
    assert len(option["text"]["text"]) == 75 and option["text"]["text"].endswith("…")


@pytest.mark.parametrize(
    ("field", "words"),
    [
        (SubmitField.CURRENT_WEEKLY, "Needed for an increase or decrease"),
        (SubmitField.RESPITE_WEEKS, "Needed for respite"),
        (SubmitField.URGENT_REASON, "Needed if urgent"),
        (SubmitField.HOURS_PER_MONTH, "For children's SEND, the panel needs this"),
    ],
    ids=str,
)
def test_hints_say_when_an_optional_field_is_needed(field, words):
    assert inputs(FORM)[field]["hint"]["text"] == words


def test_private_metadata_travels_with_the_form_up_to_slacks_3000_characters():
    assert "private_metadata" not in FORM
    assert submit_modal(POLICY, private_metadata="C0CHANNEL1")["private_metadata"] == "C0CHANNEL1"
    assert_within_slack_limits(submit_modal(POLICY, private_metadata="m" * 3000))
    with pytest.raises(ValueError, match="3,000"):
        submit_modal(POLICY, private_metadata="m" * 3001)


def test_the_form_reads_as_labelled_blanks():
    lines = render_view(FORM)
    assert lines[0] == "┌ Submit a case"
    assert "│ Proposed cost (£ a week): ____" in lines
    assert "│ RAS indicative budget (£ a week) (optional): ____" in lines
    assert lines[-1] == "└ [Submit]"


# --- The submitted view ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", EVERY_CASE, ids=lambda case: case.reference)
def test_the_submitted_view_is_a_closing_modal_within_slacks_limits(case):
    view = submitted_view(case)
    assert view["type"] == "modal" and view["callback_id"] == Callback.SUBMITTED
    assert (view["title"]["text"], view["close"]["text"]) == ("Case submitted", "Done")
    assert "submit" not in view
    assert_within_slack_limits(view)
    assert_slack_sdk_reads_it_back(view)


@pytest.mark.parametrize(
    ("case", "next_step"),
    [
        (FORUM, "Next: book a forum slot (button below, or `/panel book 1234567`)."),
        (DELEGATED, "Waiting on team managers (<!subteam^S0TEAMMGRS>) to sign off."),
        (SEND_LATE, "Listed for the SEND Quality Assurance Panel on Wednesday 9 December 2026 (North office)"),
        (URGENT, "Sent to operations managers for an urgent decision"),
    ],
    ids=["forum", "delegated", "send", "urgent"],
)
def test_the_submitted_view_gives_the_reference_route_reasons_and_the_receipts_next_step(case, next_step):
    text = "\n".join(render_view(submitted_view(case)))
    assert f"Case {case.reference} is submitted" in text
    assert case.reasons[0] in text
    assert next_step in text


def test_the_submitted_view_carries_no_free_text():
    assert "CANARY" not in str(submitted_view(replace(URGENT, **CANARIES)))
