"""Every Action.Execute verb, data key, input id and typed command the Teams cards use, named once.

A button press reaches the bot as an `adaptiveCard/action` invoke carrying the button's `verb` and
its `data` merged with the card's inputs, each keyed by the input's `id`. So no input id is also a
data key (the input would overwrite it), and every verb below is answered by a Teams handler.

The form inputs' ids are the keys the surface-neutral readers take: the case form's are
`bot.domain.submission.FORM_KEYS` values, the decision form's are `read_decision`'s keys, so a
handler passes the answers on without renaming them (`tests/teams/test_cards.py` checks this).
"""

from __future__ import annotations

from enum import StrEnum

from bot.domain.submission import FormKey


class Verb(StrEnum):
    """Action.Execute verbs. Each names what the press asks for; the data it carries is noted."""

    # Cases
    NEW_CASE = "case.new"  # answers with the case form
    OPEN_CASE = "case.open"  # case: the details card (people with a role on the case), else the summary
    SUBMIT_CASE = "case.submit"  # the case form's submit button; the inputs are SubmitInput
    DECIDE = "case.decide"  # case, round, outcome: answers with the decision form
    RECORD_DECISION = "decision.record"  # case, round, outcome: the decision form's submit; inputs DecisionInput
    WITHDRAW = "case.withdraw"  # case: the withdrawal form's submit; input WithdrawInput.REASON
    CLOSE_FORM = "form.close"  # case (when the form is about one): put back the card the form replaced
    # Booking at a meeting (the forum)
    BOOK_SLOT = "booking.open"  # case: answers with the booking form
    REBOOK = "booking.rebook"  # case: the booking form again, to move the slot
    BOOK = "booking.book"  # case: the booking form's submit; input BookInput.SLOT
    CANCEL_BOOKING = "booking.cancel"  # case: asks "cancel the slot?" first
    CANCEL_BOOKING_CONFIRMED = "booking.cancel.confirmed"  # case: cancels it
    KEEP_BOOKING = "booking.keep"  # case: the answer "keep it" to the question; the confirmation again
    # Reminders and reviews
    REMINDER_DONE = "reminder.done"  # reminder
    SNOOZE_DAY = "reminder.snooze.day"  # reminder
    SNOOZE_WEEK = "reminder.snooze.week"  # reminder
    RECORD_REVIEW = "review.record"  # case: the review form's submit; inputs ReviewInput
    # Monitoring visits
    STEP_DONE = "visit.step.done"  # visit, step
    PLAN_VISIT = "visit.plan"  # visit: answers with the plan-visit form
    SAVE_VISIT_PLAN = "visit.plan.save"  # visit: the plan-visit form's submit; inputs PlanVisitInput
    VISIT_DONE = "visit.done"  # visit: the visit took place today
    ACTION_PLAN_REQUESTED = "provision.action_plan.requested"  # provision
    ACTION_PLAN_RECEIVED = "provision.action_plan.received"  # provision
    SAVE_PROVISION = "provision.save"  # provision (when editing): the provision form's submit
    SAVE_PLACEMENT = "placement.save"  # the placement form's submit; inputs PlacementInput
    # Panels, cover and spot checks
    RECORD_ATTENDANCE = "attendance.open"  # body, day: answers with the attendance form
    SAVE_ATTENDANCE = "attendance.save"  # body, day: the attendance form's submit; input AttendanceInput
    SET_COVER = "cover.set"  # the cover form's submit; inputs AwayInput
    SPOT_CHECK_OPEN = "spot_check.open"  # spot_check: answers with the spot-check form
    RECORD_SPOT_CHECK = "spot_check.record"  # spot_check: the spot-check form's submit; inputs SpotCheckInput


class Key(StrEnum):
    """Keys of a button's `data`."""

    CASE = "case"  # a case id (int)
    ROUND = "round"  # the case's round (int): a press on an older round's card is stale
    OUTCOME = "outcome"  # a bot.domain.decisions.Outcome value
    REMINDER = "reminder"  # a reminder id (int)
    VISIT = "visit"  # a visit id (int)
    STEP = "step"  # a bot.domain.visits.Step value
    PROVISION_ID = "provision_id"  # a provision id (int)
    BODY = "body"  # a deciding body's key in the policy
    DAY = "day"  # an ISO date
    SPOT_CHECK = "spot_check"  # a spot check id (int)


# The case form's inputs (each is an Input's id): the one list, bot.domain.submission.FormKey.
SubmitInput = FormKey


class DecisionInput(StrEnum):
    """The decision form's inputs: the keys `bot.domain.decisions.read_decision` reads."""

    REASON = "reason"
    AMENDED_WEEKLY = "amended_weekly"
    CONDITIONS = "conditions"
    INFO_NEEDED = "info_needed"
    PRACTICE_CONCERN = "practice_concern"
    CONCERN_ACTIONS = "concern_actions"


class BookInput(StrEnum):
    SLOT = "slot"  # the chosen slot's start, ISO 8601 UTC


class WithdrawInput(StrEnum):
    REASON = "withdraw_reason"


class ReviewInput(StrEnum):
    QUALITY_OF_LIFE = "quality_of_life"  # a bot.domain.reminders.QualityOfLife value
    PACKAGE = "package"  # a bot.domain.reminders.PackageAfterReview value
    NEW_WEEKLY = "new_weekly"
    NOTES = "notes"  # kept with the case record, never shown in a channel


class AwayInput(StrEnum):
    FIRST_DAY = "first_day"
    LAST_DAY = "last_day"
    COLLEAGUE = "colleague"


class AttendanceInput(StrEnum):
    PRESENT = "present"  # the ids of the people present, joined by commas


class ProvisionInput(StrEnum):
    NAME = "name"
    TYPE = "provision_type"
    RATING = "rating"
    RATED_ON = "rated_on"
    CONTACT = "contact"


class PlacementInput(StrEnum):
    PROVISION = "provision"  # the provision's id
    CHILD_REFERENCE = "child_reference"
    STARTS_ON = "starts_on"
    SOCIAL_WORKER = "social_worker"
    IRO = "iro"
    SEN_OFFICER = "sen_officer"


class PlanVisitInput(StrEnum):
    DATE = "date"
    VISITOR = "visitor"


class SpotCheckInput(StrEnum):
    FINDING = "finding"  # a bot.domain.spot_checks.Finding value
    ACTIONS = "actions"  # the practice concern's recommended actions: to the team manager only


class Command(StrEnum):
    """What people type to panelbot in Teams: in its personal chat, or after @panelbot in a channel."""

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


INPUT_IDS: frozenset[str] = frozenset(
    value
    for group in (SubmitInput, DecisionInput, BookInput, WithdrawInput, ReviewInput, AwayInput, AttendanceInput,
                  ProvisionInput, PlacementInput, PlanVisitInput, SpotCheckInput)
    for value in group
)
