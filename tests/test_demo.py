"""`panelbot demo` runs the scripted conversation through the real app and prints it readably."""

import io
import re
import subprocess
import sys

import pytest

from handlers.slack.demo import run_demo


@pytest.fixture(scope="module")
def demo() -> str:
    """The demo's whole output (it takes a second or two, so it runs once for these tests)."""
    out = io.StringIO()
    run_demo(out)
    return out.getvalue()


def test_the_demo_shows_help_usage_and_a_refused_forgery(demo):
    text = demo
    assert "Priya (social worker) types `/panel help`" in text
    assert "• `/panel help` — show this list" in text
    assert "I don't know `sumbit`" in text
    assert "panelbot refuses the request: HTTP 401" in text
    assert "Traceback" not in text


def test_the_demo_shows_a_submission_for_each_route(demo):
    text = demo
    for route in ("Route: Enhanced Peer Forum", "Route: Delegated sign-off", "Route: SEND Quality Assurance Panel",
                  "Route: Urgent decision out of panel"):
        assert route in text
    assert "already in flight" in text


def test_the_demo_shows_a_booking_a_clash_a_cancel_and_the_agenda(demo):
    text = demo
    assert "Case 1234567 is booked: Tuesday 24 November 2026, 12:00–12:30" in text
    assert "has just been booked by someone else: pick another" in text
    assert "is cancelled (by @Priya)" in text
    assert "== Enhanced Peer Forum — Wednesday 25 November 2026 ==" in text


def test_the_demo_shows_decisions_a_refusal_a_delegated_sign_off_and_an_endorsement(demo):
    text = demo
    assert "🚫 Only the chair of the Enhanced Peer Forum on Tuesday 24 November" in text
    assert "Case 5678901: Approved by @Sam" in text
    assert "a reply in the case's thread in #enhanced-peer-forum" in text
    assert "Case 2345678: Approved by @Tomás" in text
    assert "a reply in the case's thread in #delegated-sign-off" in text
    assert "Case 4567890: Endorsed by @Sam" in text


def test_the_demo_shows_a_reminder_a_snooze_and_an_escalation(demo):
    text = demo
    assert text.count("*Reminder: Forum slot next working day for case 1234567*") == 3  # Priya, Anna, Priya again
    assert "Snoozed: case 1234567 comes back on Thursday 26 November 2026 at 09:00" in text
    assert "*Reminder: Waiting on your decision for case 6789012*" in text
    assert "case 6789012 — waiting on @Tomás" in text


def test_the_demo_shows_a_placement_creating_an_initial_visit_and_the_chain_after_it(demo):
    assert "Placement recorded: case 7654321 at Oakwood House. Initial visit due by Thursday 3 December 2026." in demo
    assert "Completed form sent to the Senior QA Officer — due Tuesday 15 December 2026" in demo
    assert "Form returned by the Senior QA Officer with any actions — due Wednesday 16 December 2026" in demo
    assert "Visits on time: 50%" in demo


def test_the_demo_runs_as_a_command_without_any_slack_settings(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot.cli", "demo"], capture_output=True, text=True, timeout=120,
                            cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, check=False)
    assert result.returncode == 0, result.stderr
    assert "/panel help" in result.stdout
    assert list(tmp_path.iterdir()) == []  # the demo's database is thrown away


def test_the_demo_shows_a_second_councils_policy_beside_the_seeds(demo):
    assert "A second council, from its own policy file: bot/policies/weekly_panel.toml" in demo
    assert "Route: Resource Allocation Panel" in demo
    assert "Papers for the Wednesday 25 November 2026 panel were past their due date" in demo
    assert "is not quorate: it needs 1 more of the finance officers and 1 more of the practice leads" in demo
    assert "Recorded 3 people present at the Resource Allocation Panel on Wednesday 2 December 2026. The panel is " \
           "quorate and may decide." in demo
    assert "( office)" not in demo


def test_the_demo_shows_a_correction_and_a_withdrawal(demo):
    assert "Case 6789012 is corrected:* proposed cost £250.00 → £240.00." in demo
    assert "Case 6789012 is withdrawn. The people on the case and its deciders are told" in demo
    assert "*Reason:* The family found another way (free text)." in demo  # in a DM only
    thread = demo.split("a reply in the case's thread in #delegated-sign-off")[-1].split("sees (a DM")[0]
    assert "The family found another way" not in thread


def test_the_demo_shows_a_spot_check_and_the_report_with_its_chart_in_words(demo):
    text = demo
    assert "each delegated approval draws a number from 0 to 100" in text
    assert "*Spot check: case 7200001 was drawn for a quality check*" in text
    assert "Quinn (senior QA officer) types `/panel spotchecks`" in text
    assert "Spot check of case 7200001 recorded: Practice concern" in text
    assert "Record the carer's assessment (free text)." in text  # to Tomás, by DM
    assert "Pam (panel admin) types `/panel report`" in text
    assert "*Forecast of the year's spend*" in text
    assert "is uploaded to the DM with panelbot: Chart of 12 months" in text


def test_the_demo_shows_calendar_invitations_cover_and_a_home_tab(demo):
    assert "receives a file in a DM from panelbot: panelbot-case-1234567.ics" in demo
    assert "│   METHOD:PUBLISH" in demo and "│   METHOD:CANCEL" in demo
    assert "│   UID:panelbot-case-1@panelbot" in demo
    cover = demo.split("names a colleague to chair in their place")[1].split("── Monitoring visits")[0]
    assert "Cover set" in cover
    assert "*Approved by @Sam for @Nadia at 09:05 on Thursday 26 November 2026*" in cover
    channel_posts = [re.split(r"\n  (?! )", part)[0] for part in cover.split("#enhanced-peer-forum sees")[1:]]
    assert len(channel_posts) == 2 and all("@Nadia" in post for post in channel_posts)
    assert not any("Agreed, with a review" in post for post in channel_posts)  # the reason stays out of channels
    assert "Priya (social worker)'s Home tab shows:" in cover
    assert "*Waiting on you (0)*" in cover
    assert demo.count("Home tab shows:") == 1  # routine refreshes are not printed


def test_the_demo_refuses_an_nhs_number_as_a_reference_without_repeating_it(demo):
    step = demo.split("An NHS number typed as the reference is refused")[1].split("── ")[0]
    assert "⚠ reference: That looks like it holds an NHS number." in step
    assert step.count("943 476 5919") == 1  # only in the line saying what Priya typed, never in panelbot's answer
