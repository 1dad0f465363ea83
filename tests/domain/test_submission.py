"""The case submission form: every rule and its boundaries, all errors at once, and sentences that
say how to fix a field without repeating what was typed."""

import itertools
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from bot.domain.routing import REQUEST_TYPE_LABELS, SERVICE_LABELS, RequestType, Service, route_case
from bot.domain.submission import (
    FORM_KEYS,
    MAX_TEXT,
    FormErrors,
    Submission,
    parse_submission,
)
from bot.policy import default_policy_path, load_policy
from bot.refusals import Refusal
from messages.refusals import words_each
from messages.slack.ids import SubmitField

POLICY = load_policy(default_policy_path())
SUBMITTER = "U0PRIYA001"
MANAGER = "U0MANAGER1"
SENIOR = "U0SENIOR01"
RECORD = "https://mosaic.example.gov.uk/person/1234567"
# Words that must never come back in an error: the form holds special-category personal data.
CANARY = "Mrs Canary Example of 12 Acacia Avenue"


def form(**changes: Any) -> dict[str, Any]:
    """A complete, valid adults new-package form as the handler builds it, with some inputs changed."""
    raw: dict[str, Any] = {
        "reference": "1234567",
        "service": "adults",
        "request_type": "new_package",
        "proposed_weekly": "280.00",
        "ras_weekly": "298.00",
        "current_weekly": None,
        "hours_per_month": None,
        "respite_weeks": None,
        "urgent": [],
        "urgent_reason": None,
        "strengths_and_needs": "Enjoys the day centre; needs help with personal care twice a day.",
        "outcomes": "Stays living at home and keeps going to the day centre.",
        "alternatives": "Community agent visited; OT assessed for equipment.",
        "evidence": [],
        "record_link": RECORD,
        "team_manager": MANAGER,
        "attendee": SENIOR,
    }
    raw.update(changes)
    return raw


def submit(**changes: Any) -> Submission:
    return parse_submission(form(**changes), policy=POLICY, submitter=SUBMITTER)


def errors_for(**changes: Any) -> dict[str, str]:
    """The sentences the person reads under each field."""
    with pytest.raises(FormErrors) as caught:
        submit(**changes)
    return words_each(caught.value.errors)


# --- Complete forms ----------------------------------------------------------------------------------

# What each request type needs on top of the base form.
FOR_TYPE: dict[RequestType, dict[str, Any]] = {
    RequestType.NEW_PACKAGE: {},
    RequestType.INCREASE: {"current_weekly": "240.00", "proposed_weekly": "280.00"},
    RequestType.DECREASE: {"current_weekly": "320.00", "proposed_weekly": "280.00", "alternatives": None},
    RequestType.RESIDENTIAL_PLACEMENT: {"proposed_weekly": "£1,150.00", "ras_weekly": "950"},
    RequestType.RESPITE: {"respite_weeks": "4.5", "alternatives": None},
    RequestType.DIRECT_PAYMENT: {"alternatives": None},
}
FOR_SERVICE: dict[Service, dict[str, Any]] = {
    Service.ADULTS: {},
    Service.CHILDREN_SEND: {"hours_per_month": "40"},
}


@pytest.mark.parametrize(
    ("service", "request_type"),
    [
        pytest.param(service, kind, id=f"a complete {SERVICE_LABELS[service]} {REQUEST_TYPE_LABELS[kind]} is accepted")
        for service, kind in itertools.product(Service, RequestType)
    ],
)
def test_a_complete_form_is_accepted_and_can_be_routed(service, request_type):
    submission = submit(service=service.value, request_type=request_type.value,
                        **FOR_TYPE[request_type], **FOR_SERVICE[service])

    assert (submission.service, submission.request_type) == (service, request_type)
    assert submission.submitter == SUBMITTER
    request = submission.to_case_request()
    assert (request.service, request.request_type) == (service, request_type)
    assert route_case(POLICY, request).reasons


def test_a_submission_carries_every_field_of_the_form():
    submission = submit(
        reference=" 7654321 ",
        request_type="increase",
        current_weekly="£300",
        proposed_weekly="£1,250.5",
        ras_weekly="1,000",
        hours_per_month="37.5",
        respite_weeks="2",
        urgent=["urgent"],
        urgent_reason="  Carer is in hospital from today.  ",
        evidence=["health", "moving and handling", "health"],
    )

    assert submission == Submission.model_validate(
        {
            "submitter": SUBMITTER,
            "reference": "7654321",
            "service": Service.ADULTS,
            "request_type": RequestType.INCREASE,
            "current_weekly": Decimal("300.00"),
            "proposed_weekly": Decimal("1250.50"),
            "ras_weekly": Decimal("1000.00"),
            "hours_per_month": Decimal("37.5"),
            "respite_weeks_per_year": Decimal("2"),
            "urgent": True,
            "urgent_reason": "Carer is in hospital from today.",
            "strengths_and_needs": "Enjoys the day centre; needs help with personal care twice a day.",
            "outcomes": "Stays living at home and keeps going to the day centre.",
            "alternatives": "Community agent visited; OT assessed for equipment.",
            "evidence": ("moving and handling", "health"),
            "record_link": RECORD,
            "team_manager": MANAGER,
            "attendee": SENIOR,
        },
        context={"policy": POLICY},
    )


def test_the_case_request_has_the_figures_routing_needs():
    submission = submit(
        service="children_send", request_type="respite", respite_weeks="6", hours_per_month="44",
        urgent=["urgent"], urgent_reason="Placement breakdown.",
    )

    request = submission.to_case_request()

    assert (request.proposed_weekly, request.ras_weekly, request.current_weekly) == (
        Decimal("280.00"), Decimal("298.00"), None,
    )
    assert (request.hours_per_month, request.respite_weeks_per_year, request.urgent) == (
        Decimal("44"), Decimal("6"), True,
    )


# --- Values accepted -----------------------------------------------------------------------------------

ACCEPTED = [
    # --- Case reference ---
    pytest.param({"reference": "  1234567 "}, "reference", "1234567", id="the reference is stripped"),
    pytest.param({"reference": "12345"}, "reference", "12345", id="a 5-digit reference is the shortest allowed"),
    pytest.param({"reference": "1234567890"}, "reference", "1234567890", id="a 10-digit reference is the longest"),
    # --- Money ---
    pytest.param({"proposed_weekly": "412.50"}, "proposed_weekly", Decimal("412.50"), id="pounds and pence"),
    pytest.param({"proposed_weekly": "£412.50"}, "proposed_weekly", Decimal("412.50"), id="a pound sign"),
    pytest.param({"proposed_weekly": "£ 412.50"}, "proposed_weekly", Decimal("412.50"), id="a space after the £"),
    pytest.param({"proposed_weekly": "1,250.50"}, "proposed_weekly", Decimal("1250.50"), id="thousands commas"),
    pytest.param({"proposed_weekly": "£1,250.50"}, "proposed_weekly", Decimal("1250.50"), id="£ and commas together"),
    pytest.param({"proposed_weekly": "412"}, "proposed_weekly", Decimal("412.00"), id="whole pounds"),
    pytest.param({"proposed_weekly": "412.5"}, "proposed_weekly", Decimal("412.50"), id="one decimal place"),
    pytest.param({"proposed_weekly": "412.500"}, "proposed_weekly", Decimal("412.50"),
                 id="a trailing zero is not a third decimal place"),
    pytest.param({"proposed_weekly": "25,000.00"}, "proposed_weekly", Decimal("25000.00"),
                 id="exactly the 25000 a week bound is accepted"),
    pytest.param({"ras_weekly": "£25000"}, "ras_weekly", Decimal("25000.00"), id="the RAS may be exactly the bound"),
    pytest.param({"ras_weekly": "0"}, "ras_weekly", Decimal("0.00"), id="a RAS of nothing is allowed"),
    pytest.param({"ras_weekly": "  "}, "ras_weekly", None, id="the RAS may be left empty"),
    pytest.param({"request_type": "decrease", "current_weekly": "200", "proposed_weekly": "0"},
                 "proposed_weekly", Decimal("0.00"), id="a decrease to nothing ends a package"),
    pytest.param({"request_type": "increase", "current_weekly": "279.99"}, "current_weekly", Decimal("279.99"),
                 id="an increase of a penny is an increase"),
    pytest.param({"request_type": "decrease", "current_weekly": "280.01"}, "current_weekly", Decimal("280.01"),
                 id="a decrease of a penny is a decrease"),
    pytest.param({"current_weekly": "not a number"}, "current_weekly", None,
                 id="the current cost is ignored for a new package, whatever was typed"),
    pytest.param({"request_type": "respite", "respite_weeks": "4", "current_weekly": "200"}, "current_weekly", None,
                 id="the current cost is ignored for respite"),
    # --- Hours a month ---
    pytest.param({"hours_per_month": "744"}, "hours_per_month", Decimal("744"), id="744 hours a month is accepted"),
    pytest.param({"hours_per_month": "0"}, "hours_per_month", Decimal("0"), id="0 hours a month is accepted"),
    pytest.param({"hours_per_month": "37.25"}, "hours_per_month", Decimal("37.25"), id="hours to 2 decimal places"),
    pytest.param({"hours_per_month": None}, "hours_per_month", None, id="hours may be left empty for adults"),
    # --- Respite weeks ---
    pytest.param({"request_type": "respite", "respite_weeks": "52"}, "respite_weeks_per_year", Decimal("52"),
                 id="52 weeks of respite a year is accepted"),
    pytest.param({"request_type": "respite", "respite_weeks": "4.5"}, "respite_weeks_per_year", Decimal("4.5"),
                 id="half weeks of respite are accepted"),
    pytest.param({"request_type": "respite", "respite_weeks": "0.25"}, "respite_weeks_per_year", Decimal("0.25"),
                 id="respite weeks to 2 decimal places"),
    pytest.param({"respite_weeks": "6"}, "respite_weeks_per_year", Decimal("6"),
                 id="respite weeks are kept for a new package, because routing uses them"),
    # --- Urgency ---
    pytest.param({"urgent": ["urgent"], "urgent_reason": "Carer in hospital."}, "urgent", True,
                 id="the urgent box ticked"),
    pytest.param({"urgent": []}, "urgent", False, id="the urgent box left clear"),
    pytest.param({"urgent": None}, "urgent", False, id="no answer for the urgent box is not urgent"),
    pytest.param({"urgent_reason": "It cannot wait."}, "urgent_reason", None,
                 id="an urgent reason without the box ticked is dropped"),
    # --- Free text ---
    pytest.param({"outcomes": "x" * MAX_TEXT}, "outcomes", "x" * MAX_TEXT, id="exactly 3000 characters is accepted"),
    pytest.param({"outcomes": "  Stay at home.\n"}, "outcomes", "Stay at home.", id="free text is stripped"),
    pytest.param({"request_type": "decrease", "current_weekly": "300", "alternatives": ""}, "alternatives", None,
                 id="a decrease need not list alternatives"),
    pytest.param({"request_type": "respite", "respite_weeks": "2", "alternatives": None}, "alternatives", None,
                 id="respite need not list alternatives"),
    pytest.param({"request_type": "direct_payment", "alternatives": None}, "alternatives", None,
                 id="a direct payment need not list alternatives"),
    # --- Evidence ---
    pytest.param({"evidence": ["health", "mental capacity", "health"]}, "evidence", ("mental capacity", "health"),
                 id="evidence is kept once each, in the policy's order"),
    pytest.param({"evidence": None}, "evidence", (), id="no evidence ticked"),
    # --- Record link ---
    pytest.param({"record_link": " https://mosaic.example.gov.uk/p/1?tab=2 "}, "record_link",
                 "https://mosaic.example.gov.uk/p/1?tab=2", id="an https link is accepted, stripped"),
    pytest.param({"record_link": ""}, "record_link", None, id="the record link may be left empty"),
    # --- People ---
    pytest.param({"attendee": MANAGER}, "attendee", MANAGER, id="the team manager may also attend"),
    pytest.param({"attendee": None}, "attendee", None, id="the attendee may be chosen later"),
    pytest.param({"team_manager": "W0GRIDUSER"}, "team_manager", "W0GRIDUSER",
                 id="an Enterprise Grid user ID is a person"),
]


@pytest.mark.parametrize(("changes", "field", "expected"), ACCEPTED)
def test_a_value_is_accepted(changes, field, expected):
    assert getattr(submit(**changes), field) == expected


# --- Values refused -------------------------------------------------------------------------------------

ENTER_PROPOSED = "Enter the proposed weekly cost in pounds, like 412.50"
DECIMAL_PENCE = "Use at most 2 decimal places (pence), like 412.50"
OVER_BOUND = "The form takes at most £25,000.00 a week: check the amount"
ENTER_HOURS = "Enter the hours of support a month as a number, like 40 or 37.5"
ENTER_WEEKS = "Enter the weeks of respite a year as a number, like 4 or 4.5"
A_YEAR = "A year has 52 weeks: enter 52 or fewer"
A_MONTH = "A month has at most 744 hours: enter 744 or fewer"
TOO_LONG = "Shorten this to 3,000 characters or fewer; it has 3,001"
NOT_HTTPS = "Paste the full link to the case record, starting https://"
ALTERNATIVES = "Say what other support you explored, such as community agents or OT"

REFUSED = [
    # --- Case reference ---
    pytest.param({"reference": None}, "reference", "Enter the case-system ID, like 1234567", id="no reference"),
    pytest.param({"reference": "   "}, "reference", "Enter the case-system ID, like 1234567",
                 id="a blank reference"),
    pytest.param({"reference": "1234"}, "reference", "Use the case-system ID, like 1234567",
                 id="a 4-digit reference is too short for the pattern"),
    pytest.param({"reference": "12345678901"}, "reference", "Use the case-system ID, like 1234567",
                 id="an 11-digit reference is too long for the pattern"),
    pytest.param({"reference": "AB1234567"}, "reference", "Use the case-system ID, like 1234567",
                 id="the whole reference must match, not just part of it"),
    # --- Service and request type ---
    pytest.param({"service": None}, "service", "Choose the service: adults or children's SEND", id="no service"),
    pytest.param({"service": "older_people"}, "service", "Choose the service: adults or children's SEND",
                 id="a service that does not exist"),
    pytest.param({"request_type": ""}, "request_type", "Choose the type of request from the list",
                 id="no request type"),
    pytest.param({"request_type": "top_up"}, "request_type", "Choose the type of request from the list",
                 id="a request type that does not exist"),
    # --- Proposed weekly cost ---
    pytest.param({"proposed_weekly": None}, "proposed_weekly", ENTER_PROPOSED, id="no proposed cost"),
    pytest.param({"proposed_weekly": "abc"}, "proposed_weekly", ENTER_PROPOSED, id="words for the proposed cost"),
    pytest.param({"proposed_weekly": "1250,50"}, "proposed_weekly", ENTER_PROPOSED,
                 id="a decimal comma is refused rather than misread"),
    pytest.param({"proposed_weekly": "1,25"}, "proposed_weekly", ENTER_PROPOSED,
                 id="commas must separate groups of three digits"),
    pytest.param({"proposed_weekly": "0,500"}, "proposed_weekly", ENTER_PROPOSED,
                 id="a comma after a leading zero is refused"),
    pytest.param({"proposed_weekly": "£-5"}, "proposed_weekly", ENTER_PROPOSED, id="a minus after the pound sign"),
    pytest.param({"proposed_weekly": "412."}, "proposed_weekly", ENTER_PROPOSED, id="a point with no pence"),
    pytest.param({"proposed_weekly": "1e3"}, "proposed_weekly", ENTER_PROPOSED, id="scientific notation"),
    pytest.param({"proposed_weekly": "NaN"}, "proposed_weekly", ENTER_PROPOSED, id="not a number"),
    pytest.param({"proposed_weekly": "٤١٢"}, "proposed_weekly", ENTER_PROPOSED, id="digits from another script"),
    pytest.param({"proposed_weekly": "£412.50 a week"}, "proposed_weekly", ENTER_PROPOSED, id="words after the sum"),
    pytest.param({"proposed_weekly": "412.505"}, "proposed_weekly", DECIMAL_PENCE, id="3 decimal places"),
    pytest.param({"proposed_weekly": "-5"}, "proposed_weekly",
                 "The proposed weekly cost can't be negative: enter it in pounds, like 412.50", id="a negative cost"),
    pytest.param({"proposed_weekly": "-£5"}, "proposed_weekly",
                 "The proposed weekly cost can't be negative: enter it in pounds, like 412.50",
                 id="a minus before the pound sign"),
    pytest.param({"request_type": "decrease", "current_weekly": "200", "proposed_weekly": "-0"}, "proposed_weekly",
                 "The proposed weekly cost can't be negative: enter it in pounds, like 412.50",
                 id="minus zero is refused rather than shown as -0.00"),
    pytest.param({"proposed_weekly": "25,000.01"}, "proposed_weekly", OVER_BOUND,
                 id="a penny over the 25000 a week bound"),
    pytest.param({"proposed_weekly": "0"}, "proposed_weekly",
                 "Enter a weekly cost above £0; to end a package, choose Decrease and enter 0",
                 id="a new package cannot cost nothing"),
    pytest.param({"request_type": "increase", "current_weekly": "280.00"}, "proposed_weekly",
                 "An increase must cost more than the current weekly cost: check both, or choose Decrease",
                 id="an increase to the same cost"),
    pytest.param({"request_type": "increase", "current_weekly": "300"}, "proposed_weekly",
                 "An increase must cost more than the current weekly cost: check both, or choose Decrease",
                 id="an increase that costs less"),
    pytest.param({"request_type": "decrease", "current_weekly": "280", "alternatives": None}, "proposed_weekly",
                 "A decrease must cost less than the current weekly cost: check both, or choose Increase",
                 id="a decrease to the same cost"),
    pytest.param({"request_type": "decrease", "current_weekly": "200"}, "proposed_weekly",
                 "A decrease must cost less than the current weekly cost: check both, or choose Increase",
                 id="a decrease that costs more"),
    # --- Current weekly cost ---
    pytest.param({"request_type": "increase"}, "current_weekly",
                 "An increase needs the current weekly cost, like 412.50", id="an increase without the current cost"),
    pytest.param({"request_type": "decrease"}, "current_weekly",
                 "A decrease needs the current weekly cost, like 412.50", id="a decrease without the current cost"),
    pytest.param({"request_type": "increase", "current_weekly": "0"}, "current_weekly",
                 "Enter the current weekly cost above £0; if there is no package yet, choose New package",
                 id="an increase from nothing is a new package"),
    pytest.param({"request_type": "increase", "current_weekly": "two hundred"}, "current_weekly",
                 "Enter the current weekly cost in pounds, like 412.50", id="words for the current cost"),
    pytest.param({"request_type": "decrease", "current_weekly": "-1"}, "current_weekly",
                 "The current weekly cost can't be negative: enter it in pounds, like 412.50",
                 id="a negative current cost"),
    pytest.param({"request_type": "decrease", "current_weekly": "25,000.01"}, "current_weekly", OVER_BOUND,
                 id="a current cost over the bound"),
    # --- RAS indicative budget ---
    pytest.param({"ras_weekly": "about 300"}, "ras_weekly", "Enter the RAS indicative budget in pounds, like 412.50",
                 id="words in the RAS budget"),
    pytest.param({"ras_weekly": "-1"}, "ras_weekly",
                 "The RAS indicative budget can't be negative: enter it in pounds, like 412.50", id="a negative RAS"),
    pytest.param({"ras_weekly": "298.001"}, "ras_weekly", DECIMAL_PENCE, id="a RAS to 3 decimal places"),
    pytest.param({"ras_weekly": "£25,000.01"}, "ras_weekly", OVER_BOUND, id="a RAS a penny over the bound"),
    # --- Hours a month ---
    pytest.param({"hours_per_month": "744.5"}, "hours_per_month", A_MONTH, id="744.5 hours a month"),
    pytest.param({"hours_per_month": "745"}, "hours_per_month", A_MONTH, id="745 hours a month"),
    pytest.param({"hours_per_month": "-1"}, "hours_per_month", "Hours can't be negative: enter 0 or more",
                 id="negative hours"),
    pytest.param({"hours_per_month": "-0"}, "hours_per_month", "Hours can't be negative: enter 0 or more",
                 id="minus zero hours"),
    pytest.param({"hours_per_month": "37.125"}, "hours_per_month", "Use at most 2 decimal places, like 37.5",
                 id="hours to 3 decimal places"),
    pytest.param({"hours_per_month": "forty"}, "hours_per_month", ENTER_HOURS, id="hours in words"),
    pytest.param({"hours_per_month": "1,000"}, "hours_per_month", ENTER_HOURS, id="hours with a comma"),
    pytest.param({"service": "children_send", "hours_per_month": None}, "hours_per_month",
                 "Enter the hours of support a month: the panel uses them to decide if you attend",
                 id="children's SEND without hours"),
    # --- Respite weeks ---
    pytest.param({"request_type": "respite", "alternatives": None}, "respite_weeks",
                 "A respite request needs the weeks of respite a year, like 4 or 4.5", id="respite without weeks"),
    pytest.param({"request_type": "respite", "respite_weeks": "53"}, "respite_weeks", A_YEAR, id="53 weeks"),
    pytest.param({"request_type": "respite", "respite_weeks": "52.01"}, "respite_weeks", A_YEAR, id="52.01 weeks"),
    pytest.param({"request_type": "respite", "respite_weeks": "0"}, "respite_weeks",
                 "Enter more than 0 weeks of respite a year, like 4 or 4.5", id="0 weeks of respite"),
    pytest.param({"request_type": "respite", "respite_weeks": "-2"}, "respite_weeks",
                 "Enter more than 0 weeks of respite a year, like 4 or 4.5", id="negative weeks of respite"),
    pytest.param({"respite_weeks": "0"}, "respite_weeks",
                 "Enter more than 0 weeks of respite a year, like 4 or 4.5, or leave it empty",
                 id="0 weeks of respite in another request may be left empty instead"),
    pytest.param({"request_type": "respite", "respite_weeks": "4.125"}, "respite_weeks",
                 "Use at most 2 decimal places, like 4.5", id="respite weeks to 3 decimal places"),
    pytest.param({"request_type": "respite", "respite_weeks": "four"}, "respite_weeks", ENTER_WEEKS,
                 id="respite weeks in words"),
    # --- Urgency ---
    pytest.param({"urgent": ["urgent"]}, "urgent_reason", "Say why this case can't wait for the next panel",
                 id="urgent without a reason"),
    pytest.param({"urgent": ["urgent"], "urgent_reason": "  \n "}, "urgent_reason",
                 "Say why this case can't wait for the next panel", id="urgent with a blank reason"),
    pytest.param({"urgent": ["urgent"], "urgent_reason": "x" * (MAX_TEXT + 1)}, "urgent_reason", TOO_LONG,
                 id="an urgent reason over 3000 characters"),
    pytest.param({"urgent": ["yes"]}, "urgent", "Tick the urgent box or leave it clear, then submit again",
                 id="an urgent option the form does not have"),
    # --- Free text ---
    pytest.param({"strengths_and_needs": None}, "strengths_and_needs",
                 "Describe the person's strengths and eligible needs", id="no strengths and needs"),
    pytest.param({"strengths_and_needs": " \n\t "}, "strengths_and_needs",
                 "Describe the person's strengths and eligible needs", id="blank strengths and needs"),
    pytest.param({"strengths_and_needs": "x" * (MAX_TEXT + 1)}, "strengths_and_needs", TOO_LONG,
                 id="strengths and needs over 3000 characters"),
    pytest.param({"outcomes": ""}, "outcomes", "Describe the outcomes this support should achieve",
                 id="no outcomes"),
    pytest.param({"outcomes": "x" * (MAX_TEXT + 1)}, "outcomes", TOO_LONG, id="outcomes over 3000 characters"),
    pytest.param({"alternatives": None}, "alternatives", ALTERNATIVES, id="a new package without alternatives"),
    pytest.param({"request_type": "increase", "current_weekly": "200", "alternatives": "  "}, "alternatives",
                 ALTERNATIVES, id="an increase without alternatives"),
    pytest.param({"request_type": "residential_placement", "alternatives": None}, "alternatives", ALTERNATIVES,
                 id="a residential placement without alternatives"),
    pytest.param({"alternatives": "x" * (MAX_TEXT + 1)}, "alternatives", TOO_LONG,
                 id="alternatives over 3000 characters"),
    # --- Evidence ---
    pytest.param({"evidence": ["health", "a letter from the GP"]}, "evidence",
                 "Tick only the evidence listed; if the list has changed, close the form and open it again",
                 id="evidence the policy does not list"),
    # --- Record link ---
    pytest.param({"record_link": "http://mosaic.example.gov.uk/p/1"}, "record_link",
                 "Case records are internal systems: paste the secure https:// link, not http://",
                 id="a plain http link"),
    pytest.param({"record_link": "mosaic.example.gov.uk/p/1"}, "record_link", NOT_HTTPS, id="a link with no scheme"),
    pytest.param({"record_link": "https://"}, "record_link", NOT_HTTPS, id="a link with no host"),
    pytest.param({"record_link": "https://mosaic example/p/1"}, "record_link", NOT_HTTPS, id="a link with a space"),
    pytest.param({"record_link": "ftp://mosaic.example.gov.uk/p/1"}, "record_link", NOT_HTTPS, id="an ftp link"),
    pytest.param({"record_link": "https://[::1/p"}, "record_link", NOT_HTTPS, id="a link that cannot be parsed"),
    pytest.param({"record_link": "https://e.uk/" + "x" * MAX_TEXT}, "record_link",
                 "Shorten this to 3,000 characters or fewer; it has 3,013", id="a link over 3000 characters"),
    # --- People ---
    pytest.param({"team_manager": None}, "team_manager", "Choose the team manager who signs off your case",
                 id="no team manager"),
    pytest.param({"team_manager": "bob"}, "team_manager", "Choose the team manager from the list of people",
                 id="a team manager who is not a Slack user ID"),
    pytest.param({"team_manager": "S0TEAMMGRS"}, "team_manager", "Choose the team manager from the list of people",
                 id="a user group is not a team manager"),
    pytest.param({"team_manager": SUBMITTER, "attendee": None}, "team_manager",
                 "You can't sign off your own case: choose your team manager", id="the submitter as team manager"),
    pytest.param({"attendee": "C0FORUM001"}, "attendee", "Choose the person attending from the list of people",
                 id="an attendee who is not a person"),
    pytest.param({"attendee": SUBMITTER}, "attendee", "Choose someone other than yourself to attend",
                 id="the submitter as attendee"),
]


@pytest.mark.parametrize(("changes", "key", "sentence"), REFUSED)
def test_a_value_is_refused_with_one_sentence_on_its_field(changes, key, sentence):
    assert errors_for(**changes) == {key: sentence}
    assert len(sentence) < 150


# --- Several errors at once ------------------------------------------------------------------------------


def test_an_empty_form_gets_an_error_on_every_required_field_at_once():
    empty = dict.fromkeys(FORM_KEYS.values())

    with pytest.raises(FormErrors) as caught:
        parse_submission(empty, policy=POLICY, submitter=SUBMITTER)

    assert words_each(caught.value.errors) == {
        "reference": "Enter the case-system ID, like 1234567",
        "service": "Choose the service: adults or children's SEND",
        "request_type": "Choose the type of request from the list",
        "proposed_weekly": ENTER_PROPOSED,
        "strengths_and_needs": "Describe the person's strengths and eligible needs",
        "outcomes": "Describe the outcomes this support should achieve",
        "team_manager": "Choose the team manager who signs off your case",
    }


def test_a_form_with_no_keys_at_all_counts_every_input_as_empty():
    with pytest.raises(FormErrors) as caught:
        parse_submission({}, policy=POLICY, submitter=SUBMITTER)

    assert set(caught.value.errors) == {
        "reference", "service", "request_type", "proposed_weekly", "strengths_and_needs", "outcomes", "team_manager",
    }


def test_mistakes_in_different_fields_are_all_reported_together():
    errors = errors_for(
        reference="12",
        service="children_send",
        request_type="increase",
        current_weekly=None,
        proposed_weekly="412.505",
        hours_per_month=None,
        respite_weeks="53",
        urgent=["urgent"],
        record_link="http://mosaic.example.gov.uk/p/1",
        team_manager=SUBMITTER,
        attendee=SUBMITTER,
    )

    assert errors == {
        "reference": "Use the case-system ID, like 1234567",
        "current_weekly": "An increase needs the current weekly cost, like 412.50",
        "proposed_weekly": DECIMAL_PENCE,
        "hours_per_month": "Enter the hours of support a month: the panel uses them to decide if you attend",
        "respite_weeks": A_YEAR,
        "urgent_reason": "Say why this case can't wait for the next panel",
        "record_link": "Case records are internal systems: paste the secure https:// link, not http://",
        "team_manager": "You can't sign off your own case: choose your team manager",
        "attendee": "Choose someone other than yourself to attend",
    }


def test_rules_that_compare_fields_wait_for_the_fields_they_compare():
    # With no request type, nothing can be said about the current cost or the alternatives.
    assert errors_for(request_type="not a type", current_weekly=None, alternatives=None) == {
        "request_type": "Choose the type of request from the list",
    }


# --- What errors may show -------------------------------------------------------------------------------


def test_errors_never_repeat_what_was_typed():
    with pytest.raises(FormErrors) as caught:
        submit(
            reference=CANARY,
            service=CANARY,
            proposed_weekly=CANARY,
            hours_per_month=CANARY,
            respite_weeks=CANARY,
            urgent=[CANARY],
            strengths_and_needs=CANARY * 100,
            evidence=[CANARY],
            record_link=f"http://{CANARY}",
            team_manager=CANARY,
            attendee=CANARY,
        )
    error = caught.value

    assert len(error.errors) == 11
    for text in [str(error), repr(error), *map(repr, error.errors.values()), *words_each(error.errors).values()]:
        assert "Canary" not in text
    assert all(CANARY not in str(fact) for problem in error.errors.values() for fact in problem.facts.values())
    # pydantic's own error quotes the input: it must not travel with ours into a traceback.
    assert error.__cause__ is None
    assert error.__context__ is None


def test_an_answer_of_the_wrong_shape_gets_a_plain_sentence():
    assert errors_for(strengths_and_needs=["not", "text"]) == {
        "strengths_and_needs": "This answer could not be read: enter it again",
    }


def test_keys_the_form_does_not_have_are_ignored():
    assert submit(colour_of_the_sky="blue").reference == "1234567"


def test_the_form_keys_are_the_submit_field_block_ids():
    assert sorted(FORM_KEYS.values()) == sorted(field.value for field in SubmitField)
    assert set(FORM_KEYS) == set(Submission.model_fields) - {"submitter"}


# --- The model's own contract ---------------------------------------------------------------------------


def test_a_submitter_who_is_not_a_slack_user_is_the_callers_mistake():
    with pytest.raises(ValueError, match=Refusal.SUBMITTER_NOT_A_PERSON.value) as caught:
        parse_submission(form(), policy=POLICY, submitter="priya")

    assert not isinstance(caught.value, FormErrors)


def test_a_submission_cannot_be_changed():
    submission = submit()

    with pytest.raises(ValidationError):
        submission.proposed_weekly = Decimal("1.00")  # type: ignore[misc]


def test_a_submission_cannot_be_checked_without_the_policy():
    with pytest.raises(TypeError, match="policy"):
        Submission.model_validate({**form(), "submitter": SUBMITTER})


def test_typed_values_get_the_same_rules():
    data = {
        **submit().model_dump(),
        "request_type": RequestType.INCREASE,
        "current_weekly": Decimal("300"),
        "proposed_weekly": Decimal("250.00"),
    }

    with pytest.raises(ValidationError) as caught:
        Submission.model_validate(data, context={"policy": POLICY})

    assert [error["loc"] for error in caught.value.errors()] == [("proposed_weekly",)]
