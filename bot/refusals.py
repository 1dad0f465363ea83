"""Why panelbot will not do what was asked: a stable code and the facts behind it, never a sentence.

The core says *that* it refuses and *why* as data: a `Refusal` code and its facts as keyword values
(a case reference, a date, a body's name, a limit, a person's address). Each surface words it
(messages/refusals.py holds the sentence for every code), so the core knows no wording, no mention
and no command syntax, and a log line can carry the code alone.

Every code declares the names of its facts: `Refusal.CASE_IN_FLIGHT.facts == ("reference", "stage",
"body")`. A `Problem` (and so every `UserError`) is checked against them when it is made, and the
sentence for the code uses exactly those facts (tests/test_refusals.py), so a raise site and its
words cannot drift apart.

Facts may hold what a person typed (a provision name quoted back): they go to that person's reply
only. `str()` and `repr()` of a Problem or a UserError show the code and never the facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

__all__ = ["Problem", "Refusal"]


class Refusal(StrEnum):
    """A reason panelbot refuses, with the names of the facts its sentence needs (`.facts`)."""

    facts: tuple[str, ...]

    def __new__(cls, code: str, *facts: str) -> Refusal:
        member = str.__new__(cls, code)
        member._value_ = code
        member.facts = facts
        return member

    # --- Anything: a button, a form or a typed command that no longer points at anything ---
    BUTTON_LOST_CASE = "button_lost_case"
    BUTTON_LOST_REMINDER = "button_lost_reminder"
    BUTTON_LOST_SPOT_CHECK = "button_lost_spot_check"
    FORM_LOST_SPOT_CHECK = "form_lost_spot_check"
    UNSTORABLE_TEXT = "unstorable_text"
    UNSTORABLE_COMMAND = "unstorable_command"
    TEXT_OVER_LIMIT = "text_over_limit", "limit", "length"

    # --- A day typed in words (bot.domain.days) ---
    NO_SUCH_MONTH = "no_such_month", "month"
    NO_SUCH_YEAR = "no_such_year", "year"
    NO_SUCH_DAY = "no_such_day", "day", "month", "year", "last"

    # --- Cases: submitting, withdrawing, reviewing ---
    CASE_GONE = "case_gone"
    NO_OPEN_CASE = "no_open_case"
    NO_CASE = "no_case"
    CASE_IN_FLIGHT = "case_in_flight", "reference", "stage", "body"
    TEAM_MANAGER_NOT_IN_ROLE = "team_manager_not_in_role", "role"
    ATTENDEE_NEEDED = "attendee_needed", "body", "attendance"
    ATTENDEE_NEEDED_ANYONE = "attendee_needed_anyone", "body"
    WITHDRAW_NOT_YOURS = "withdraw_not_yours", "reference"
    WITHDRAW_TOO_LATE = "withdraw_too_late", "reference", "stage"
    WITHDRAW_RACE = "withdraw_race", "reference", "stage"
    REVIEW_NOT_YOURS = "review_not_yours", "reference"
    NOTHING_TO_REVIEW = "nothing_to_review", "reference", "stage"
    REVIEW_RECORDED_TODAY = "review_recorded_today", "reference", "person", "at"

    # --- The case form (bot.domain.submission) ---
    SUBMITTER_NOT_A_PERSON = "submitter_not_a_person"
    ANSWER_UNREADABLE = "answer_unreadable"
    REFERENCE_NEEDED = "reference_needed", "example"
    REFERENCE_PERSONAL = "reference_personal", "found", "example"
    REFERENCE_SHAPE = "reference_shape", "example"
    SERVICE_NEEDED = "service_needed"
    REQUEST_TYPE_NEEDED = "request_type_needed"
    MONEY_UNREADABLE = "money_unreadable", "amount"
    MONEY_NEGATIVE = "money_negative", "amount"
    PENCE_PLACES = "pence_places"
    MONEY_OVER_MAX = "money_over_max", "limit"
    CURRENT_NEEDED_INCREASE = "current_needed_increase"
    CURRENT_NEEDED_DECREASE = "current_needed_decrease"
    CURRENT_ZERO = "current_zero"
    PROPOSED_NEEDED = "proposed_needed"
    PROPOSED_ZERO = "proposed_zero"
    INCREASE_NOT_MORE = "increase_not_more"
    DECREASE_NOT_LESS = "decrease_not_less"
    HOURS_UNREADABLE = "hours_unreadable"
    HOURS_NEEDED = "hours_needed"
    HOURS_NEGATIVE = "hours_negative"
    HOURS_PLACES = "hours_places"
    HOURS_OVER_MONTH = "hours_over_month", "limit"
    RESPITE_UNREADABLE = "respite_unreadable"
    RESPITE_NEEDED = "respite_needed"
    RESPITE_NOT_POSITIVE = "respite_not_positive"
    RESPITE_NOT_POSITIVE_OPTIONAL = "respite_not_positive_optional"
    RESPITE_PLACES = "respite_places"
    RESPITE_OVER_YEAR = "respite_over_year", "limit"
    URGENT_BOX = "urgent_box"
    URGENT_REASON_NEEDED = "urgent_reason_needed"
    STRENGTHS_NEEDED = "strengths_needed"
    OUTCOMES_NEEDED = "outcomes_needed"
    ALTERNATIVES_NEEDED = "alternatives_needed"
    FORM_TEXT_TOO_LONG = "form_text_too_long", "limit", "length"
    EVIDENCE_UNLISTED = "evidence_unlisted"
    RECORD_LINK_UNREADABLE = "record_link_unreadable"
    RECORD_LINK_HTTP = "record_link_http"
    TEAM_MANAGER_NEEDED = "team_manager_needed"
    TEAM_MANAGER_NOT_A_PERSON = "team_manager_not_a_person"
    OWN_SIGN_OFF = "own_sign_off"
    ATTENDEE_NOT_A_PERSON = "attendee_not_a_person"
    ATTENDEE_SELF = "attendee_self"
    LISTED_NEEDED = "listed_needed", "choice"
    LISTED_UNKNOWN = "listed_unknown", "choice"
    TOP_UP_BOX = "top_up_box"

    # --- Booking a forum slot, and the agenda ---
    NO_SLOTS_FOR_CASE = "no_slots_for_case", "reference"
    BOOKING_NOT_YOURS = "booking_not_yours", "reference", "body"
    BOOKING_WRONG_STAGE = "booking_wrong_stage", "reference", "stage"
    NOT_A_SITTING = "not_a_sitting", "body"
    SLOT_IN_PAST = "slot_in_past"
    SLOT_TOO_SOON = "slot_too_soon", "hours"
    SLOT_TAKEN = "slot_taken", "starts_at"
    NOT_A_SLOT = "not_a_slot"
    PICK_A_SLOT = "pick_a_slot"
    NO_MEETINGS = "no_meetings"

    # --- Deciding (the decision form and who may decide) ---
    ALREADY_DECIDED = "already_decided", "reference"
    WRONG_OUTCOME = "wrong_outcome", "reference", "kind"
    OWN_SUBMISSION = "own_submission"
    OWN_ATTENDANCE = "own_attendance"
    OWN_DECISION = "own_decision", "kind"
    NO_SLOT_YET = "no_slot_yet", "reference", "body"
    NOT_SITTING_CHAIR = "not_sitting_chair", "body", "day", "role"
    NOT_PANEL_CHAIR = "not_panel_chair", "body"
    NOT_A_CHAIR = "not_a_chair", "body"
    OVER_EVERY_LIMIT = "over_every_limit", "reference", "body"
    NOT_COVERING_TIER = "not_covering_tier", "roles", "weekly", "body"
    PANEL_NOT_SAT = "panel_not_sat", "body"
    NOT_QUORATE = "not_quorate", "body", "day", "missing"
    BEYOND_BODY = "beyond_body", "weekly", "body", "other", "reason"
    OVER_YOUR_LIMIT = "over_your_limit", "weekly", "roles"
    DECISION_TEXT_TOO_LONG = "decision_text_too_long", "limit"
    REASON_NEEDED = "reason_needed"
    AMENDED_WEEKLY_UNREADABLE = "amended_weekly_unreadable"
    CONDITIONS_NEEDED = "conditions_needed"
    INFO_NEEDED_NEEDED = "info_needed_needed"
    CONCERN_ACTIONS_NEEDED = "concern_actions_needed"

    # --- A panel's attendance ---
    NOT_A_PANEL = "not_a_panel"
    NOT_SITTING_ON = "not_sitting_on", "body", "day"
    ATTENDANCE_NOT_YOURS = "attendance_not_yours", "body"
    TOO_MANY_PRESENT = "too_many_present", "limit"

    # --- Spot checks ---
    SPOT_CHECKERS_ONLY = "spot_checkers_only"
    SPOT_CHECK_GONE = "spot_check_gone"
    OWN_SPOT_CHECK = "own_spot_check", "reference"
    RECOMMENDATION_NEEDED = "recommendation_needed"
    SPOT_CHECK_DONE = "spot_check_done", "reference", "state", "day"
    SPOT_CHECK_DONE_BY = "spot_check_done_by", "reference", "state", "person", "day"
    SPOT_CHECK_NOT_REFERABLE = "spot_check_not_referable", "reference", "stage"
    SPOT_CHECK_RACE = "spot_check_race", "reference"
    REFER_FAILED = "refer_failed"
    CASE_CHANGED = "case_changed", "reference"

    # --- Cover while away ---
    AWAY_DAYS_NEEDED = "away_days_needed"
    COVER_STARTS_PAST = "cover_starts_past"
    COVER_ENDS_BEFORE = "cover_ends_before"
    COVER_TOO_LONG = "cover_too_long"
    COVER_SELF = "cover_self"
    COVER_NO_SHARED_ROLE = "cover_no_shared_role"
    COVER_CLASH = "cover_clash", "first_day", "last_day"

    # --- Reminders and reports ---
    REMINDER_NOT_YOURS = "reminder_not_yours"
    REMINDER_CLOSED = "reminder_closed"
    REMINDER_SNOOZED = "reminder_snoozed", "until"
    REPORTS_NOT_YOURS = "reports_not_yours"
    PERIOD_UNREADABLE = "period_unreadable"
    PERIOD_BACKWARDS = "period_backwards"
    PERIOD_TOO_LONG = "period_too_long"

    # --- Monitoring visits ---
    VISIT_OFFICERS_ONLY = "visit_officers_only"
    PROVISION_NAME_NEEDED = "provision_name_needed", "limit"
    PROVISION_NAME_PERSONAL = "provision_name_personal", "found"
    PROVISION_TYPE_NEEDED = "provision_type_needed"
    OFSTED_RATING_UNKNOWN = "ofsted_rating_unknown"
    RATED_ON_NEEDED = "rated_on_needed"
    RATED_ON_OUT_OF_RANGE = "rated_on_out_of_range"
    PROVISION_GONE = "provision_gone"
    PROVISION_EXISTS = "provision_exists", "name"
    CHILD_REFERENCE_PERSONAL = "child_reference_personal", "found", "example"
    CHILD_REFERENCE_SHAPE = "child_reference_shape", "example"
    PLACEMENT_START_NEEDED = "placement_start_needed"
    PLACEMENT_START_OUT_OF_RANGE = "placement_start_out_of_range"
    PROVISION_UNKNOWN = "provision_unknown"
    NO_SUCH_PROVISION = "no_such_provision", "name"
    ACTION_PLAN_SQAO_ONLY = "action_plan_sqao_only"
    VISIT_NOT_OPEN = "visit_not_open"
    VISIT_GONE = "visit_gone"
    VISIT_DATE_NEEDED = "visit_date_needed"
    VISITOR_NEEDED = "visitor_needed"
    VISIT_DATE_PAST = "visit_date_past"
    VISIT_BEFORE_PLACEMENT = "visit_before_placement"
    DAY_TO_COME = "day_to_come"
    DAY_TOO_LONG_AGO = "day_too_long_ago", "days"
    DAY_BEFORE = "day_before", "day"
    VISIT_RECORDER_ONLY = "visit_recorder_only"
    VISIT_NOT_PLANNED = "visit_not_planned"
    STEP_NOT_OPEN = "step_not_open"
    STEP_NOT_YOURS = "step_not_yours"


class Problem:
    """One refusal: its code and the facts its sentence needs, checked against `code.facts`.

    Raises TypeError when the facts are not exactly the ones the code declares: a raise site that
    passes too few (or other) facts is a bug, found by the first test that reaches it.
    """

    __slots__ = ("code", "facts")

    def __init__(self, code: Refusal, /, **facts: Any) -> None:
        if set(facts) != set(code.facts):
            raise TypeError(f"refusal {code.value} takes the facts {list(code.facts)}, not {sorted(facts)}")
        self.code = code
        self.facts: Mapping[str, Any] = facts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and (self.code, dict(self.facts)) == (other.code, dict(other.facts))

    __hash__ = None  # type: ignore[assignment]  # the facts are a dict

    def __str__(self) -> str:
        return self.code.value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value})"
