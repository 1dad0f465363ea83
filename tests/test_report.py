"""The report (issue 14): every figure checked against a small hand-computed data set, through the
real app (`/panel report`, its modal and chart upload) and the CSV export (`panelbot report --csv`).

The data set (period 1 August to 30 September 2026, British Summer Time; Monday 31 August is the
summer bank holiday, so that week has four working days). Working days count after the day of
submission up to and including the day of decision.

ref  body        type          £/wk (agreed)         submitted     decided                         wd
A    delegated   new package   200                    Thu 27 Aug    approved Tue 1 Sep               2 (bank holiday)
B    forum       new package   500 (amended to 450)   Mon 3 Aug     approved with changes Fri 7 Aug  4
C    delegated   increase      300 from 250 (+50)     Mon 10 Aug    approved Wed 12 Aug              2
D    forum       new package   400                    Tue 4 Aug     declined Tue 18 Aug             10 (= target)
E    delegated   new package   100                    Mon 3 Aug     approved Wed 5 Aug; withdrawn 15 Sep  2
F    forum       new package   600                    Fri 28 Aug    approved Tue 1 Sep 23:30 UTC = Wed 2 Sep  2
G    delegated   new package   150                    Mon 14 Sep    deferred Wed 16 Sep; resubmitted, waiting
H    send_panel  new package   80 (children's SEND)   Sun 20 Sep    waiting (listed)
I    delegated   new package   120                    Wed 1 Jul     approved Fri 3 Jul (before the period)
J    delegated   decrease      90 from 150 (−60)      Mon 21 Sep    approved Tue 22 Sep              1
L    forum       new package   380                    Tue 1 Sep     deferred Fri 4 Sep; round 2 approved Fri 11 Sep  8
M    forum       new package   700                    Mon 7 Sep     withdrawn Thu 10 Sep, undecided
N    urgent      new package   220                    Thu 24 Sep    approved the same day (waits for endorsement)  0
"""

import csv
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.cli import main
from bot.domain.report import nearest_rank, parse_period
from bot.services.report import build
from messages.slack.report import headline
from store.models import Case, Decision, Provision, SpotCheck, Visit
from tests.conftest import dispatch

REPORTER, STRANGER, TOMAS = "U0PANELAD1", "U0STRANGER", "U0TOMAS"


def at(day: str, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}:00+00:00")


def case(reference, route, request_type, proposed, submitted, *, stage, current=None, service="adults",
         round_=1, updated=None, follow_on=None):
    return Case(reference=reference, submission_key=f"k{reference}", service=service, request_type=request_type,
                proposed_weekly=Decimal(proposed), ras_weekly=None,
                current_weekly=None if current is None else Decimal(current), hours_per_month=None,
                respite_weeks_per_year=None, urgent=route == "urgent", urgent_reason=None,
                strengths_and_needs="Mrs Example's needs", outcomes="typed outcomes", alternatives=None, evidence=[],
                record_link=None, submitter="U0PRIYA", team_manager=TOMAS, attendee=None, route=route, reasons=[],
                then=[], practitioner_must_attend=False, attendance=[], evidence_required=[], stage=stage,
                is_open=stage in ("awaiting_sign_off", "listed", "deferred"), round=round_,
                follow_on_body=follow_on, submitted_at=at(submitted), updated_at=updated or at(submitted))


def decision(row, outcome, when, *, amended=None, round_=1, kind="decision"):
    return Decision(case_id=row.id, round=round_, kind=kind, outcome=outcome, reason="Typed reason naming someone",
                    amended_weekly=None if amended is None else Decimal(amended), stage_after=outcome,
                    decided_by=TOMAS, decided_at=when)


@pytest.fixture
def data_set(services):
    with services.sessions.begin() as s:
        rows = {
            "A": case("1000001", "delegated", "new_package", 200, "2026-08-27", stage="approved"),
            "B": case("1000002", "forum", "new_package", 500, "2026-08-03", stage="approved_with_changes"),
            "C": case("1000003", "delegated", "increase", 300, "2026-08-10", stage="approved", current=250),
            "D": case("1000004", "forum", "new_package", 400, "2026-08-04", stage="declined"),
            "E": case("1000005", "delegated", "new_package", 100, "2026-08-03", stage="withdrawn",
                      updated=at("2026-09-15", "11:00")),
            "F": case("1000006", "forum", "new_package", 600, "2026-08-28", stage="approved"),
            "G": case("1000007", "delegated", "new_package", 150, "2026-09-14", stage="awaiting_sign_off", round_=2),
            "H": case("1000008", "send_panel", "new_package", 80, "2026-09-20", stage="listed",
                      service="children_send"),
            "I": case("1000009", "delegated", "new_package", 120, "2026-07-01", stage="approved"),
            "J": case("1000010", "delegated", "decrease", 90, "2026-09-21", stage="approved", current=150),
            "L": case("1000011", "forum", "new_package", 380, "2026-09-01", stage="approved", round_=2),
            "M": case("1000012", "forum", "new_package", 700, "2026-09-07", stage="withdrawn",
                      updated=at("2026-09-10")),
            "N": case("1000013", "urgent", "new_package", 220, "2026-09-24", stage="awaiting_endorsement",
                      follow_on="forum"),
        }
        s.add_all(rows.values())
        s.flush()
        r = rows
        decisions = [
            decision(r["A"], "approved", at("2026-09-01")),
            decision(r["B"], "approved_with_changes", at("2026-08-07"), amended=450),
            decision(r["C"], "approved", at("2026-08-12")),
            decision(r["D"], "declined", at("2026-08-18")),
            decision(r["E"], "approved", at("2026-08-05")),
            decision(r["F"], "approved", at("2026-09-01", "23:30")),  # 00:30 on Wednesday 2 September in London
            decision(r["G"], "deferred", at("2026-09-16")),
            decision(r["I"], "approved", at("2026-07-03")),
            decision(r["J"], "approved", at("2026-09-22")),
            decision(r["L"], "deferred", at("2026-09-04")),
            decision(r["L"], "approved", at("2026-09-11"), round_=2),
            decision(r["N"], "approved", at("2026-09-24", "14:00")),
        ]
        s.add_all(decisions)
        s.flush()
        s.add_all([
            SpotCheck(case_id=r["A"].id, decision_id=decisions[0].id, round=1, draw=Decimal("3.5"),
                      threshold=Decimal(10), why=["random"], state="agreed", drawn_at=at("2026-09-01")),
            SpotCheck(case_id=r["C"].id, decision_id=decisions[2].id, round=1, draw=Decimal("7.25"),
                      threshold=Decimal(10), why=["random"], state="open", drawn_at=at("2026-08-12")),
        ])
        home = Provision(name="Oak House", provision_type="residential_home", created_by="U0PCO",
                         created_at=at("2026-07-01"), updated_at=at("2026-07-01"))
        s.add(home)
        s.flush()
        s.add_all([
            Visit(provision_id=home.id, kind="annual", due_on=date(2026, 9, 10), why="annual", state="done",
                  done_on=date(2026, 9, 9), created_at=at("2026-07-01")),
            Visit(provision_id=home.id, kind="concern", due_on=date(2026, 9, 1), why="concern", state="done",
                  done_on=date(2026, 9, 3), created_at=at("2026-07-01")),
        ])
    return rows


# Every figure, worked out by hand from the table above (as at Wednesday 30 September 2026).
EXPECTED = {
    # committed: A 200 + B 450 + C 50 + F 600 + I 120 + J −60 + L 380 + N 220 (E withdrawn 15 Sep)
    ("committed", "weekly", "", "", ""): "1960.00",
    ("committed", "yearly", "", "", ""): "101920.00",
    ("committed", "cases", "", "", ""): "8",
    ("committed", "weekly", "delegated", "", ""): "310.00",
    ("committed", "cases", "delegated", "", ""): "4",
    ("committed", "weekly", "forum", "", ""): "1430.00",
    ("committed", "weekly", "urgent", "", ""): "220.00",
    ("committed", "weekly", "", "adults", ""): "1960.00",
    ("committed", "weekly", "", "", "new_package"): "1970.00",
    ("committed", "weekly", "", "", "increase"): "50.00",
    ("committed", "weekly", "", "", "decrease"): "-60.00",
    ("committed", "weekly", "delegated", "adults", "decrease"): "-60.00",
    # pipeline: G 150 (deferred, resubmitted) + H 80; M withdrawn, D declined
    ("pipeline", "weekly", "", "", ""): "230.00",
    ("pipeline", "yearly", "", "", ""): "11960.00",
    ("pipeline", "cases", "", "", ""): "2",
    ("pipeline", "weekly", "send_panel", "", ""): "80.00",
    ("pipeline", "weekly", "", "children_send", ""): "80.00",
    # 9 approvals, 1 decline; agreed 2460 of proposed 2510; 101920 + 11960 × 0.9 × 0.9801
    ("forecast", "approval_rate", "", "", ""): "0.9000",
    ("forecast", "amendment_ratio", "", "", ""): "0.9801",
    ("forecast", "yearly", "", "", ""): "112469.80",
    # turnaround: 0 1 2 2 2 2 4 8 10 (I is July's)
    ("turnaround", "decided", "", "", ""): "9",
    ("turnaround", "median_working_days", "", "", ""): "2",
    ("turnaround", "p90_working_days", "", "", ""): "10",
    ("turnaround", "within_target", "", "", ""): "1.0000",
    ("turnaround", "median_working_days", "delegated", "", ""): "2",  # 1 2 2 2
    ("turnaround", "p90_working_days", "delegated", "", ""): "2",
    ("turnaround", "median_working_days", "forum", "", ""): "4",  # 2 4 8 10
    ("turnaround", "p90_working_days", "forum", "", ""): "10",
    ("turnaround", "median_working_days", "urgent", "", ""): "0",
    # outcomes in the period: 11 decisions, 6 at person bodies (A C E J G N)
    ("outcomes", "decision:approved", "", "", ""): "7",
    ("outcomes", "decision:approved_with_changes", "", "", ""): "1",
    ("outcomes", "decision:declined", "", "", ""): "1",
    ("outcomes", "decision:deferred", "", "", ""): "2",
    ("outcomes", "decisions", "", "", ""): "11",
    ("outcomes", "delegated", "", "", ""): "6",
    ("outcomes", "delegated_share", "", "", ""): "0.5455",
    ("outcomes", "deferrals", "", "", ""): "2",
    ("outcomes", "resubmissions_decided", "", "", ""): "1",
    ("follow_ons", "waiting", "", "", ""): "1",
    ("follow_ons", "waiting", "forum", "", ""): "1",
    ("spot_checks", "drawn", "", "", ""): "2",
    ("spot_checks", "agreed", "", "", ""): "1",
    ("spot_checks", "open", "", "", ""): "1",
    ("spot_checks", "concern", "", "", ""): "0",
    ("visits", "done", "", "", ""): "2",
    ("visits", "on_time", "", "", ""): "1",
    ("visits", "on_time_share", "", "", ""): "0.5000",
}
MONTHLY = {"2026-06": "0.00", "2026-07": "120.00", "2026-08": "720.00", "2026-09": "1960.00"}
MONTHLY_MEDIAN = {"2026-07": "2", "2026-08": "2", "2026-09": "2"}
PERIOD = (date(2026, 8, 1), date(2026, 9, 30))


def test_every_figure_matches_the_hand_computed_data_set(services, data_set):
    report = build(services, *PERIOD)
    for (section, measure, body, service, request_type), expected in EXPECTED.items():
        assert str(report.value(section, measure, body, service, request_type)) == expected, (section, measure, body)
    assert report.months[0] == "2025-10" and report.months[-1] == "2026-09"
    for month, expected in MONTHLY.items():
        assert str(report.value("monthly", "committed_weekly", month=month)) == expected, month
    for month, expected in MONTHLY_MEDIAN.items():
        assert str(report.value("monthly", "median_working_days", month=month)) == expected, month


def test_the_screen_and_the_csv_show_the_same_figures(app, signer, slack, services, data_set, tmp_path, monkeypatch,
                                                      database_url, capsys):
    # The clock is pinned to 24 November 2026; the period asked for is August and September.
    dispatch(app, signer.command(REPORTER, "report 2026-08-01..2026-09-30"))
    [opened] = slack.calls_to("views.open")  # at once, while the trigger lives: "Working out the figures…"
    assert "Working out the figures" in json.dumps(opened.args["view"], ensure_ascii=False)
    [filled] = slack.calls_to("views.update")
    modal = json.dumps(filled.args["view"], ensure_ascii=False)
    report = build(services, *PERIOD)
    names = {key: body.name for key, body in services.policy.bodies.items()}
    for heading, text in headline(report, names, 10):
        assert json.dumps(text, ensure_ascii=False)[1:-1] in modal, heading
    for shown in ("£1,960.00/wk", "£101,920.00/yr", "£230.00/wk", "£112,469.80", "median 2, 90th percentile 10",
                  "100.00% within 10", "54.55% of 11", "1 of 2 on time", "2 drawn: 1 agreed"):
        assert shown in modal, shown
    assert "Mrs Example" not in modal and "Typed reason" not in modal

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PANELBOT_POLICY", "")
    monkeypatch.delenv("PANELBOT_POLICY")
    path = tmp_path / "report.csv"
    assert main(["report", "--csv", str(path), "--from", "2026-08-01", "--to", "2026-09-30"]) == 0
    assert "report" in capsys.readouterr().err  # the progress bar, on stderr
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    written = {(r["section"], r["measure"], r["body"], r["service"], r["request_type"], r["month"]): r["value"]
               for r in rows}
    assert written == {(f.section, f.measure, f.body, f.service, f.request_type, f.month): str(f.value)
                       for f in report.figures}
    for (section, measure, body, service, request_type), expected in EXPECTED.items():
        assert written[(section, measure, body, service, request_type, "")] == expected
    assert {r["period_start"] for r in rows} == {"2026-08-01"}
    text = path.read_text(encoding="utf-8")
    assert "Mrs Example" not in text and "Typed reason" not in text and "1000001" not in text


def test_the_chart_is_rendered_and_uploaded_to_the_reporters_dm(app, signer, slack, data_set):
    dispatch(app, signer.command(REPORTER, "report 2026-08-01..2026-09-30"))
    [asked] = slack.calls_to("files.getUploadURLExternal")
    [uploaded] = slack.calls_to("files.upload")
    [completed] = slack.calls_to("files.completeUploadExternal")
    assert asked.args["filename"] == "panelbot-report-2026-08-01-2026-09-30.png"
    assert completed.args["channel_id"] == "D0PANELAD1"  # the app's DM with the reporter
    assert "committed spend went from £0.00/wk to £1,960.00/wk" in completed.args["initial_comment"]
    png = slack.files.uploads[uploaded.args["file_id"]]
    assert png.startswith(b"\x89PNG") and uploaded.args["length"] == len(png)


def test_a_chart_that_cannot_be_uploaded_still_leaves_the_figures(app, signer, slack, data_set):
    slack.fail_next("files.getUploadURLExternal", error="missing_scope")
    response = dispatch(app, signer.command(REPORTER, "report 2026-09"))
    assert response.status == 200 and slack.calls_to("views.update")
    assert "the chart could not be sent" in slack.calls_to("response_url")[-1].args["text"]


def test_only_the_policys_reporters_see_reports(app, signer, slack, data_set):
    answer = json.loads(dispatch(app, signer.command(STRANGER, "report")).body)
    assert "Only the people the council's policy names" in answer["text"]
    assert slack.calls_to("views.open") == [] and slack.calls_to("files.getUploadURLExternal") == []


def test_a_period_panelbot_does_not_understand_gets_a_sentence(app, signer, slack):
    answer = json.loads(dispatch(app, signer.command(REPORTER, "report last tuesday")).body)
    assert "Give the period as a month" in answer["text"]


@pytest.mark.parametrize(("text", "expected"), [
    ("", (date(2025, 12, 1), date(2026, 11, 24))),
    ("2026-02", (date(2026, 2, 1), date(2026, 2, 28))),
    ("2026-12", None),
    ("2025", (date(2025, 1, 1), date(2025, 12, 31))),
    ("2026", (date(2026, 1, 1), date(2026, 11, 24))),
    ("2026-08-01..2026-09-30", (date(2026, 8, 1), date(2026, 9, 30))),
    ("2026-09-30..2026-08-01", None),
    ("2020-01-01..2026-01-01", None),
])
def test_periods(text, expected):
    from bot.domain.report import PeriodError

    if expected is None:
        with pytest.raises(PeriodError):
            parse_period(text, date(2026, 11, 24))
    else:
        assert parse_period(text, date(2026, 11, 24)) == expected


def test_nearest_rank_percentiles():
    assert nearest_rank({}, 50) is None
    assert nearest_rank({0: 1, 1: 1, 2: 4, 4: 1, 8: 1, 10: 1}, 50) == 2
    assert nearest_rank({0: 1, 1: 1, 2: 4, 4: 1, 8: 1, 10: 1}, 90) == 10
    assert nearest_rank({3: 1}, 90) == 3


def test_a_report_over_an_empty_database_is_all_zeros(services):
    report = build(services, date(2026, 11, 1), date(2026, 11, 24))
    assert report.value("committed", "weekly") == Decimal("0.00")
    assert report.value("forecast", "yearly") == Decimal("0.00")
    assert report.value("turnaround", "median_working_days") is None
    assert report.value("outcomes", "delegated_share") == Decimal(0)


def test_the_pinned_clock_is_what_today_means(services):
    assert services.now() == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_a_renewed_package_stops_when_its_renewal_is_agreed(services):
    """A SEND package resubmitted after 12 months: the renewal replaces it, the two are not added up."""
    with services.sessions.begin() as s:
        first = case("2000001", "send_panel", "new_package", 300, "2026-06-01", stage="approved",
                     service="children_send")
        s.add(first)
        s.flush()
        renewal = case("2000001", "send_panel", "new_package", 320, "2026-08-20", stage="approved",
                       service="children_send")
        renewal.submission_key, renewal.renews_case_id = "k2000001-renewal", first.id
        s.add(renewal)
        s.flush()
        s.add_all([decision(first, "approved", at("2026-06-10")), decision(renewal, "approved", at("2026-09-09"))])
    august = build(services, date(2026, 8, 1), date(2026, 8, 31))
    assert (august.value("committed", "weekly"), august.value("committed", "cases")) == (Decimal("300.00"), 1)
    september = build(services, date(2026, 9, 1), date(2026, 9, 30))
    assert (september.value("committed", "weekly"), september.value("committed", "cases")) == (Decimal("320.00"), 1)
    assert [str(september.value("monthly", "committed_weekly", month=m)) for m in
            ("2026-05", "2026-06", "2026-07", "2026-08", "2026-09")] == ["0.00", "300.00", "300.00", "300.00",
                                                                         "320.00"]
