"""The spot-check and report builders within Slack's limits, read back by slack_sdk, free of free text."""

from datetime import UTC, date, datetime
from decimal import Decimal

from bot.domain.report import Figure, Report
from bot.domain.spot_checks import SpotCheckNotice, SpotCheckOpened, SpotCheckView, Why
from messages.slack.report import chart_description, headline, render_chart, report_modal
from messages.slack.spot_checks import spot_check_dm, spot_check_modal, spot_checks_message
from tests.messages.test_case_messages import (
    FORUM,
    assert_slack_sdk_reads_it_back,
    assert_within_slack_limits,
    everything,
)

CHECK = SpotCheckView(id=7, case_id=1, reference="2345678", body_name="delegated sign-off", request_type="new_package",
                      agreed_weekly=Decimal("280.00"), decided_by="U0TOMAS",
                      decided_at=datetime(2026, 11, 24, 11, 0, tzinfo=UTC),
                      drawn_at=datetime(2026, 11, 24, 11, 0, tzinfo=UTC), why=(Why.RANDOM, Why.OVER_WEEKLY),
                      state="open")


def test_the_checkers_dm_names_the_case_and_why_and_has_one_button():
    message = spot_check_dm(SpotCheckNotice(CHECK, to_manager=False))
    assert_within_slack_limits(message)
    assert_slack_sdk_reads_it_back(message)
    assert "drawn at random; over the amount always checked" in everything(message)
    assert "spot_check_open" in everything(message)


def test_the_managers_dm_carries_the_actions_as_plain_text():
    message = spot_check_dm(SpotCheckNotice(CHECK, to_manager=True, actions="<@U0EVIL> *bold* & more"))
    assert_within_slack_limits(message)
    [actions] = [b for b in message["blocks"] if b["text"]["type"] == "plain_text"]
    assert actions["text"]["text"] == "<@U0EVIL> *bold* & more"


def test_a_long_queue_stays_within_a_messages_blocks():
    message = spot_checks_message([CHECK] * 60)
    assert_within_slack_limits(message)
    assert "…and 40 more" in everything(message)


def test_the_spot_check_modal_holds_the_case_and_the_finding():
    modal = spot_check_modal(SpotCheckOpened(CHECK, FORUM))
    assert_within_slack_limits(modal)
    assert_slack_sdk_reads_it_back(modal)
    assert modal["private_metadata"] == "7"


def report_of(bodies: int) -> Report:
    figures = [Figure("committed", "weekly", Decimal("1960.00")), Figure("forecast", "approval_rate", Decimal("0.9"))]
    figures += [Figure("committed", "weekly", Decimal(n), body=f"body_{n}") for n in range(bodies)]
    index = {(f.section, f.measure, f.body, f.service, f.request_type, f.month): f.value for f in figures}
    months = tuple(f"2026-{m:02d}" for m in range(1, 13))
    return Report(start=date(2026, 1, 1), end=date(2026, 12, 31), figures=tuple(figures), months=months,
                  committed_weekly_by_month=tuple(Decimal(m * 10) for m in range(12)),
                  median_turnaround_by_month=(None,) * 6 + tuple(Decimal(m) for m in range(6)), index=index)


def test_the_report_modal_stays_within_a_modals_blocks_with_many_bodies():
    modal = report_modal(report_of(150), {}, 10)
    assert_within_slack_limits(modal)
    assert_slack_sdk_reads_it_back(modal)
    assert "£1,960.00/wk" in everything(modal) and "90.00%" in everything(modal)
    assert len(headline(report_of(3), {}, 10)) == 9 + 3


def test_the_chart_is_a_png_and_its_description_says_what_it_shows():
    report = report_of(2)
    assert render_chart(report).startswith(b"\x89PNG")
    assert chart_description(report) == ("Chart of 12 months, 2026-01 to 2026-12: committed spend went from "
                                          "£0.00/wk to £110.00/wk; median turnaround by month from 0 to 5 working "
                                          "days.")
