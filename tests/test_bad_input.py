"""Signed bad input gets a sentence or an inline error and changes nothing, never a 500: control
characters (PostgreSQL refuses NUL), over-long text, metadata panelbot never wrote, a view without
state, a missing user, a refusal behind a button in a modal, and dates read the way people write them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from handlers.slack.booking import NOT_A_SLOT
from handlers.slack.forms import STALE_FORM
from handlers.slack.standin.requests import form_state
from messages.slack.ids import Action, BookField, Callback, DecisionField, ReviewField, SubmitField
from messages.slack.submit import submit_modal
from store.models import Audit, Case, Decision, ForumBooking, Outbox, Provision, Review, Visit
from tests.conftest import FORUM_ANSWERS, dispatch

PRIYA = "U0PRIYA"
UNSTORABLE = ["NUL \x00 here", "escape \x1b[31m", "bell \x07", "C1 \x85", "surrogate \ud800", "DEL \x7f"]


def _counts(engine):
    with engine.connect() as connection:
        return {model.__tablename__: connection.scalar(select(func.count()).select_from(model))
                for model in (Audit, Case, Decision, ForumBooking, Outbox, Provision, Review, Visit)}


def _submit_view(policy):
    return {**submit_modal(policy), "id": "V0BAD"}


def _answer(response):
    assert response.status == 200, response.body
    return json.loads(response.body) if response.body else {}


@pytest.mark.parametrize("text", UNSTORABLE, ids=["nul", "escape", "bell", "c1", "surrogate", "del"])
@pytest.mark.parametrize("field", [SubmitField.REFERENCE, SubmitField.STRENGTHS_AND_NEEDS, SubmitField.OUTCOMES])
def test_control_characters_in_any_form_field_get_an_inline_error_and_store_nothing(app, signer, policy, engine,
                                                                                   field, text):
    before = _counts(engine)
    view = _submit_view(policy)
    response = dispatch(app, signer.view_submission(PRIYA, view, form_state(view, {**FORUM_ANSWERS, field: text})))
    answer = _answer(response)
    assert answer["response_action"] == "errors"
    assert "cannot store" in answer["errors"][field]
    assert _counts(engine) == before


def test_over_long_text_gets_an_inline_error_and_stores_nothing(app, signer, policy, engine):
    before = _counts(engine)
    view = _submit_view(policy)
    answers = {**FORUM_ANSWERS, SubmitField.OUTCOMES: "x" * 3001}
    answer = _answer(dispatch(app, signer.view_submission(PRIYA, view, form_state(view, answers))))
    assert answer["errors"][SubmitField.OUTCOMES].startswith("Keep this under 3,000 characters")
    assert _counts(engine) == before


def test_a_nul_in_a_decision_reason_gets_an_inline_error_and_decides_nothing(app, signer, new_case, engine):
    case_id = new_case()
    before = _counts(engine)
    view = {"callback_id": Callback.DECISION_FORM, "private_metadata": f"{case_id}:1:approved",
            "blocks": [{"type": "input", "block_id": DecisionField.REASON,
                        "element": {"type": "plain_text_input", "action_id": "value", "multiline": True}}]}
    values = {DecisionField.REASON: {"value": {"type": "plain_text_input", "value": "Agreed \x00 in full"}}}
    answer = _answer(dispatch(app, signer.view_submission("U0CHAIR1", view, values)))
    assert answer == {"response_action": "errors", "errors": {DecisionField.REASON: answer["errors"]["reason"]}}
    assert "cannot store" in answer["errors"][DecisionField.REASON]
    assert _counts(engine) == before


@pytest.mark.parametrize("text", ["case \x00", "book 12\x0034", "concern Oak\x00 House", "agenda \x00"])
def test_a_slash_command_with_control_characters_gets_a_sentence(app, signer, engine, text):
    before = _counts(engine)
    answer = _answer(dispatch(app, signer.command(PRIYA, text)))
    assert answer["text"].startswith("That command has characters panelbot cannot store")
    assert _counts(engine) == before


def _input(block_id):
    return {"type": "input", "block_id": block_id, "element": {"type": "plain_text_input", "action_id": "value"}}


FOREIGN_METADATA = [
    (Callback.BOOK_FORM, "abc"), (Callback.BOOK_FORM, ""), (Callback.BOOK_FORM, "-1"), (Callback.BOOK_FORM, "1:2"),
    (Callback.BOOK_FORM, "\uff19"), (Callback.DECISION_FORM, "x"), (Callback.DECISION_FORM, "1:1"),
    (Callback.DECISION_FORM, "1:1:nonsense"), (Callback.DECISION_FORM, "1:x:approved"), (Callback.REVIEW_FORM, "abc"),
    (Callback.PLAN_VISIT_FORM, "x"), (Callback.PROVISION_FORM, "x"), (Callback.PROVISION_FORM, None),
]


@pytest.mark.parametrize(("callback", "metadata"), FOREIGN_METADATA)
def test_a_form_whose_metadata_panelbot_never_wrote_gets_an_inline_error(app, signer, engine, callback, metadata):
    before = _counts(engine)
    view = {"callback_id": callback, "blocks": [_input("first")]}
    if metadata is not None:
        view["private_metadata"] = metadata
    values = {"first": {"value": {"type": "plain_text_input", "value": "2026-12-01T10:00:00+00:00"}}}
    answer = _answer(dispatch(app, signer.view_submission(PRIYA, view, values)))
    assert answer == {"response_action": "errors", "errors": {"first": STALE_FORM}}
    assert _counts(engine) == before


@pytest.mark.parametrize("callback", [Callback.SUBMIT_FORM, Callback.BOOK_FORM, Callback.DECISION_FORM,
                                      Callback.REVIEW_FORM, Callback.PLACEMENT_FORM, Callback.PLAN_VISIT_FORM,
                                      Callback.PROVISION_FORM])
@pytest.mark.parametrize("state", [None, {}, {"values": None}, {"values": {"b": "not an object"}}],
                         ids=["no-state", "empty-state", "null-values", "odd-values"])
def test_a_view_without_readable_state_gets_an_inline_error(app, signer, engine, callback, state):
    before = _counts(engine)
    view = {"type": "modal", "id": "V0NOSTATE", "callback_id": callback, "private_metadata": "1:1:approved",
            "blocks": [_input("first")]}
    if state is not None:
        view["state"] = state
    answer = _answer(dispatch(app, signer._interactive({"type": "view_submission", "user": {"id": PRIYA},
                                                          "view": view})))
    assert answer == {"response_action": "errors", "errors": {"first": STALE_FORM}}
    assert _counts(engine) == before


@pytest.mark.parametrize("slot", ["not-a-date", "2026-12-01T10:00:00", "2026-02-30T10:00:00+00:00", "\u0661"])
def test_a_slot_that_is_not_a_date_gets_our_sentence_not_pythons(app, signer, new_case, engine, slot):
    case_id = new_case()
    before = _counts(engine)
    view = {"callback_id": Callback.BOOK_FORM, "private_metadata": str(case_id),
            "blocks": [{"type": "input", "block_id": BookField.SLOT,
                        "element": {"type": "static_select", "action_id": "value"}}]}
    values = {BookField.SLOT: {"value": {"type": "static_select", "selected_option": {"value": slot}}}}
    answer = _answer(dispatch(app, signer.view_submission(PRIYA, view, values)))
    assert answer == {"response_action": "errors", "errors": {BookField.SLOT: NOT_A_SLOT}}
    assert _counts(engine) == before


def test_a_form_without_a_user_gets_a_sentence_and_changes_nothing(app, signer, policy, engine):
    before = _counts(engine)
    view = _submit_view(policy)
    payload = {"type": "view_submission", "view": {**view, "state": {"values": form_state(view, FORUM_ANSWERS)}}}
    answer = _answer(dispatch(app, signer._interactive(payload)))
    assert answer["response_action"] == "errors"
    assert "could not tell who sent this" in next(iter(answer["errors"].values()))
    assert _counts(engine) == before


def test_a_command_and_a_button_without_a_user_change_nothing(app, signer, new_case, engine, slack):
    case_id = new_case()
    before = _counts(engine)
    command = signer.command("", "book 1234567")
    assert "could not tell who sent this" in _answer(dispatch(app, command))["text"]
    click = signer._interactive({"type": "block_actions", "actions": [
        {"type": "button", "action_id": Action.CANCEL_BOOKING, "block_id": "b", "value": str(case_id)}]})
    assert dispatch(app, click).status == 200
    assert _counts(engine) == before


def test_a_refusal_behind_a_button_in_a_modal_is_answered_in_the_modal(app, signer, slack):
    view = {"type": "modal", "id": "V0DONE", "callback_id": Callback.SUBMITTED, "blocks": []}
    response = dispatch(app, signer.block_action(PRIYA, Action.BOOK_SLOT, value="not-a-case", view=view))
    assert response.status == 200
    pushed = slack.calls_to("views.push")
    assert len(pushed) == 1
    assert "That button no longer points at a case." in json.dumps(pushed[0].args["view"])
    assert slack.calls_to("response_url") == []
    assert "incident" not in json.dumps([call.args for call in slack.calls])


def test_a_reminder_button_in_a_modal_answers_in_the_modal(app, signer, slack):
    view = {"type": "modal", "id": "V0HOME", "callback_id": "whatever", "blocks": []}
    response = dispatch(app, signer.block_action(PRIYA, Action.REMINDER_DONE, value="x", view=view))
    assert response.status == 200
    assert "no longer points at a reminder" in json.dumps(slack.calls_to("views.push")[0].args["view"])


@pytest.mark.parametrize(("typed", "shown"), [
    ("2027-05-12", "Wednesday 12 May 2027"), ("12/05/2027", "Wednesday 12 May 2027"),
    ("12 May 2027", "Wednesday 12 May 2027"), ("12/5/27", "Wednesday 12 May 2027"),
])
def test_the_agenda_reads_iso_dates_year_first_and_slashed_dates_day_first(app, signer, typed, shown):
    answer = _answer(dispatch(app, signer.command(PRIYA, f"agenda {typed}")))
    assert shown in answer["text"]


@pytest.mark.parametrize(("typed", "sentence"), [
    ("2027-02-30", "There is no 30 February 2027: February 2027 has 28 days."),
    ("31/04/2027", "There is no 31 April 2027: April 2027 has 30 days."),
    ("2027-13-01", "There is no month 13: months go from 1 to 12."),
])
def test_an_impossible_agenda_date_says_so_plainly(app, signer, typed, sentence):
    answer = _answer(dispatch(app, signer.command(PRIYA, f"agenda {typed}")))
    assert answer["text"].startswith(sentence)
    assert "out of range" not in answer["text"]


def test_the_review_form_refuses_control_characters_in_its_notes(app, signer, new_case, engine):
    case_id = new_case()
    before = _counts(engine)
    view = {"callback_id": Callback.REVIEW_FORM, "private_metadata": str(case_id),
            "blocks": [_input(ReviewField.NOTES)]}
    values = {ReviewField.NOTES: {"value": {"type": "plain_text_input", "value": "notes \x00"}}}
    answer = _answer(dispatch(app, signer.view_submission(PRIYA, view, values)))
    assert "cannot store" in answer["errors"][ReviewField.NOTES]
    assert _counts(engine) == before


# Values panelbot never wrote where it reads a row id: "²" passes str.isdigit() but int() refuses it;
# thirty nines pass both but are no row id either database can hold.
NOT_ROW_IDS = ["²", "9" * 30, "-1", " 7"]


@pytest.mark.parametrize("value", NOT_ROW_IDS, ids=["superscript", "huge", "negative", "space"])
@pytest.mark.parametrize("action_id", [Action.BOOK_SLOT, Action.REBOOK, Action.CANCEL_BOOKING, Action.REMINDER_DONE,
                                       Action.SNOOZE_DAY, Action.SPOT_CHECK_OPEN, Action.OPEN_CASE])
def test_a_button_value_that_is_no_row_id_gets_a_sentence_and_changes_nothing(app, signer, slack, engine, new_case,
                                                                              action_id, value):
    new_case()
    before = _counts(engine)
    response = dispatch(app, signer.block_action(PRIYA, action_id, value=value))
    assert response.status == 200
    said = json.dumps([call.args for call in slack.calls])
    assert "no longer" in said  # "That button no longer points at …" / "That case is no longer in panelbot."
    assert "incident" not in said
    assert _counts(engine) == before


@pytest.mark.parametrize("value", ["²:1", "1:²", "9" * 30 + ":1", "1", "1:1:1"])
def test_a_decision_button_whose_value_is_no_case_and_round_says_it_is_out_of_date(app, signer, slack, engine,
                                                                                 new_case, value):
    new_case()
    before = _counts(engine)
    response = dispatch(app, signer.block_action("U0SDASCOP1", "decide_approved", value=value))
    assert response.status == 200
    said = json.dumps([call.args for call in slack.calls])
    assert "That button is out of date: open the case again." in said
    assert "incident" not in said
    assert _counts(engine) == before


@pytest.mark.parametrize("value", NOT_ROW_IDS, ids=["superscript", "huge", "negative", "space"])
@pytest.mark.parametrize(("callback", "who", "values"), [
    (Callback.WITHDRAW_FORM, PRIYA, {"reason": {"value": {"type": "plain_text_input", "value": "A reason"}}}),
    (Callback.SPOT_CHECK_FORM, "U0SQAO0001", {"finding": {"value": {"type": "radio_buttons",
                                                      "selected_option": {"value": "agreed"}}}}),
], ids=["withdraw", "spot_check"])
def test_form_metadata_that_is_no_row_id_gets_an_inline_error_and_changes_nothing(app, signer, engine, new_case,
                                                                                 callback, who, values, value):
    new_case()
    before = _counts(engine)
    view = {"callback_id": callback, "private_metadata": value, "blocks": [_input(block) for block in values]}
    answer = _answer(dispatch(app, signer.view_submission(who, view, values)))
    assert answer["response_action"] == "errors"
    assert "no longer" in json.dumps(answer) or "out of date" in json.dumps(answer)
    assert _counts(engine) == before
