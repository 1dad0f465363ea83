"""The policy file: the shipped ones load, and a bad one fails with one line naming file, line and key."""

import tomllib
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.domain.routing import RequestType
from bot.errors import ConfigError
from bot.policy import Policy, PolicyError, default_policy_path, load_policy

DEFAULT_PATH = default_policy_path()
LIMITS_PATH = DEFAULT_PATH.parent / "delegated_limits.toml"
DEFAULT_TEXT = DEFAULT_PATH.read_text(encoding="utf-8")
LIMITS_TEXT = LIMITS_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", [DEFAULT_PATH, LIMITS_PATH], ids=["the default policy", "the delegated limits policy"])
def test_the_shipped_policies_load(path: Path) -> None:
    policy = load_policy(path)
    assert policy.council.tz.key == "Europe/London"
    assert policy.routing.weeks_per_year == 52
    assert policy.case_reference.matches(policy.case_reference.example)


def test_the_default_policy_reproduces_the_seeds() -> None:
    policy = load_policy(str(DEFAULT_PATH))
    routing = policy.routing
    assert routing.forum_weekly_threshold == Decimal("350.00")
    assert routing.forum_respite_weeks_threshold == 4
    assert routing.delegated_limits == ()
    assert RequestType.DIRECT_PAYMENT in routing.send_panel_request_types
    sittings = [(weekday, hours.start, hours.end) for weekday, hours in policy.forum.sittings.by_weekday()]
    assert sittings == [
        (0, time(13, 0), time(16, 30)),
        *[(weekday, time(9, 0), time(13, 0)) for weekday in range(1, 5)],
    ]
    assert policy.forum.slot_minutes == 30
    assert policy.forum.chair_rota == (
        "service_director_asc_operations",
        "strategic_manager_his",
        "strategic_manager_neighbourhoods",
    )
    panel = policy.send_panel
    assert (panel.start_time, panel.locations, panel.papers_due_working_days) == (time(10, 0), ("North", "South"), 10)
    assert panel.practitioner_attends_over_hours_per_month == 40
    # The second Wednesday of each month.
    assert [d.date() for d in panel.recurrence()[:3]] == [date(2025, 1, 8), date(2025, 2, 12), date(2025, 3, 12)]
    assert (policy.reviews.send_review_months, policy.reviews.send_resubmission_months) == (6, 12)
    assert policy.working_days.reminder_hours.start == time(9, 0)
    assert policy.members("team_managers") == ("S0TEAMMGRS",)
    assert policy.members("nobody") == ()


def test_the_delegated_limits_policy_sets_a_team_manager_limit_and_no_weekly_threshold() -> None:
    routing = load_policy(LIMITS_PATH).routing
    assert routing.forum_weekly_threshold is None
    assert [(limit.role, limit.max_yearly) for limit in routing.delegated_limits] == [("team_managers", 49000)]


def test_a_loaded_policy_cannot_be_changed() -> None:
    policy = load_policy(DEFAULT_PATH)
    with pytest.raises(ValidationError):
        policy.forum.slot_minutes = 15  # type: ignore[misc]


def line_of(text: str, marker: str) -> int:
    """The 1-based number of the first line of `text` containing `marker`."""
    return next(number for number, line in enumerate(text.splitlines(), start=1) if marker in line)


BAD_FILES = [
    # (original text, [(old, new)], key named, marker on the line named, reason)
    pytest.param(
        DEFAULT_TEXT, [("slot_minutes = 30", "slot_minuts = 30")],
        "forum.slot_minuts", "slot_minuts", "unknown key; did you mean 'slot_minutes'?",
        id="a misspelt key is named with its line and the key it was probably meant to be",
    ),
    pytest.param(
        DEFAULT_TEXT, [("pattern = '[0-9]{5,10}'", "pattern = '[0-9'")],
        "case_reference.pattern", "pattern =", "is not a valid regular expression",
        id="a case reference pattern that is not a regular expression",
    ),
    pytest.param(
        DEFAULT_TEXT, [('example = "1234567"', 'example = "AB-1234"')],
        "case_reference.example", "example =", "'AB-1234' does not match the pattern '[0-9]{5,10}'",
        id="a case reference example that does not match its pattern",
    ),
    pytest.param(
        DEFAULT_TEXT, [('"strategic_manager_his", "strategic', '"strategic_manager_hr", "strategic')],
        "forum.chair_rota[1]", "chair_rota =", "role 'strategic_manager_hr' is not defined in [roles]",
        id="a chair role that is not defined in roles is named with the line that uses it",
    ),
    pytest.param(
        LIMITS_TEXT, [('role = "team_managers"              # a role', 'role = "team_leaders"              # a role')],
        "routing.delegated_limits[0].role", 'role = "team_leaders"', "role 'team_leaders' is not defined",
        id="a delegated limit for an undefined role points into the array of tables",
    ),
    pytest.param(
        DEFAULT_TEXT, [('chair_rota = ["service_director_asc_operations", "strategic_manager_his", '
                        '"strategic_manager_neighbourhoods"]', "chair_rota = []")],
        "forum.chair_rota", "chair_rota =", "must list at least one",
        id="a forum with no chairs",
    ),
    pytest.param(
        DEFAULT_TEXT, [('reminder_hours = "09:00-17:00"', 'reminder_hours = "09:00-25:00"')],
        "working_days.reminder_hours", "reminder_hours =", "is not a time of day from 00:00 to 23:59",
        id="hours that are not a time of day",
    ),
    pytest.param(
        DEFAULT_TEXT, [("slot_minutes = 30", "slot_minutes = thirty")],
        "forum.slot_minutes", "slot_minutes =", "Invalid value",
        id="a TOML syntax error gives the line and the key written on it",
    ),
    pytest.param(
        DEFAULT_TEXT, [('monday = "13:00-16:30"', 'monday = "16:30-13:00"')],
        "forum.sittings.monday", "monday =", "must end after it starts, got 16:30-13:00",
        id="a sitting that ends before it starts",
    ),
    pytest.param(
        DEFAULT_TEXT, [('monday = "13:00-16:30"', 'monday = "1pm-4:30pm"')],
        "forum.sittings.monday", "monday =", 'write hours as "HH:MM-HH:MM"',
        id="a sitting not written as HH:MM-HH:MM",
    ),
    pytest.param(
        DEFAULT_TEXT, [('friday = "09:00-13:00"', 'fridday = "09:00-13:00"')],
        "forum.sittings.fridday", "fridday", "did you mean 'friday'?",
        id="a misspelt weekday",
    ),
    pytest.param(
        DEFAULT_TEXT, [('friday = "09:00-13:00"', 'friday = "09:00-13:00"\nsaturday = "09:00-12:00"')],
        "forum.sittings.saturday", "saturday", "the forum sits on working days only, Monday to Friday",
        id="a weekend sitting is refused because the forum sits on working days only",
    ),
    pytest.param(
        DEFAULT_TEXT, [("slot_minutes = 30", "slot_minutes = 90"), ("13:00-16:30", "13:00-14:00"),
                       ("09:00-13:00", "09:00-10:00")],
        "forum.slot_minutes", "slot_minutes =", "90 minutes is longer than every sitting (longest: 60 minutes)",
        id="a slot longer than every sitting",
    ),
    pytest.param(
        DEFAULT_TEXT, [("FREQ=MONTHLY;BYDAY=2WE", "FREQ=MONTHLYISH")],
        "send_panel.rrule", "rrule =", "is not an RFC 5545 RRULE",
        id="a panel schedule that is not an RRULE",
    ),
    pytest.param(
        DEFAULT_TEXT, [("first_sitting = 2025-01-08", "first_sitting = 2025-01-09")],
        "send_panel.first_sitting", "first_sitting =", "the first on or after it is 2025-02-12",
        id="a first panel date that the schedule does not give",
    ),
    pytest.param(
        DEFAULT_TEXT, [('timezone = "Europe/London"', 'timezone = "Europe/Londn"')],
        "council.timezone", "timezone =", "'Europe/Londn' is not an IANA timezone name",
        id="an unknown timezone",
    ),
    pytest.param(
        DEFAULT_TEXT, [('panel_admins = ["U0PANELAD1"]', 'panel_admins = ["@jane.smith"]')],
        "roles.panel_admins[0]", "panel_admins =", "'@jane.smith' is not a Slack user ID",
        id="a Slack handle where a user ID belongs",
    ),
    pytest.param(
        DEFAULT_TEXT, [('channel = "C0FORUM001"', 'channel = "#enhanced-peer-forum"')],
        "forum.channel", "#enhanced-peer-forum", "is not a Slack channel ID",
        id="a channel name where a channel ID belongs",
    ),
    pytest.param(
        DEFAULT_TEXT, [("forum_weekly_threshold = 350.00", "forum_weekly_threshold = 350.005")],
        "routing.forum_weekly_threshold", "forum_weekly_threshold =", "no more than 2 decimal places",
        id="an amount in fractions of a penny",
    ),
    pytest.param(
        DEFAULT_TEXT, [('"increase", "direct_payment"]  #', '"increase", "direct_payments"]  #')],
        "routing.forum_threshold_request_types[2]", "forum_threshold_request_types =", "Input should be",
        id="an unknown request type in a list",
    ),
    pytest.param(
        DEFAULT_TEXT, [("booking_lead_hours = 2 ", "# booking_lead_hours = 2 ")],
        "forum.booking_lead_hours", "[forum]", "required key is missing",
        id="a missing key points at its table",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("original", "edits", "key", "marker", "reason"), BAD_FILES)
def test_a_bad_policy_file_fails_with_one_line_naming_file_line_and_key(
    tmp_path: Path, original: str, edits: list[tuple[str, str]], key: str, marker: str, reason: str
) -> None:
    text = original
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "council.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(PolicyError) as caught:
        load_policy(path)

    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: line {line_of(text, marker)}: {key}: "), message
    assert reason in message
    assert "(and" not in message


def test_several_mistakes_are_counted_after_the_first(tmp_path: Path) -> None:
    text = DEFAULT_TEXT.replace("slot_minutes = 30", "slot_minuts = 30").replace("weeks_per_year = 52", "weeks = 52")
    path = tmp_path / "council.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: line {line_of(text, 'weeks = 52')}: routing.weeks: unknown key; allowed here: ")
    assert message.endswith(" (and 1 more)")


def test_a_missing_table_is_named_without_a_line(tmp_path: Path) -> None:
    start, end = DEFAULT_TEXT.index("[urgent]"), DEFAULT_TEXT.index("[working_days]")
    path = tmp_path / "council.toml"
    path.write_text(DEFAULT_TEXT[:start] + DEFAULT_TEXT[end:], encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value) == f"{path}: urgent: required table is missing"


def test_a_file_that_cannot_be_read_is_a_policy_error(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    with pytest.raises(PolicyError, match=r"missing\.toml: cannot read the policy file: No such file"):
        load_policy(path)


def test_a_policy_error_is_a_config_error_and_a_value_error() -> None:
    assert issubclass(PolicyError, ConfigError)
    assert issubclass(PolicyError, ValueError)


def test_the_policy_model_can_be_built_from_a_dict_and_enforces_the_same_rules() -> None:
    data = tomllib.loads(DEFAULT_TEXT)
    data["forum"]["chair_rota"] = ["nobody_defined"]
    with pytest.raises(ValidationError, match="role 'nobody_defined' is not defined"):
        Policy.model_validate(data)
