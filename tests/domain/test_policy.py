"""The policy file: the shipped ones load, and a bad one fails with one line naming file, line and key."""

import tomllib
from datetime import time
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

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
    assert list(policy.bodies) == ["delegated", "urgent", "send_urgent", "forum", "send_panel"]
    threshold = next(rule for rule in policy.routing.rules if rule.when.weekly_over is not None)
    assert (threshold.when.weekly_over, threshold.to) == (Decimal("350.00"), "forum")
    respite = next(rule for rule in policy.routing.rules if rule.when.respite_weeks_over is not None)
    assert (respite.when.respite_weeks_over, respite.to) == (4, "forum")
    assert policy.routing.default == "forum"
    forum = policy.bodies["forum"]
    assert forum.kind == "meeting"
    assert [(sitting.rrule, sitting.hours.start, sitting.hours.end) for sitting in forum.schedule.sittings] == [
        ("FREQ=WEEKLY;BYDAY=MO", time(13, 0), time(16, 30)),
        ("FREQ=WEEKLY;BYDAY=TU,WE,TH,FR", time(9, 0), time(13, 0)),
    ]
    assert forum.slot_minutes == 30
    assert forum.chair.rota == (
        "service_director_asc_operations",
        "strategic_manager_his",
        "strategic_manager_neighbourhoods",
    )
    assert forum.chair.turns == "working_day"
    panel = policy.bodies["send_panel"]
    assert (panel.schedule.sittings[0].hours.start, panel.schedule.locations) == (time(10, 0), ("North", "South"))
    assert panel.cutoff.working_days_before == 10
    assert panel.practitioner_attends_over_hours_per_month == 40
    assert (panel.chair.rota, panel.chair.deputy) == (("send_operations_manager",), "send_service_manager")
    assert (policy.reviews.send_review_months, policy.reviews.send_resubmission_months) == (6, 12)
    assert policy.working_days.reminder_hours.start == time(9, 0)
    assert policy.members("team_managers") == ("S0TEAMMGRS",)
    assert policy.members("nobody") == ()
    assert policy.bodies["send_urgent"].tiers[0].role == "send_operations_manager"


def test_the_delegated_limits_policy_sets_a_team_manager_limit_and_no_weekly_threshold() -> None:
    policy = load_policy(LIMITS_PATH)
    assert all(rule.when.weekly_over is None for rule in policy.routing.rules)
    delegated = policy.bodies["delegated"]
    assert [(tier.role, tier.max_yearly) for tier in delegated.tiers] == [("team_managers", 49000)]
    assert delegated.beyond_limits == "forum"


def test_a_loaded_policy_cannot_be_changed() -> None:
    policy = load_policy(DEFAULT_PATH)
    with pytest.raises(ValidationError):
        policy.bodies["forum"].slot_minutes = 15  # type: ignore[misc]


def line_of(text: str, marker: str) -> int:
    """The 1-based number of the first line of `text` containing `marker`."""
    return next(number for number, line in enumerate(text.splitlines(), start=1) if marker in line)


BAD_FILES = [
    # (original text, [(old, new)], key named, marker on the line named, reason)
    pytest.param(
        DEFAULT_TEXT, [("slot_minutes = 30", "slot_minuts = 30")],
        "bodies.forum.slot_minuts", "slot_minuts", "unknown key; did you mean 'slot_minutes'?",
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
        "bodies.forum.chair.rota[1]", "rota = [\"service", "role 'strategic_manager_hr' is not defined in [roles]",
        id="a chair role that is not defined in roles is named with the line that uses it",
    ),
    pytest.param(
        LIMITS_TEXT, [('role = "team_managers"              # up to', 'role = "team_leaders"              # up to')],
        "bodies.delegated.tiers[0].role", 'role = "team_leaders"', "role 'team_leaders' is not defined",
        id="a tier for an undefined role points into the array of tables",
    ),
    pytest.param(
        DEFAULT_TEXT, [('rota = ["service_director_asc_operations", "strategic_manager_his", '
                        '"strategic_manager_neighbourhoods"]', "rota = []")],
        "bodies.forum.chair.rota", "rota = []", "must list at least one",
        id="a meeting with no chairs",
    ),
    pytest.param(
        DEFAULT_TEXT, [('team_managers = ["S0TEAMMGRS"]', "team_managers = []")],
        "roles.team_managers", "team_managers = []", "must list at least one",
        id="a tier whose role has no members",
    ),
    pytest.param(
        DEFAULT_TEXT, [('reminder_hours = "09:00-17:00"', 'reminder_hours = "09:00-25:00"')],
        "working_days.reminder_hours", "reminder_hours =", "is not a time of day from 00:00 to 23:59",
        id="hours that are not a time of day",
    ),
    pytest.param(
        DEFAULT_TEXT, [("slot_minutes = 30", "slot_minutes = thirty")],
        "bodies.forum.slot_minutes", "slot_minutes =", "Invalid value",
        id="a TOML syntax error gives the line and the key written on it",
    ),
    pytest.param(
        DEFAULT_TEXT, [("slot_minutes = 30", 'slot_minutes = "30"')],
        "bodies.forum.slot_minutes", "slot_minutes =", "Input should be a valid integer",
        id="a number written as a string is refused, not read",
    ),
    pytest.param(
        DEFAULT_TEXT, [("attendee_required = true", 'attendee_required = "yes"')],
        "bodies.forum.attendee_required", "attendee_required =", "Input should be a valid boolean",
        id="a yes written as a string is refused, not read",
    ),
    pytest.param(
        DEFAULT_TEXT, [("weekly_over = 350.00 }", 'weekly_over = "350" }')],
        "routing.rules[5].when.weekly_over", "weekly_over =", "'350' is not a number: write it without quotes",
        id="an amount written as a string is refused, not read",
    ),
    pytest.param(
        DEFAULT_TEXT, [('{ rrule = "FREQ=WEEKLY;BYDAY=MO", hours = "13:00-16:30" }',
                        '{ rrule = "FREQ=WEEKLY;BYDAY=MO", hours = "16:30-13:00" }')],
        "bodies.forum.schedule.sittings[0].hours", "sittings = [", "must end after it starts, got 16:30-13:00",
        id="a sitting that ends before it starts",
    ),
    pytest.param(
        DEFAULT_TEXT, [("slot_minutes = 30", "slot_minutes = 240")],
        "bodies.forum.slot_minutes", "slot_minutes =", "240 minute slots do not fit a 210 minute sitting",
        id="slots that do not fit a sitting",
    ),
    pytest.param(
        DEFAULT_TEXT, [('sittings = [{ rrule = "FREQ=MONTHLY;BYDAY=2WE"', 'sittings = [{ rrule = "FREQ=MONTHLYISH"')],
        "bodies.send_panel.schedule.sittings[0].rrule", "FREQ=MONTHLYISH", "is not an RFC 5545 RRULE",
        id="a panel schedule that is not an RRULE",
    ),
    pytest.param(
        DEFAULT_TEXT, [('timezone = "Europe/London"', 'timezone = "Europe/Londn"')],
        "council.timezone", "timezone =", "'Europe/Londn' is not an IANA timezone name",
        id="an unknown timezone",
    ),
    pytest.param(
        DEFAULT_TEXT, [('panel_admins = ["U0PANELAD1"]', 'panel_admins = ["@jane.smith"]')],
        "roles.panel_admins[0]", "panel_admins =", "'@jane.smith' is not a person (a Slack user ID, U… or W…",
        id="a Slack handle where a user ID belongs",
    ),
    pytest.param(
        DEFAULT_TEXT, [('channel = "C0FORUM001"', 'channel = "#enhanced-peer-forum"')],
        "bodies.forum.channel", "#enhanced-peer-forum", "is not a channel (a Slack channel ID, C…",
        id="a channel name where a channel ID belongs",
    ),
    pytest.param(
        DEFAULT_TEXT, [("weekly_over = 350.00 }", "weekly_over = 350.005 }")],
        "routing.rules[5].when.weekly_over", "weekly_over =", "no more than 2 decimal places",
        id="an amount in fractions of a penny",
    ),
    pytest.param(
        DEFAULT_TEXT, [('"increase", "direct_payment"], weekly_over', '"increase", "direct_payments"], weekly_over')],
        "routing.rules[5].when.request_type[2]", "direct_payments", "Input should be",
        id="an unknown request type in a list",
    ),
    pytest.param(
        DEFAULT_TEXT, [('to = "send_panel"\n', 'to = "send_pannel"\n')],
        "routing.rules[2].to", 'to = "send_pannel"', "body 'send_pannel' is not defined in [bodies]",
        id="a rule sending cases to a body that does not exist",
    ),
    pytest.param(
        DEFAULT_TEXT, [("when = { respite_weeks_over = 4 }", "when = { urgent = true }  # again")],
        "routing.rules[4].when", "# again",
        "this rule can never match: rule 1 has the same conditions",
        id="a rule that an earlier one always catches first",
    ),
    pytest.param(
        DEFAULT_TEXT, [("when = { respite_weeks_over = 4 }", "when = { weekly_over = 500, weekly_at_most = 400 }")],
        "routing.rules[4].when.weekly_at_most", "weekly_at_most = 400",
        "this rule can never match: the weekly cost cannot be over £500 and at most £400",
        id="a rule whose amounts contradict each other",
    ),
    pytest.param(
        DEFAULT_TEXT, [("when = { urgent = true }\nto = \"urgent\"", "when = { urgent = true }\nto = \"send_urgent\"")],
        "bodies.urgent", "[bodies.urgent]", "no rule, default, follow-on or beyond_limits sends cases to body 'urgent'",
        id="a body nobody routes to",
    ),
    pytest.param(
        DEFAULT_TEXT, [("escalate_after_working_days = 5, escalate_to = \"operations_managers\"",
                        "escalate_after_working_days = 2, escalate_to = \"operations_managers\"")],
        "bodies.delegated.reminders", "reminders = { nudge",
        "escalation after 2 working days comes before or with the nudge after 3",
        id="escalation before the nudge",
    ),
    pytest.param(
        DEFAULT_TEXT, [('panel_admins = ["U0PANELAD1"]                     # run', '# run')],
        "roles", "[roles]", "role 'panel_admins' is not defined in [roles]",
        id="a role panelbot's own code relies on",
    ),
    pytest.param(
        DEFAULT_TEXT, [("working_days_before = 10 ", "days_before = 3\nworking_days_before = 10 ")],
        "bodies.send_panel.cutoff", "[bodies.send_panel.cutoff]",
        "give exactly one of working_days_before, days_before or weekday_before",
        id="a cut-off given two ways",
    ),
    pytest.param(
        DEFAULT_TEXT, [('kind = "meeting"\nchannel', 'kind = "committee"\nchannel')],
        "bodies.forum.kind", 'kind = "committee"', "Input should be 'person', 'meeting' or 'panel'",
        id="a kind of body panelbot does not know",
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
    start, end = DEFAULT_TEXT.index("[spot_checks]"), DEFAULT_TEXT.index("[working_days]")
    path = tmp_path / "council.toml"
    path.write_text(DEFAULT_TEXT[:start] + DEFAULT_TEXT[end:], encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value) == f"{path}: spot_checks: required table is missing"


def test_a_file_that_cannot_be_read_is_a_policy_error(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    with pytest.raises(PolicyError, match=r"missing\.toml: cannot read the policy file: No such file"):
        load_policy(path)


def test_a_policy_error_is_a_config_error_and_a_value_error() -> None:
    assert issubclass(PolicyError, ConfigError)
    assert issubclass(PolicyError, ValueError)


def test_the_policy_model_can_be_built_from_a_dict_and_enforces_the_same_rules() -> None:
    data = tomllib.loads(DEFAULT_TEXT)
    data["bodies"]["forum"]["chair"]["rota"] = ["nobody_defined"]
    with pytest.raises(ValidationError, match="role 'nobody_defined' is not defined"):
        Policy.model_validate(data)
