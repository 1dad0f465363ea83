"""The words for every refusal (bot.refusals): one sentence per code, the same on every surface.

`words(refusal)` puts the refusal's facts into its sentence. People and commands stay the core's
markup tokens (bot.markup: `{{@<address>}}`, `{{/<words>}}`), so each surface shows them its own way:
Slack through messages/slack/format.py `said`, Teams through handlers/teams/bot.py `said`.

A sentence names its facts as `{name}` or `{name:how}`. `how` is one of `WORDINGS` (a date as
"Tuesday 24 November 2026", a role as words, an amount as "£412.00/wk" …), or else a format spec
for `format()` (`{limit:,}`: 3,000). Nothing else in a sentence uses braces but the markup tokens,
which the placeholders never match: `{{/case {reference}}}` becomes `{{/case 1234567}}`.

The log gets the code, never the words: the facts may hold what a person typed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from bot import markup
from bot.domain.cases import STAGE_LABELS, Stage
from bot.domain.privacy import PersonalData
from bot.domain.submission import FormKey
from bot.domain.words import month_name
from bot.errors import UserError
from bot.refusals import Problem, Refusal
from messages.words import clock_time, long_date, money, short_date, weekly

__all__ = ["SENTENCES", "WORDINGS", "placeholders", "words", "words_each"]

logger = logging.getLogger("panelbot.refusals")

R = Refusal
_LIKE_MONEY = "like 412.50"

SENTENCES: dict[Refusal, str] = {
    # Anything
    R.BUTTON_LOST_CASE: "That button no longer points at a case.",
    R.BUTTON_LOST_REMINDER: "That button no longer points at a reminder.",
    R.BUTTON_LOST_SPOT_CHECK: "That button no longer points at a spot check.",
    R.FORM_LOST_SPOT_CHECK: "That form no longer points at a spot check.",
    R.UNSTORABLE_TEXT: "This has characters panelbot cannot store (such as NUL or other control characters): "
                       "remove them.",
    R.UNSTORABLE_COMMAND: "That command has characters panelbot cannot store (such as NUL or other control "
                          "characters): remove them.",
    R.TEXT_OVER_LIMIT: "Keep this under {limit:,} characters (it has {length:,}).",
    # A day typed in words
    R.NO_SUCH_MONTH: "There is no month {month}: months go from 1 to 12.",
    R.NO_SUCH_YEAR: "{year} is not a year panelbot can read.",
    R.NO_SUCH_DAY: "There is no {day} {month:month} {year}: {month:month} {year} has {last} days.",
    # Cases
    R.CASE_GONE: "That case is no longer in panelbot.",
    R.NO_OPEN_CASE: "There is no open case with that reference in panelbot.",
    R.NO_CASE: "There is no case with that reference in panelbot.",
    R.CASE_IN_FLIGHT: "Case {reference} is already in flight: {stage:stage} ({body}). "
                      "Use {{/case {reference}}} to see it.",
    R.TEAM_MANAGER_NOT_IN_ROLE: "Choose your team manager: the person chosen is not one of the {role:words}.",
    R.ATTENDEE_NEEDED: "This goes to the {body}: choose who attends with you ({attendance:list}).",
    R.ATTENDEE_NEEDED_ANYONE: "This goes to the {body}: choose who attends with you (who attends with you).",
    R.WITHDRAW_NOT_YOURS: "Only the worker who submitted case {reference}, or their team manager, can withdraw it.",
    R.WITHDRAW_TOO_LATE: "Case {reference} is {stage:stage}: it can no longer be withdrawn.",
    R.WITHDRAW_RACE: "Case {reference} is {stage:stage}: someone got there first, so nothing changed.",
    R.REVIEW_NOT_YOURS: "Only the worker, their team manager or the AP/SM on case {reference} can review it.",
    R.NOTHING_TO_REVIEW: "Case {reference} has no agreed package to review (it is {stage:words}).",
    R.REVIEW_RECORDED_TODAY: "Case {reference}'s review was already recorded today, by {person:person} at "
                             "{at:time}: nothing was recorded again.",
    # The case form: short, no full stop (Slack shows them under the field), never what was typed
    R.SUBMITTER_NOT_A_PERSON: "the submitter must be a person's Slack or Teams ID",
    R.ANSWER_UNREADABLE: "This answer could not be read: enter it again",
    R.REFERENCE_NEEDED: "Enter the case-system ID, like {example}",
    R.REFERENCE_PERSONAL: "That looks like it holds {found:personal_data}. Use the case-system ID, like {example}, "
                          "not an NHS number or other personal details",
    R.REFERENCE_SHAPE: "Use the case-system ID, like {example}",
    R.SERVICE_NEEDED: "Choose the service: adults or children's SEND",
    R.REQUEST_TYPE_NEEDED: "Choose the type of request from the list",
    R.MONEY_UNREADABLE: f"Enter {{amount:amount}} in pounds, {_LIKE_MONEY}",
    R.MONEY_NEGATIVE: f"{{amount:Amount}} can't be negative: enter it in pounds, {_LIKE_MONEY}",
    R.PENCE_PLACES: f"Use at most 2 decimal places (pence), {_LIKE_MONEY}",
    R.MONEY_OVER_MAX: "The form takes at most {limit:money} a week: check the amount",
    R.CURRENT_NEEDED_INCREASE: f"An increase needs the current weekly cost, {_LIKE_MONEY}",
    R.CURRENT_NEEDED_DECREASE: f"A decrease needs the current weekly cost, {_LIKE_MONEY}",
    R.CURRENT_ZERO: "Enter the current weekly cost above £0; if there is no package yet, choose New package",
    R.PROPOSED_NEEDED: f"Enter the proposed weekly cost in pounds, {_LIKE_MONEY}",
    R.PROPOSED_ZERO: "Enter a weekly cost above £0; to end a package, choose Decrease and enter 0",
    R.INCREASE_NOT_MORE: "An increase must cost more than the current weekly cost: check both, or choose Decrease",
    R.DECREASE_NOT_LESS: "A decrease must cost less than the current weekly cost: check both, or choose Increase",
    R.HOURS_UNREADABLE: "Enter the hours of support a month as a number, like 40 or 37.5",
    R.HOURS_NEEDED: "Enter the hours of support a month: the panel uses them to decide if you attend",
    R.HOURS_NEGATIVE: "Hours can't be negative: enter 0 or more",
    R.HOURS_PLACES: "Use at most 2 decimal places, like 37.5",
    R.HOURS_OVER_MONTH: "A month has at most {limit} hours: enter {limit} or fewer",
    R.RESPITE_UNREADABLE: "Enter the weeks of respite a year as a number, like 4 or 4.5",
    R.RESPITE_NEEDED: "A respite request needs the weeks of respite a year, like 4 or 4.5",
    R.RESPITE_NOT_POSITIVE: "Enter more than 0 weeks of respite a year, like 4 or 4.5",
    R.RESPITE_NOT_POSITIVE_OPTIONAL: "Enter more than 0 weeks of respite a year, like 4 or 4.5, or leave it empty",
    R.RESPITE_PLACES: "Use at most 2 decimal places, like 4.5",
    R.RESPITE_OVER_YEAR: "A year has {limit} weeks: enter {limit} or fewer",
    R.URGENT_BOX: "Tick the urgent box or leave it clear, then submit again",
    R.URGENT_REASON_NEEDED: "Say why this case can't wait for the next panel",
    R.STRENGTHS_NEEDED: "Describe the person's strengths and eligible needs",
    R.OUTCOMES_NEEDED: "Describe the outcomes this support should achieve",
    R.ALTERNATIVES_NEEDED: "Say what other support you explored, such as community agents or OT",
    R.FORM_TEXT_TOO_LONG: "Shorten this to {limit:,} characters or fewer; it has {length:,}",
    R.EVIDENCE_UNLISTED: "Tick only the evidence listed; if the list has changed, close the form and open it again",
    R.RECORD_LINK_UNREADABLE: "Paste the full link to the case record, starting https://",
    R.RECORD_LINK_HTTP: "Case records are internal systems: paste the secure https:// link, not http://",
    R.TEAM_MANAGER_NEEDED: "Choose the team manager who signs off your case",
    R.TEAM_MANAGER_NOT_A_PERSON: "Choose the team manager from the list of people",
    R.OWN_SIGN_OFF: "You can't sign off your own case: choose your team manager",
    R.ATTENDEE_NOT_A_PERSON: "Choose the person attending from the list of people",
    R.ATTENDEE_SELF: "Choose someone other than yourself to attend",
    R.LISTED_NEEDED: "Choose the person's {choice:words}: the council's rules depend on it",
    R.LISTED_UNKNOWN: "Choose the {choice:words} from the list",
    R.TOP_UP_BOX: "Tick the top-up box or leave it clear, then submit again",
    # Booking
    R.NO_SLOTS_FOR_CASE: "Case {reference} does not go to a meeting with slots, so it has no slot to book.",
    R.BOOKING_NOT_YOURS: "Only the worker who submitted case {reference}, or the person attending with them, can "
                         "book its slot at the {body}.",
    R.BOOKING_WRONG_STAGE: "Case {reference} is {stage:words}: it has no slot to book.",
    R.NOT_A_SITTING: "The {body} does not sit then (a weekend, a bank holiday, a closure day, or not a slot time). "
                     "Pick one of the slots offered.",
    R.SLOT_IN_PAST: "That slot is in the past. Pick one of the slots offered.",
    R.SLOT_TOO_SOON: "Slots must be booked at least {hours} hours ahead. Pick a later one.",
    R.SLOT_TAKEN: "The {starts_at:time} slot on {starts_at:date} was booked first by someone else.",
    R.NOT_A_SLOT: "That is not one of the slots panelbot offered: pick one from the list.",
    R.PICK_A_SLOT: "Pick a slot.",
    R.NO_MEETINGS: "This council's policy has no meeting with bookable slots.",
    # Deciding
    R.ALREADY_DECIDED: "Case {reference} was already decided.",
    R.WRONG_OUTCOME: "Case {reference} is waiting for {kind}, not that.",
    R.OWN_SUBMISSION: "You submitted this case, so someone else must decide it.",
    R.OWN_ATTENDANCE: "You attend for this case, so someone else must decide it.",
    R.OWN_DECISION: "You made the decision that needs {kind}, so another decider must give it.",
    R.NO_SLOT_YET: "Case {reference} has no slot at the {body} yet: the chair of its sitting decides it.",
    R.NOT_SITTING_CHAIR: "Only the chair of the {body} on {day:day} ({role:words}) can decide this.",
    R.NOT_PANEL_CHAIR: "Only the {body}'s chair, or the deputy in their absence, can decide this.",
    R.NOT_A_CHAIR: "Only a chair of the {body} can decide this.",
    R.OVER_EVERY_LIMIT: "Case {reference} is over every limit of {body}: it must go to another body.",
    R.NOT_COVERING_TIER: "Only {roles:roles} can decide this case at {weekly:weekly} ({body}).",
    R.PANEL_NOT_SAT: "The {body} has not sat yet, so it cannot decide.",
    R.NOT_QUORATE: "The {body} of {day:day} is not quorate: it needs {missing:quorum} recorded as present. "
                   "The chair or a panel admin records who is present from the agenda.",
    R.BEYOND_BODY: "{weekly:weekly} is beyond what {body} can agree: at that amount the case goes to the {other} "
                   "({reason}). Defer or decline, and resubmit it.",
    R.OVER_YOUR_LIMIT: "{weekly:weekly} is over your limit: only {roles:roles} can agree it. Ask them to decide, "
                       "or defer.",
    R.DECISION_TEXT_TOO_LONG: "Keep this under {limit:,} characters.",
    R.REASON_NEEDED: "A reason is required for every decision.",
    R.AMENDED_WEEKLY_UNREADABLE: "Enter the agreed weekly amount in pounds, like 380.00.",
    R.CONDITIONS_NEEDED: "Say what changes or conditions come with the approval.",
    R.INFO_NEEDED_NEEDED: "Say what information is needed before the case comes back.",
    R.CONCERN_ACTIONS_NEEDED: "Recommend the actions the line manager should take.",
    # Attendance
    R.NOT_A_PANEL: "Attendance is recorded for a panel's sitting; that is not one.",
    R.NOT_SITTING_ON: "The {body} does not sit on {day:date}.",
    R.ATTENDANCE_NOT_YOURS: "Only the {body}'s chair, its deputy or a panel admin records who is present.",
    R.TOO_MANY_PRESENT: "Record at most {limit} people present.",
    # Spot checks
    R.SPOT_CHECKERS_ONLY: "Only the spot checkers can see spot checks.",
    R.SPOT_CHECK_GONE: "That spot check is no longer in panelbot.",
    R.OWN_SPOT_CHECK: "You made or took part in the decision on case {reference}, so another checker must check it.",
    R.RECOMMENDATION_NEEDED: "Say what you recommend the team manager does.",
    R.SPOT_CHECK_DONE: "The spot check of case {reference} was already recorded ({state}) on {day:date}.",
    R.SPOT_CHECK_DONE_BY: "The spot check of case {reference} was already recorded ({state}) by {person:person} "
                          "on {day:date}.",
    R.SPOT_CHECK_NOT_REFERABLE: "Case {reference} is {stage:words}, so it cannot be referred: record a practice "
                                "concern instead.",
    R.SPOT_CHECK_RACE: "The spot check of case {reference} was already recorded.",
    R.REFER_FAILED: "That case could not be referred now: try again.",
    R.CASE_CHANGED: "Case {reference} changed while you were checking it: open it again.",
    # Cover
    R.AWAY_DAYS_NEEDED: "Choose the first and last days you are away.",
    R.COVER_STARTS_PAST: "Cover starts today or later.",
    R.COVER_ENDS_BEFORE: "The last day comes on or after the first.",
    R.COVER_TOO_LONG: "Set cover for at most six months at a time.",
    R.COVER_SELF: "Choose a colleague other than yourself.",
    R.COVER_NO_SHARED_ROLE: "Choose a colleague who holds one of your roles (or decides at the same forum or "
                            "panel): cover lends your place, not new powers.",
    R.COVER_CLASH: "You already have cover from {first_day:date} to {last_day:date}: end it first "
                   "({{/away off}}).",
    # Reminders and reports
    R.REMINDER_NOT_YOURS: "That reminder is not yours.",
    R.REMINDER_CLOSED: "That reminder is already closed.",
    R.REMINDER_SNOOZED: "That reminder is already snoozed: it comes back on {until:date} at {until:time}.",
    R.REPORTS_NOT_YOURS: "Only the people the council's policy names for reports can see them.",
    R.PERIOD_UNREADABLE: "Give the period as a month (`2026-11`), a year (`2026`), two dates "
                         "(`2026-09-01..2026-11-30`), or nothing for the 12 months to today.",
    R.PERIOD_BACKWARDS: "The period ends before it starts (or starts after today).",
    R.PERIOD_TOO_LONG: "Ask for three years at most.",
    # Monitoring visits
    R.VISIT_OFFICERS_ONLY: "Only placement commissioning officers and senior QA officers can do this.",
    R.PROVISION_NAME_NEEDED: "Give the provision's name (at most {limit} characters).",
    R.PROVISION_NAME_PERSONAL: "That looks like it holds {found:personal_data}. Give only the organisation's "
                               "name; its contact goes under Provider contact.",
    R.PROVISION_TYPE_NEEDED: "Choose the type of provision.",
    R.OFSTED_RATING_UNKNOWN: "Ofsted's judgements are Outstanding, Good, Requires improvement or Inadequate.",
    R.RATED_ON_NEEDED: "Give the date of the Ofsted judgement.",
    R.RATED_ON_OUT_OF_RANGE: "The judgement date must be in the last ten years, not in the future.",
    R.PROVISION_GONE: "That provision is no longer in panelbot.",
    R.PROVISION_EXISTS: "There is already a provision called {name}.",
    R.CHILD_REFERENCE_PERSONAL: "That looks like it holds {found:personal_data}. Use the child's case reference, "
                                "like {example}.",
    R.CHILD_REFERENCE_SHAPE: "Use the child's case reference, like {example} (never their name).",
    R.PLACEMENT_START_NEEDED: "Give the date the placement starts.",
    R.PLACEMENT_START_OUT_OF_RANGE: "The placement must start within a year of today, before or after.",
    R.PROVISION_UNKNOWN: "Choose a provision panelbot knows (add it first with {{/provision}}).",
    R.NO_SUCH_PROVISION: "panelbot knows no provision called {name:quoted}.",
    R.ACTION_PLAN_SQAO_ONLY: "Only a senior QA officer records the Ofsted action plan.",
    R.VISIT_NOT_OPEN: "That visit is no longer open.",
    R.VISIT_GONE: "That visit is no longer in panelbot.",
    R.VISIT_DATE_NEEDED: "Give the date of the visit.",
    R.VISITOR_NEEDED: "Choose who visits.",
    R.VISIT_DATE_PAST: "The visit date is in the past.",
    R.VISIT_BEFORE_PLACEMENT: "The visit date is before the placement starts.",
    R.DAY_TO_COME: "That day is still to come: record it once it is done.",
    R.DAY_TOO_LONG_AGO: "That is more than {days} days ago: ask a senior QA officer to correct the record.",
    R.DAY_BEFORE: "It cannot be before {day:date}.",
    R.VISIT_RECORDER_ONLY: "Only the visitor or a senior QA officer can record the visit.",
    R.VISIT_NOT_PLANNED: "Plan the visit first (its date and who visits).",
    R.STEP_NOT_OPEN: "That step is not open.",
    R.STEP_NOT_YOURS: "That step belongs to someone else.",
}

# How an amount on the case form is named in a sentence ("Enter the proposed weekly cost in pounds").
AMOUNTS = {
    FormKey.CURRENT_WEEKLY: "the current weekly cost",
    FormKey.PROPOSED_WEEKLY: "the proposed weekly cost",
    FormKey.RAS_WEEKLY: "the RAS indicative budget",
}

PERSONAL_DATA = {
    PersonalData.NHS_NUMBER: "an NHS number",
    PersonalData.EMAIL: "an e-mail address",
    PersonalData.PHONE: "a phone number",
    PersonalData.DATE: "a date",
    PersonalData.POSTCODE: "a postcode",
}


def _words(value: Any) -> str:
    """A key written for code as words: "awaiting_booking" → "awaiting booking"."""
    return str(value).replace("_", " ")


def _or(roles: Iterable[str]) -> str:
    return " or ".join(_words(role) for role in roles)


def _quorum(missing: Iterable[tuple[int, str]]) -> str:
    """((1, "parent_representative"), …) → "1 more of the parent representative and …"."""
    return " and ".join(f"{count} more of the {_words(role)}" for count, role in missing)


def _amount(key: Any) -> str:
    return AMOUNTS[FormKey(key)]


def _quoted(text: Any) -> str:
    return repr(str(text))


# The ways a fact is worded, by the name after its colon.
WORDINGS: dict[str, Callable[[Any], str]] = {
    "date": long_date,  # Tuesday 24 November 2026 (a datetime on the London clock)
    "day": short_date,  # Tuesday 24 November
    "time": clock_time,  # 10:00
    "money": lambda amount: money(Decimal(amount)),  # £1,234.50
    "weekly": lambda amount: weekly(Decimal(amount)),  # £1,234.50/wk
    "words": _words,
    "roles": _or,
    "list": lambda items: "; ".join(str(item) for item in items),
    "quorum": _quorum,
    "stage": lambda stage: STAGE_LABELS[Stage(stage)],
    "month": month_name,
    "amount": _amount,
    "Amount": lambda key: _amount(key)[:1].upper() + _amount(key)[1:],
    "personal_data": lambda kind: PERSONAL_DATA[PersonalData(kind)],
    "quoted": _quoted,
    "person": markup.person,  # a token: each surface shows the person its own way
}

_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([^{}]*))?\}")


def placeholders(sentence: str) -> dict[str, set[str]]:
    """{fact name: the wordings it is used with} in `sentence` ("" for a plain one)."""
    found: dict[str, set[str]] = {}
    for match in _PLACEHOLDER.finditer(sentence):
        found.setdefault(match[1], set()).add(match[2] or "")
    return found


def _fact(value: Any, how: str) -> str:
    if how == "person":
        return markup.person(value)
    text = WORDINGS[how](value) if how in WORDINGS else format(value, how)
    # Only the sentence makes tokens: a name typed as "{{@U…}}" must not become a mention.
    return text.replace("{{", "{\u200b{")


def words(refusal: UserError | Problem) -> str:
    """The refusal's sentence, with the core's markup tokens left for the surface to render."""
    problem = refusal.problem if isinstance(refusal, UserError) else refusal
    logger.info("refused: %s", problem.code.value)
    facts: Mapping[str, Any] = problem.facts
    return _PLACEHOLDER.sub(lambda match: _fact(facts[match[1]], match[2] or ""), SENTENCES[problem.code])


def words_each(problems: Mapping[str, Problem]) -> dict[str, str]:
    """{form field: its refusal's sentence}, for a form's inline errors (still with markup tokens)."""
    return {field: words(problem) for field, problem in problems.items()}
