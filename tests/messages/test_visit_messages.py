"""The monitoring-visit builders (seed 002): the provision, placement and plan-visit forms, `/panel
visits` with its overdue flags, caps and the SQAO's on-time summary, the step, planned-visit and
action-plan DMs and the short answers; Slack's limits (DESIGN.md §7) and privacy (§4)."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from bot.domain.visits import (
    PROVISION_LABELS,
    RATING_LABELS,
    STEP_LABELS,
    OfstedRating,
    ProvisionType,
    ProvisionView,
    Step,
    StepView,
    VisitKind,
    VisitsOverview,
    VisitView,
)
from messages.slack.ids import VALUE, Action, Callback, PlacementField, PlanVisitField, ProvisionField
from messages.slack.text import render_message, render_view
from messages.slack.visits import (
    MAX_PROVISION_OPTIONS,
    MAX_STEPS_SHOWN,
    MAX_VISITS_SHOWN,
    NAME_MAX_LENGTH,
    action_plan_needed_dm,
    concern_raised_text,
    placement_modal,
    placement_saved_text,
    plan_visit_modal,
    provision_modal,
    provision_saved_text,
    step_assigned_dm,
    step_value,
    visit_planned_dm,
    visits_message,
)
from tests.messages.test_case_messages import (
    MESSAGE_BLOCKS,
    assert_slack_sdk_reads_it_back,
    assert_within_slack_limits,
    everything,
    section_texts,
)

TODAY = date(2026, 11, 24)  # a Tuesday
PCO, SQAO_USER, SOCIAL_WORKER = "U0PCOPAT", "U0SQAOSAM", "U0SWSAL"
CHILD = "C-7654321"

SUNRISE = ProvisionView(
    id=7,
    name="Sunrise House",
    provision_type=ProvisionType.RESIDENTIAL_HOME,
    rating=OfstedRating.GOOD,
    rated_on=date(2026, 11, 2),
    contact="office@sunrise.example.org",
)
HARBOUR = ProvisionView(
    id=8,
    name="Harbour Fostering",
    provision_type=ProvisionType.INDEPENDENT_FOSTERING_AGENCY,
    rating=OfstedRating.INADEQUATE,
    rated_on=date(2026, 11, 10),
    contact=None,
)
DUE_VISIT = VisitView(
    id=12,
    provision_id=SUNRISE.id,
    provision=SUNRISE.name,
    provision_type=SUNRISE.provision_type,
    kind=VisitKind.INITIAL,
    due_on=date(2026, 11, 27),
    why="ideally before the placement is made, or within 3 days of the placement starting on Tuesday 24 "
        "November 2026",
    state="due",
    child_reference=CHILD,
)
OVERDUE_VISIT = replace(
    DUE_VISIT, id=13, kind=VisitKind.CONCERN, due_on=date(2026, 11, 21), child_reference=None,
    why="within 10 days of the issue or concern raised on Wednesday 11 November 2026",
)
PLANNED_VISIT = replace(DUE_VISIT, id=14, state="planned", planned_on=date(2026, 11, 26), visitor=PCO)
REPORT = StepView(
    step=Step.REPORT_TO_SQAO, assignee=PCO, started_on=date(2026, 11, 2), due_on=date(2026, 11, 16)
)
DONE_VISIT = replace(
    PLANNED_VISIT, id=15, state="done", planned_on=date(2026, 11, 2), done_on=date(2026, 11, 2), steps=(REPORT,)
)
RETURNS = StepView(
    step=Step.SQAO_RETURNS, assignee=SQAO_USER, started_on=date(2026, 11, 20), due_on=date(2026, 11, 27)
)
MINE = VisitsOverview(
    today=TODAY,
    visits=(OVERDUE_VISIT, DUE_VISIT, PLANNED_VISIT),
    steps=((DONE_VISIT, REPORT),),
)
SHARES = {
    Step.REPORT_TO_SQAO: 0.9,
    Step.SQAO_RETURNS: 1.0,
    Step.ACTIONS_DONE: None,
    Step.SENT_FOR_COMMENTS: 0.5,
    Step.COMMENTS_BACK: 2 / 3,
    Step.UPLOADED: None,
}
EVERYTHING = replace(
    MINE, steps=((DONE_VISIT, REPORT), (DONE_VISIT, RETURNS)), everything=True, visits_on_time=5 / 6,
    steps_on_time=SHARES,
)


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {block["block_id"]: block for block in view["blocks"] if block["type"] == "input"}


def lines(payload: dict[str, Any]) -> list[str]:
    return [line.strip() for line in section_texts(payload).splitlines()]


def without_empty_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """slack_sdk drops an empty private_metadata when it reads a view back."""
    return {key: value for key, value in view.items() if not (key == "private_metadata" and value == "")}


# --- Every builder, within Slack's limits and read back by slack_sdk -----------------------------------


def many_visits(n: int) -> tuple[VisitView, ...]:
    return tuple(replace(DUE_VISIT, id=100 + i, provision=f"Provision {i}") for i in range(n))


def many_steps(n: int) -> tuple[tuple[VisitView, StepView], ...]:
    return tuple((replace(DONE_VISIT, id=200 + i), REPORT) for i in range(n))


LONG = replace(SUNRISE, name="Ö" * 500, contact="x" * 500)
PAYLOADS = {
    "provision add": lambda: provision_modal(None),
    "provision edit": lambda: provision_modal(SUNRISE),
    "provision edit long": lambda: provision_modal(LONG),
    "placement": lambda: placement_modal([SUNRISE, HARBOUR]),
    "placement many": lambda: placement_modal([replace(LONG, id=i) for i in range(150)]),
    "placement none": lambda: placement_modal([]),
    "plan visit": lambda: plan_visit_modal(DUE_VISIT),
    "plan visit long": lambda: plan_visit_modal(replace(DUE_VISIT, provision="Ö" * 5000, why="w" * 5000)),
    "visits mine": lambda: visits_message(MINE),
    "visits everything": lambda: visits_message(EVERYTHING),
    "visits empty": lambda: visits_message(VisitsOverview(today=TODAY, visits=(), steps=())),
    "visits crowded": lambda: visits_message(
        replace(EVERYTHING, visits=many_visits(80), steps=many_steps(80))
    ),
    "step dm": lambda: step_assigned_dm(DONE_VISIT, REPORT),
    "planned dm visitor": lambda: visit_planned_dm(PLANNED_VISIT, to=PCO, confirm_by=date(2026, 11, 24)),
    "planned dm social worker": lambda: visit_planned_dm(PLANNED_VISIT, to=SOCIAL_WORKER),
    "action plan dm": lambda: action_plan_needed_dm(HARBOUR, "After Ofsted's Inadequate judgement"),
    "action plan requested dm": lambda: action_plan_needed_dm(
        replace(HARBOUR, action_plan_requested_on=date(2026, 11, 12)), "why"
    ),
    "action plan received dm": lambda: action_plan_needed_dm(
        replace(HARBOUR, action_plan_received_on=date(2026, 11, 20)), ""
    ),
}


@pytest.mark.parametrize("build", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_every_builder_stays_within_slacks_limits(build):
    assert_within_slack_limits(build())


@pytest.mark.parametrize("build", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_slack_sdk_reads_every_builder_back_unchanged(build):
    assert_slack_sdk_reads_it_back(without_empty_metadata(build()))


# --- The provision form ----------------------------------------------------------------------------------


def test_the_add_provision_form_has_its_callback_no_metadata_and_every_field():
    modal = provision_modal(None)
    assert (modal["type"], modal["callback_id"], modal["private_metadata"]) == ("modal", Callback.PROVISION_FORM, "")
    assert modal["title"]["text"] == "Add a provision"
    fields = inputs(modal)
    assert list(fields) == list(ProvisionField)
    assert {block["element"]["action_id"] for block in fields.values()} == {VALUE}
    assert [fields[f]["element"]["type"] for f in ProvisionField] == [
        "plain_text_input", "static_select", "static_select", "datepicker", "plain_text_input"]
    assert fields[ProvisionField.NAME]["element"]["max_length"] == NAME_MAX_LENGTH
    assert [f for f, block in fields.items() if block.get("optional")] == [
        ProvisionField.RATING, ProvisionField.RATED_ON, ProvisionField.CONTACT]
    assert fields[ProvisionField.RATED_ON]["hint"]["text"] == "The date of the Ofsted judgement."
    assert "an organisation's" in fields[ProvisionField.CONTACT]["hint"]["text"]
    assert "initial_value" not in everything(modal) and "initial_option" not in everything(modal)


def test_the_provision_selects_offer_the_four_types_and_ofsteds_four_judgements():
    fields = inputs(provision_modal(None))
    types = fields[ProvisionField.TYPE]["element"]["options"]
    ratings = fields[ProvisionField.RATING]["element"]["options"]
    assert [(o["value"], o["text"]["text"]) for o in types] == [(t.value, label) for t, label in
                                                                 PROVISION_LABELS.items()]
    assert [o["value"] for o in ratings] == ["outstanding", "good", "requires_improvement", "inadequate"]
    assert [o["text"]["text"] for o in ratings] == list(RATING_LABELS.values())
    assert all(OfstedRating(o["value"]) for o in ratings)


def test_the_edit_provision_form_is_prefilled_and_carries_the_provision_id():
    modal = provision_modal(SUNRISE)
    assert modal["title"]["text"] == "Edit a provision" and modal["private_metadata"] == "7"
    fields = inputs(modal)
    assert fields[ProvisionField.NAME]["element"]["initial_value"] == "Sunrise House"
    assert fields[ProvisionField.TYPE]["element"]["initial_option"]["value"] == "residential_home"
    assert fields[ProvisionField.RATING]["element"]["initial_option"]["text"]["text"] == "Good"
    assert fields[ProvisionField.RATED_ON]["element"]["initial_date"] == "2026-11-02"
    assert fields[ProvisionField.CONTACT]["element"]["initial_value"] == "office@sunrise.example.org"


def test_an_unrated_provision_is_edited_without_a_rating_chosen():
    fields = inputs(provision_modal(replace(HARBOUR, rating=None, rated_on=None)))
    assert "initial_option" not in fields[ProvisionField.RATING]["element"]
    assert "initial_date" not in fields[ProvisionField.RATED_ON]["element"]
    assert "initial_value" not in fields[ProvisionField.CONTACT]["element"]


def test_the_provision_form_reads_as_text():
    text = "\n".join(render_view(provision_modal(SUNRISE)))
    for expected in ("┌ Edit a provision", "│ Name: ____", "│ Type: [Residential home ▾] (one of 4)",
                     "│ Ofsted rating (optional): [Good ▾] (one of 4)", "└ [Save]"):
        assert expected in text


# --- The placement form ----------------------------------------------------------------------------------


def test_the_placement_form_offers_the_provisions_by_id_and_asks_for_the_case_reference():
    modal = placement_modal([SUNRISE, HARBOUR])
    assert modal["callback_id"] == Callback.PLACEMENT_FORM and modal["submit"]["text"] == "Save"
    fields = inputs(modal)
    assert list(fields) == list(PlacementField)
    options = fields[PlacementField.PROVISION]["element"]["options"]
    assert [(o["value"], o["text"]["text"]) for o in options] == [("7", "Sunrise House"), ("8", "Harbour Fostering")]
    assert fields[PlacementField.CHILD_REFERENCE]["hint"]["text"] == "The child's case reference — never their name."
    assert fields[PlacementField.STARTS_ON]["element"]["type"] == "datepicker"
    assert not fields[PlacementField.STARTS_ON].get("optional")


@pytest.mark.parametrize("field", [PlacementField.SOCIAL_WORKER, PlacementField.IRO, PlacementField.SEN_OFFICER])
def test_the_childs_professionals_are_optional_people_asked_for_feedback(field):
    block = inputs(placement_modal([SUNRISE]))[field]
    assert block["element"]["type"] == "users_select" and block["optional"] is True
    assert block["hint"]["text"] == "Asked for feedback before each visit."


def test_the_placement_form_offers_at_most_a_hundred_provisions_and_says_so():
    provisions = [replace(SUNRISE, id=i, name=f"Provision {i}") for i in range(130)]
    modal = placement_modal(provisions)
    options = inputs(modal)[PlacementField.PROVISION]["element"]["options"]
    assert len(options) == MAX_PROVISION_OPTIONS
    assert options[-1]["value"] == "99"
    assert "Showing the first 100 of 130 provisions." in section_texts(modal)


def test_exactly_a_hundred_provisions_need_no_note():
    modal = placement_modal([replace(SUNRISE, id=i) for i in range(100)])
    assert "Showing" not in section_texts(modal)


def test_a_long_provision_name_is_cut_to_an_options_75_characters():
    [option] = inputs(placement_modal([LONG]))[PlacementField.PROVISION]["element"]["options"]
    assert len(option["text"]["text"]) == 75 and option["text"]["text"].endswith("…")


def test_with_no_provisions_the_placement_form_says_to_add_one_and_cannot_be_submitted():
    modal = placement_modal([])
    assert "submit" not in modal and not inputs(modal)
    assert "There are no provisions yet: add one with `/panel provision` first." in section_texts(modal)


# --- The plan-visit form ---------------------------------------------------------------------------------


def test_the_plan_visit_form_shows_the_visit_and_starts_at_the_due_date():
    modal = plan_visit_modal(DUE_VISIT)
    assert (modal["callback_id"], modal["private_metadata"]) == (Callback.PLAN_VISIT_FORM, "12")
    assert modal["title"]["text"] == "Plan a visit"
    fields = inputs(modal)
    assert list(fields) == list(PlanVisitField)
    assert fields[PlanVisitField.DATE]["element"] == {
        "type": "datepicker", "initial_date": "2026-11-27", "action_id": VALUE}
    assert fields[PlanVisitField.VISITOR]["element"]["type"] == "users_select"
    assert "initial_user" not in fields[PlanVisitField.VISITOR]["element"]
    words = section_texts(modal)
    for expected in ("*Sunrise House* (Residential home) — placement of case C-7654321",
                     "*Initial visit*, due by Friday 27 November 2026", "Why: ideally before the placement is made"):
        assert expected in words


def test_a_visit_without_a_why_shows_no_empty_why_line():
    assert "Why:" not in section_texts(plan_visit_modal(replace(DUE_VISIT, why=" ")))


def test_replanning_a_visit_starts_at_its_planned_date_and_visitor():
    fields = inputs(plan_visit_modal(PLANNED_VISIT))
    assert fields[PlanVisitField.DATE]["element"]["initial_date"] == "2026-11-26"
    assert fields[PlanVisitField.VISITOR]["element"]["initial_user"] == PCO


# --- /panel visits ---------------------------------------------------------------------------------------


def test_visits_lists_each_visit_with_its_provision_kind_due_date_and_overdue_flag():
    assert lines(visits_message(MINE)) == [
        "== Monitoring visits ==",
        "*Visits due (3, 1 overdue)*",
        "*Sunrise House* (Residential home)",
        "*Visit after an issue or concern*, due by Saturday 21 November 2026 — ⚠ overdue by 3 days",
        "*Sunrise House* (Residential home) — placement of case C-7654321",
        "*Initial visit*, due by Friday 27 November 2026",
        "*Sunrise House* (Residential home) — placement of case C-7654321",
        "*Initial visit*, due by Friday 27 November 2026",
        f"Planned for Thursday 26 November 2026 with <@{PCO}>",
        "[Visit done]",
        "*Steps after visits (1)*",
        f"*{STEP_LABELS[Step.REPORT_TO_SQAO]}* — visit to Sunrise House on Monday 2 November 2026 — due Monday "
        "16 November 2026 — ⚠ overdue by 8 days",
        "[Done]",
    ]


def test_a_due_visit_has_plan_and_a_planned_one_visit_done_each_valued_with_the_visit_id():
    blocks = visits_message(replace(MINE, everything=True))["blocks"]
    buttons = [(b["accessory"]["action_id"], b["accessory"]["value"]) for b in blocks if "accessory" in b]
    assert buttons == [(Action.PLAN_VISIT, "13"), (Action.PLAN_VISIT, "12"), (Action.VISIT_DONE, "14"),
                       (Action.STEP_DONE, "15:report_to_sqao")]


def test_only_the_officers_view_offers_plan_because_only_they_may_plan():
    blocks = visits_message(MINE)["blocks"]
    buttons = [(b["accessory"]["action_id"], b["accessory"]["value"]) for b in blocks if "accessory" in b]
    assert buttons == [(Action.VISIT_DONE, "14"), (Action.STEP_DONE, "15:report_to_sqao")]


@pytest.mark.parametrize(("due_on", "flag"), [
    (TODAY, None),
    (TODAY + timedelta(days=1), None),
    (TODAY - timedelta(days=1), "⚠ overdue by 1 day"),
    (TODAY - timedelta(days=30), "⚠ overdue by 30 days"),
])
def test_a_visit_is_overdue_only_once_its_due_date_has_passed(due_on, flag):
    words = section_texts(visits_message(VisitsOverview(TODAY, (replace(DUE_VISIT, due_on=due_on),), ())))
    if flag:
        assert flag in words
    else:
        assert "overdue" not in words


def test_the_step_done_value_is_the_visit_id_and_the_step():
    assert step_value(DONE_VISIT, REPORT) == "15:report_to_sqao"
    visit_id, step = step_value(DONE_VISIT, RETURNS).split(":")
    assert (int(visit_id), Step(step)) == (DONE_VISIT.id, Step.SQAO_RETURNS)


def test_the_text_fallback_counts_what_is_due():
    assert visits_message(MINE)["text"] == "3 visits and 1 step due for you"
    assert visits_message(replace(MINE, steps=()))["text"] == "3 visits due for you"
    assert visits_message(EVERYTHING)["text"] == "3 visits and 2 steps due"


def test_nothing_due_says_so():
    message = visits_message(VisitsOverview(today=TODAY, visits=(), steps=()))
    assert message["text"] == "Nothing due for you."
    assert lines(message) == ["== Monitoring visits ==", "Nothing due for you."]


def test_the_sqaos_view_starts_with_the_share_of_visits_and_of_each_step_on_time():
    summary = lines(visits_message(EVERYTHING))[1]
    assert summary == (
        "Visits on time: 83%; steps on time: report to SQAO 90%, SQAO returns 100%, actions done none yet, "
        "sent for comments 50%, comments back 67%, uploaded none yet"
    )


def test_the_sqaos_summary_before_any_visit_is_done():
    overview = VisitsOverview(TODAY, (), (), everything=True, visits_on_time=None,
                              steps_on_time=dict.fromkeys(Step))
    assert lines(visits_message(overview))[1:] == [
        "Visits on time: no visits done yet; steps on time: no steps done yet", "Nothing due for anyone."]
    assert "no steps done yet" in section_texts(visits_message(replace(overview, steps_on_time=None)))


def test_the_sqaos_view_names_whose_each_step_is():
    words = section_texts(visits_message(EVERYTHING))
    assert f"For <@{PCO}>" in words and f"For <@{SQAO_USER}>" in words
    assert "For <@" not in section_texts(visits_message(MINE))


def test_only_the_sqao_sees_the_on_time_summary():
    assert "on time" not in section_texts(visits_message(MINE))


def test_a_long_list_is_capped_and_says_how_many_more():
    message = visits_message(replace(EVERYTHING, visits=many_visits(MAX_VISITS_SHOWN + 7),
                                     steps=many_steps(MAX_STEPS_SHOWN + 3)))
    assert len(message["blocks"]) <= MESSAGE_BLOCKS
    accessories = [b["accessory"]["action_id"] for b in message["blocks"] if "accessory" in b]
    assert accessories.count(Action.PLAN_VISIT) == MAX_VISITS_SHOWN
    assert accessories.count(Action.STEP_DONE) == MAX_STEPS_SHOWN
    words = lines(message)
    assert "and 7 more visits" in words and "and 3 more steps" in words
    assert "*Visits due (27)*" in words


def test_exactly_the_cap_says_nothing_more():
    message = visits_message(replace(MINE, visits=many_visits(MAX_VISITS_SHOWN), steps=many_steps(MAX_STEPS_SHOWN)))
    assert "more" not in section_texts(message)


# --- DMs -------------------------------------------------------------------------------------------------


def test_the_step_dm_names_the_visit_the_step_its_deadline_and_has_done():
    dm = step_assigned_dm(DONE_VISIT, REPORT)
    assert dm["text"] == (
        "Next for the monitoring visit to Sunrise House (Monday 2 November 2026): "
        "Completed form sent to the Senior QA Officer — due Monday 16 November 2026"
    )
    assert dm["blocks"][-1] == {"type": "actions", "elements": [{
        "type": "button", "text": {"type": "plain_text", "text": "Done"}, "action_id": Action.STEP_DONE,
        "value": "15:report_to_sqao", "style": "primary"}]}
    assert "Placement of case C-7654321" in section_texts(dm)


def test_the_social_worker_is_asked_for_feedback_about_the_placement_by_case_reference():
    dm = visit_planned_dm(PLANNED_VISIT, to=SOCIAL_WORKER)
    assert dm["text"] == (
        "A monitoring visit to Sunrise House is planned for Thursday 26 November 2026. Please send your "
        f"feedback about the placement of case C-7654321 to <@{PCO}> before then."
    )


def test_the_visitor_is_asked_to_confirm_with_the_provider_by_the_confirm_date():
    dm = visit_planned_dm(PLANNED_VISIT, to=PCO, confirm_by=date(2026, 11, 24))
    assert dm["text"] == (
        "You are visiting Sunrise House on Thursday 26 November 2026 (Initial visit). "
        "Please confirm the visit with the provider by Tuesday 24 November 2026."
    )
    words = section_texts(dm)
    assert "pre-visit provider form" in words and "Placement of case C-7654321" in words
    assert "confirm the visit with the provider now" in visit_planned_dm(PLANNED_VISIT, to=PCO)["text"]


def test_a_visit_that_is_not_planned_has_no_planned_dm():
    with pytest.raises(ValueError, match="not planned"):
        visit_planned_dm(DUE_VISIT, to=SOCIAL_WORKER)


def test_the_sqao_is_asked_for_the_action_plan_with_requested_and_received():
    dm = action_plan_needed_dm(HARBOUR, "After Ofsted's Inadequate judgement on Tuesday 10 November 2026, …")
    assert dm["text"] == (
        "Please request Ofsted's action plan for Harbour Fostering (rated Inadequate on Tuesday 10 November 2026)."
    )
    buttons = [(b["action_id"], b["value"], b["text"]["text"]) for b in dm["blocks"][-1]["elements"]]
    assert buttons == [(Action.ACTION_PLAN_REQUESTED, "8", "Requested"), (Action.ACTION_PLAN_RECEIVED, "8", "Received")]
    assert "After Ofsted's Inadequate judgement on Tuesday 10 November 2026, …" in section_texts(dm)
    assert "the visit is due within 7 days of receiving it." in section_texts(
        action_plan_needed_dm(HARBOUR, "After …; the visit is due within 7 days of receiving it"))


def test_once_requested_only_received_is_left_and_once_received_no_button():
    requested = action_plan_needed_dm(replace(HARBOUR, action_plan_requested_on=date(2026, 11, 12)), "why")
    assert [b["action_id"] for b in requested["blocks"][-1]["elements"]] == [Action.ACTION_PLAN_RECEIVED]
    assert "Action plan requested Thursday 12 November 2026." in section_texts(requested)
    received = action_plan_needed_dm(replace(HARBOUR, action_plan_received_on=date(2026, 11, 20)), "why")
    assert all(block["type"] != "actions" for block in received["blocks"])


# --- Answers ---------------------------------------------------------------------------------------------


def test_a_saved_provision_says_what_it_is_and_which_visit_is_now_due():
    rating_visit = replace(DUE_VISIT, kind=VisitKind.RATING, due_on=date(2026, 11, 16))
    assert provision_saved_text(SUNRISE, [rating_visit]) == (
        "Sunrise House is saved: Residential home, rated Good on Monday 2 November 2026. "
        "Visit after a Good or Outstanding Ofsted judgement due by Monday 16 November 2026."
    )
    unrated = replace(SUNRISE, rating=None, rated_on=None)
    assert provision_saved_text(unrated, []) == "Sunrise House is saved: Residential home. No visit is due from this."


def test_a_saved_placement_names_the_child_by_case_reference_and_the_initial_visit():
    assert placement_saved_text(CHILD, "Sunrise House", [DUE_VISIT]) == (
        "Placement recorded: case C-7654321 at Sunrise House. Initial visit due by Friday 27 November 2026."
    )


def test_a_concern_is_recorded_or_joins_the_open_one():
    assert concern_raised_text("Sunrise House", OVERDUE_VISIT, joined=False) == (
        "Concern recorded for Sunrise House: a visit is due by Saturday 21 November 2026."
    )
    assert concern_raised_text("Sunrise House", OVERDUE_VISIT, joined=True, raised_on=date(2026, 11, 11)) == (
        "There is already an open concern for Sunrise House (raised Wednesday 11 November 2026): this one joins "
        "it; the visit is still due by Saturday 21 November 2026."
    )
    assert concern_raised_text("Sunrise House", OVERDUE_VISIT, joined=True).startswith(
        "There is already an open concern for Sunrise House: this one joins it;")


# --- Privacy and escaping --------------------------------------------------------------------------------


def test_the_views_carry_nothing_personal_about_a_child_but_the_case_reference():
    # A new field on these views is a new thing that could reach a channel: decide, then update this.
    assert [f.name for f in dataclasses.fields(VisitView)] == [
        "id", "provision_id", "provision", "provision_type", "kind", "due_on", "why", "state",
        "child_reference", "planned_on", "visitor", "done_on", "steps"]
    assert [f.name for f in dataclasses.fields(StepView)] == [
        "step", "assignee", "started_on", "due_on", "finished_on", "finished_by", "counted"]
    assert [f.name for f in dataclasses.fields(ProvisionView)] == [
        "id", "name", "provision_type", "rating", "rated_on", "contact", "open_concern_since",
        "action_plan_requested_on", "action_plan_received_on"]


@pytest.mark.parametrize("payload", [
    visits_message(MINE), plan_visit_modal(DUE_VISIT), visit_planned_dm(PLANNED_VISIT, to=SOCIAL_WORKER),
    step_assigned_dm(DONE_VISIT, REPORT),
], ids=["visits", "plan", "feedback", "step"])
def test_a_placements_child_appears_by_case_reference(payload):
    assert CHILD in everything(payload)


def test_the_provider_contact_stays_in_the_provision_form():
    assert SUNRISE.contact in everything(provision_modal(SUNRISE))
    for payload in (action_plan_needed_dm(SUNRISE, "why"), provision_saved_text(SUNRISE, [])):
        assert SUNRISE.contact not in everything(payload)


def test_names_and_why_are_escaped_so_they_cannot_mention_anyone():
    sneaky = replace(DUE_VISIT, provision="<!channel> & Co", why="<@U0SOMEONE>", child_reference="<!here>")
    for payload in (visits_message(VisitsOverview(TODAY, (sneaky,), ())), plan_visit_modal(sneaky),
                    visit_planned_dm(replace(sneaky, planned_on=TODAY, visitor=PCO), to=SOCIAL_WORKER)):
        text = everything(payload)
        assert "<!channel>" not in text and "<!here>" not in text and "<@U0SOMEONE>" not in text
        assert "&lt;!channel&gt; &amp; Co" in text
    assert placement_saved_text("<!here>", "A & B", []) == (
        "Placement recorded: case &lt;!here&gt; at A &amp; B. No visit is due from this.")


def test_every_message_reads_as_text():
    assert render_message(step_assigned_dm(DONE_VISIT, REPORT))[-1] == "[Done]"
    assert render_message(action_plan_needed_dm(HARBOUR, "why"))[-1] == "[Requested]  [Received]"
    assert "│ Visitor: ____" in render_view(plan_visit_modal(DUE_VISIT))


def test_a_step_says_whether_its_deadline_counts_working_or_calendar_days():
    counted = replace(REPORT, counted="10 working days")
    dm = step_assigned_dm(DONE_VISIT, counted)
    assert dm["text"].endswith("— due Monday 16 November 2026 (10 working days from Monday 2 November 2026)")
    listed = section_texts(visits_message(replace(MINE, steps=((DONE_VISIT, counted),))))
    assert "(10 working days from Monday 2 November 2026)" in listed
