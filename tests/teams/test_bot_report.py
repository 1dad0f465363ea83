"""The report in Teams, over real HTTP against the Teams stand-in (the Teams counterpart of
tests/test_report.py): a reporter types "report" with a period and gets the same figures Slack's
report shows, as a card in their own chat with panelbot; figures only, never a name or anything typed;
typed in a channel, the channel gets only a pointer; someone who is not one of the policy's reporters,
or a period panelbot cannot read, gets a sentence; nothing is written either way."""

from __future__ import annotations

import json

import pytest

from bot.services import Services
from bot.services.report import build
from messages.slack.report import headline as slacks_headline
from messages.teams.render import render_text
from tests.teams.test_bot_harness import ADMIN, PRIYA, Teams, counts, everyone_installed, policy, teams
from tests.test_report import PERIOD, data_set

FIXTURES = (data_set, everyone_installed, policy, teams)  # pytest finds these fixtures by their names


@pytest.fixture
def services(teams: Teams) -> Services:
    """The Teams bot's own services, for tests/test_report.py's hand-computed data set."""
    return teams.services


def report_of(teams: Teams, who: str, text: str) -> str:
    teams.send(teams.message(who, text))
    return render_text(teams.chat(who)[-1])


def test_a_reporter_gets_the_same_figures_as_slacks_report_in_their_own_chat(everyone_installed, data_set):
    teams = everyone_installed
    before = counts(teams.services.engine)
    shown = report_of(teams, ADMIN, "report 2026-08-01..2026-09-30")  # Pat is a panel admin: a reporter
    assert shown.startswith("== Report ==\nSaturday 1 August 2026 to Wednesday 30 September 2026")
    figures = build(teams.services, *PERIOD)
    names = {key: body.name for key, body in teams.services.policy.bodies.items()}
    for title, text in slacks_headline(figures, names, 10):
        assert f"{title}\n{text}" in shown, title
    for figure in ("£1,960.00/wk", "£101,920.00/yr", "£230.00/wk", "£112,469.80", "median 2, 90th percentile 10",
                   "100.00% within 10", "54.55% of 11", "1 of 2 on time", "2 drawn: 1 agreed"):
        assert figure in shown, figure
    # What Slack draws as a chart, month by month.
    assert "• September 2026: £1,960.00/wk committed; median turnaround 2 working days" in shown
    assert "• June 2026: £0.00/wk committed; no decisions" in shown
    # Figures only: not the people's needs or the decisions' reasons, not a case reference.
    assert "Mrs Example" not in shown and "Typed reason" not in shown and "1000001" not in shown
    assert counts(teams.services.engine)[:2] == before[:2]  # a report writes nothing


def test_typed_in_a_channel_the_report_goes_only_to_the_persons_own_chat(everyone_installed, data_set):
    teams = everyone_installed
    teams.send(teams.message(ADMIN, "report 2026-09", channel=teams.forum_channel))
    channel = teams.standin.posted_in(teams.forum_channel)
    assert [a.get("text") for a in channel] == ["I have answered you in your chat with panelbot."]
    assert "£" not in json.dumps(channel, ensure_ascii=False)
    assert render_text(teams.chat(ADMIN)[-1]).startswith("== Report ==\nTuesday 1 September 2026 to Wednesday 30 "
                                                        "September 2026")


def test_only_the_policys_reporters_see_reports(everyone_installed, data_set):
    teams = everyone_installed
    shown = report_of(teams, PRIYA, "report")
    assert shown == "== panelbot ==\nOnly the people the council's policy names for reports can see them."


def test_a_period_panelbot_does_not_understand_gets_a_sentence(everyone_installed):
    teams = everyone_installed
    assert "Give the period as a month" in report_of(teams, ADMIN, "report last tuesday")
    assert "Ask for three years at most." in report_of(teams, ADMIN, "report 2020-01-01..2026-01-01")


def test_the_default_period_is_the_twelve_months_to_today(everyone_installed):
    teams = everyone_installed
    shown = report_of(teams, ADMIN, "report")
    assert shown.startswith("== Report ==\nMonday 1 December 2025 to Tuesday 24 November 2026")
    assert "Committed spend\n£0.00/wk, £0.00/yr (0 packages)" in shown
