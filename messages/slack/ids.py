"""Every Slack callback, block and action id panelbot uses, named once.

Handlers and builders import these; a rename happens here and nowhere else.
"""

from enum import StrEnum

from bot.domain.submission import FormKey


class Command(StrEnum):
    PANEL = "/panel"


class Subcommand(StrEnum):
    HELP = "help"
    SUBMIT = "submit"
    MINE = "mine"
    CASE = "case"
    BOOK = "book"
    AGENDA = "agenda"
    REVIEW = "review"
    PROVISION = "provision"
    PLACEMENT = "placement"
    CONCERN = "concern"
    VISITS = "visits"
    WITHDRAW = "withdraw"
    AWAY = "away"
    SPOT_CHECKS = "spotchecks"
    REPORT = "report"


class Callback(StrEnum):
    """Modal `callback_id`s and shortcut `callback_id`s."""

    SUBMIT_SHORTCUT = "submit_case_shortcut"
    SUBMIT_FORM = "submit_case_form"
    SUBMITTED = "submit_case_done"
    CASE_DETAILS = "case_details"
    BOOK_FORM = "book_slot_form"  # private_metadata: the case id
    BOOKED = "book_slot_done"
    DECISION_FORM = "decision_form"  # private_metadata: "<case id>:<round>:<outcome>"
    REVIEW_FORM = "review_form"  # private_metadata: the case id
    WITHDRAW_FORM = "withdraw_form"  # private_metadata: the case id
    AWAY_FORM = "away_form"
    PROVISION_FORM = "provision_form"  # private_metadata: the provision id when editing, else ""
    PLACEMENT_FORM = "placement_form"
    PLAN_VISIT_FORM = "plan_visit_form"  # private_metadata: the visit id
    ATTENDANCE_FORM = "attendance_form"  # private_metadata: "<body>:<sitting date>"
    SPOT_CHECK_FORM = "spot_check_form"  # private_metadata: the spot check id
    REPORT_VIEW = "report_view"  # the report's headline figures; nothing to submit


# The case form's inputs, one list for both surfaces (bot.domain.submission.FormKey): each is the
# `block_id` of its input block, and every input's `action_id` is `VALUE`.
SubmitField = FormKey


VALUE = "value"  # the action_id of every form input


class Action(StrEnum):
    """Button `action_id`s."""

    OPEN_CASE = "open_case"
    BOOK_SLOT = "book_slot"  # value: the case id; opens the booking form
    REBOOK = "rebook_slot"  # value: the case id; opens the booking form again
    CANCEL_BOOKING = "cancel_booking"  # value: the case id
    ADD_TO_CALENDAR = "add_to_calendar"  # a link button; Slack still sends the click
    REMINDER_DONE = "reminder_done"  # value: the reminder id
    SNOOZE_DAY = "reminder_snooze_day"  # value: the reminder id
    SNOOZE_WEEK = "reminder_snooze_week"  # value: the reminder id
    STEP_DONE = "visit_step_done"  # value: "<visit id>:<step>"
    PLAN_VISIT = "plan_visit"  # value: the visit id; opens the plan-visit form
    VISIT_DONE = "visit_done"  # value: the visit id; the visit took place today
    ACTION_PLAN_REQUESTED = "action_plan_requested"  # value: the provision id
    ACTION_PLAN_RECEIVED = "action_plan_received"  # value: the provision id
    RECORD_ATTENDANCE = "record_attendance"  # value: "<body>:<sitting date>"; opens the attendance form
    SPOT_CHECK_OPEN = "spot_check_open"  # value: the spot check id; opens the case and the finding form


# Decision buttons: one action id per outcome, "decide_<outcome>" (bot.domain.decisions.Outcome);
# the button's value is "<case id>:<round>". Handlers match the prefix.
DECIDE_PREFIX = "decide_"
DECIDE_BLOCK = "decide"  # the block_id of the decision buttons' actions block
REMINDER_BLOCK_PREFIX = "reminder_"  # a reminder DM's actions block for one item: "reminder_<id>"


def decide_action(outcome: str) -> str:
    return DECIDE_PREFIX + outcome


class AwayField(StrEnum):
    """The cover modal's inputs (block ids; every action id is VALUE)."""

    FIRST_DAY = "first_day"
    LAST_DAY = "last_day"
    COLLEAGUE = "colleague"


class WithdrawField(StrEnum):
    """The withdrawal modal's one input (block id; its action id is VALUE)."""

    REASON = "reason"


class AttendanceField(StrEnum):
    """The attendance modal's one input (block id; its action id is VALUE)."""

    PRESENT = "present"


class DecisionField(StrEnum):
    """The decision modal's inputs (block ids; every action id is VALUE)."""

    REASON = "reason"
    AMENDED_WEEKLY = "amended_weekly"
    CONDITIONS = "conditions"
    INFO_NEEDED = "info_needed"
    PRACTICE_CONCERN = "practice_concern"
    CONCERN_ACTIONS = "concern_actions"


class SpotCheckField(StrEnum):
    """The spot-check modal's inputs (block ids; action ids are VALUE)."""

    FINDING = "finding"  # radio: agreed / concern / referred
    ACTIONS = "actions"  # the recommended actions of a practice concern (free text, to the team manager only)


class ReviewField(StrEnum):
    """The review modal's inputs (block ids; action ids are VALUE)."""

    QUALITY_OF_LIFE = "quality_of_life"  # radio: improved / same / worse
    PACKAGE = "package"  # radio: continues / changes / ends
    NOTES = "notes"  # optional free text, kept with the case (never in a channel)
    NEW_WEEKLY = "new_weekly"  # the changed package's weekly cost, when the package changes


class ProvisionField(StrEnum):
    NAME = "name"
    TYPE = "provision_type"
    RATING = "rating"
    RATED_ON = "rated_on"
    CONTACT = "contact"


class PlacementField(StrEnum):
    PROVISION = "provision"  # static_select of provisions; value: the provision id
    CHILD_REFERENCE = "child_reference"
    STARTS_ON = "starts_on"  # datepicker
    SOCIAL_WORKER = "social_worker"
    IRO = "iro"
    SEN_OFFICER = "sen_officer"


class PlanVisitField(StrEnum):
    DATE = "date"  # datepicker
    VISITOR = "visitor"  # users_select


class BookField(StrEnum):
    """The booking form's input: `state.values[SLOT][VALUE]` is the chosen slot's start, ISO 8601 UTC."""

    SLOT = "slot"
