"""The reminder and review builders: one DM for everything due, its buttons and block ids, the
answers to Done and Snooze on the London clock, the admin's notice of an undelivered reminder, the
review form and its confirmation; Slack's limits (DESIGN.md §7) and privacy (§4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.domain.calendar import LONDON
from bot.domain.cases import Stage
from bot.domain.decisions import DecisionKind, DecisionView, Outcome
from bot.domain.reminders import (
    PACKAGE_LABELS,
    QUALITY_LABELS,
    REMINDER_LABELS,
    PackageAfterReview,
    QualityOfLife,
    ReminderItem,
    ReminderKind,
    ReviewRecorded,
)
from messages.slack.ids import VALUE, Action, Callback, ReviewField
from messages.slack.reminders import (
    MAX_ITEMS_PER_DM,
    reminder_block_id,
    reminder_dm,
    reminder_done_text,
    reminder_failed_admin,
    reminder_snoozed_text,
    review_modal,
    review_recorded_text,
)
from messages.slack.text import render_message, render_view
from tests.messages.test_case_messages import (
    CANARIES,
    DECIDED,
    ENDORSING,
    FORUM,
    MESSAGE_BLOCKS,
    TOMAS,
    assert_slack_sdk_reads_it_back,
    assert_within_slack_limits,
    everything,
)

# Tuesday 24 November 2026, 09:00 in London (GMT).
DUE = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
WHY = {
    ReminderKind.FORUM_TOMORROW: "Forum slot Wednesday 25 November 2026, 09:00–09:30",
    ReminderKind.REVIEW_DUE: "Review due Tuesday 24 November 2026",
    ReminderKind.RESUBMISSION_DUE: "Back at the panel by Wednesday 9 December 2026",
    ReminderKind.RESUBMIT_DEFERRED: "Deferred on Tuesday 10 November 2026",
    ReminderKind.DECISION_WAITING: "Waiting since Tuesday 17 November 2026",
    ReminderKind.DECISION_OVERDUE: "Waiting since Tuesday 10 November 2026",
    ReminderKind.VISIT_CONFIRM: "Confirm the visit on Monday 7 December 2026 with the provider",
    ReminderKind.VISIT_STEP_DUE: "Report to SQAO: due Monday 14 December 2026",
    ReminderKind.VISIT_STEP_OVERDUE: "Report to SQAO was due Monday 14 December 2026",
    ReminderKind.VISIT_DUE: "Oakwood House: annual visit due Monday 14 December 2026",
    ReminderKind.VISIT_OVERDUE: "Oakwood House: annual visit due Monday 14 December 2026, not yet done",
    ReminderKind.SPOT_CHECK_DUE: "spot check drawn Tuesday 17 November 2026",
    ReminderKind.SPOT_CHECK_OVERDUE: "spot check drawn Tuesday 10 November 2026",
}


def item(n: int, kind: ReminderKind = ReminderKind.REVIEW_DUE, **changes: Any) -> ReminderItem:
    reminder = ReminderItem(id=100 + n, kind=kind, case_id=n, reference=f"{1234567 + n}", why=WHY[kind], due_at=DUE)
    return replace(reminder, **changes)


ONE = item(0)
OVERDUE = item(1, ReminderKind.DECISION_OVERDUE, late_person=TOMAS)
FIFTEEN = [item(n, list(ReminderKind)[n % len(ReminderKind)]) for n in range(MAX_ITEMS_PER_DM)]


def words(payload: dict[str, Any]) -> str:
    return "\n".join(render_view(payload) if payload.get("type") == "modal" else render_message(payload))


def actions_blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [block for block in message["blocks"] if block["type"] == "actions"]


def review(package: PackageAfterReview, quality: QualityOfLife = QualityOfLife.IMPROVED,
           next_review_on: date | None = date(2027, 11, 24)) -> ReviewRecorded:
    return ReviewRecorded(case_id=1, reference="1234567", quality_of_life=quality, package=package,
                          next_review_on=next_review_on)


# --- The reminder DM ------------------------------------------------------------------------------------


def test_one_reminder_is_named_in_the_first_line_and_the_fallback():
    message = reminder_dm([ONE])
    assert message["text"] == "Reminder: Review due for case 1234567"
    assert message["blocks"][0]["text"]["text"] == "*Reminder: Review due for case 1234567*"
    assert message["blocks"][1]["text"]["text"] == "*Review due* — case 1234567\nReview due Tuesday 24 November 2026"
    assert [block["type"] for block in message["blocks"]] == ["section", "section", "actions"]


def test_many_reminders_are_counted_and_listed_in_the_order_given():
    items = [item(0), item(1, ReminderKind.FORUM_TOMORROW), item(2, ReminderKind.DECISION_WAITING)]
    message = reminder_dm(items)
    assert message["blocks"][0]["text"]["text"] == "*You have 3 reminders: cases 1234567, 1234568 and 1234569*"
    sections = [block["text"]["text"] for block in message["blocks"][1:] if block["type"] == "section"]
    assert [text.split("\n")[0] for text in sections] == [
        "*Review due* — case 1234567",
        "*Forum slot next working day* — case 1234568",
        "*Waiting on your decision* — case 1234569",
    ]


def test_the_fallback_text_lists_each_reference_once_and_nothing_else():
    message = reminder_dm([item(0), item(1, ReminderKind.FORUM_TOMORROW, reference="1234567"), item(2)])
    assert message["text"] == "You have 3 reminders: cases 1234567 and 1234569"
    assert "November" not in message["text"]


def test_fifteen_reminders_fit_within_slacks_fifty_blocks():
    message = reminder_dm(FIFTEEN)
    assert MAX_ITEMS_PER_DM == 15
    assert len(message["blocks"]) == 1 + 2 * MAX_ITEMS_PER_DM <= MESSAGE_BLOCKS
    assert len(actions_blocks(message)) == MAX_ITEMS_PER_DM
    assert message["text"].startswith("You have 15 reminders: cases 1234567, 1234568,")
    assert_within_slack_limits(message)
    assert_slack_sdk_reads_it_back(message)


def test_more_reminders_than_fit_in_one_dm_are_refused():
    with pytest.raises(ValueError, match="at most 15"):
        reminder_dm([*FIFTEEN, item(99)])


def test_a_dm_with_no_reminders_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        reminder_dm([])


def test_a_reminder_given_twice_is_refused_because_its_block_id_would_repeat():
    with pytest.raises(ValueError, match="twice"):
        reminder_dm([ONE, replace(ONE, kind=ReminderKind.FORUM_TOMORROW)])


@pytest.mark.parametrize("kind", list(ReminderKind), ids=[kind.value for kind in ReminderKind])
def test_every_kind_shows_its_label_reference_and_why(kind):
    message = reminder_dm([item(3, kind)])
    assert message["text"] == f"Reminder: {REMINDER_LABELS[kind]} for case 1234570"
    text = message["blocks"][1]["text"]["text"]
    assert text.startswith(f"*{REMINDER_LABELS[kind]}* — case 1234570")
    assert text.endswith(f"\n{WHY[kind]}")
    assert_within_slack_limits(message)
    assert_slack_sdk_reads_it_back(message)


def test_an_escalation_says_who_the_decision_is_waiting_on():
    text = reminder_dm([OVERDUE])["blocks"][1]["text"]["text"]
    assert text == (
        f"*Decision overdue (escalated)* — case 1234568 — waiting on <@{TOMAS}>\nWaiting since Tuesday 10 November 2026"
    )


def test_only_an_escalation_names_the_late_person():
    waiting = item(2, ReminderKind.DECISION_WAITING, late_person=TOMAS)
    assert TOMAS not in everything(reminder_dm([waiting]))
    assert "waiting on" not in everything(reminder_dm([replace(OVERDUE, late_person=None)]))


def test_an_escalation_to_a_user_group_mentions_the_group():
    group = replace(OVERDUE, late_person="S0OPSMGRS1")
    assert "waiting on <!subteam^S0OPSMGRS1>" in words(reminder_dm([group]))


def test_block_ids_are_unique_and_name_the_reminder():
    message = reminder_dm(FIFTEEN)
    block_ids = [block["block_id"] for block in message["blocks"] if "block_id" in block]
    assert block_ids == [reminder_block_id(reminder.id) for reminder in FIFTEEN]
    assert len(set(block_ids)) == len(block_ids)
    assert reminder_block_id(101) == "reminder_101"


def test_each_reminder_has_done_snooze_and_open_buttons_with_the_right_ids_and_values():
    [actions] = actions_blocks(reminder_dm([OVERDUE]))
    assert actions["block_id"] == "reminder_101"
    assert [(b["text"]["text"], b["action_id"], b["value"], b.get("style")) for b in actions["elements"]] == [
        ("Done", Action.REMINDER_DONE, "101", "primary"),
        ("Snooze 1 day", Action.SNOOZE_DAY, "101", None),
        ("Snooze 1 week", Action.SNOOZE_WEEK, "101", None),
        ("Open the case", Action.OPEN_CASE, "1", None),
    ]


def test_each_items_buttons_follow_its_own_section():
    message = reminder_dm(FIFTEEN)
    for index, reminder in enumerate(FIFTEEN):
        section, actions = message["blocks"][1 + 2 * index], message["blocks"][2 + 2 * index]
        assert f"case {reminder.reference}" in section["text"]["text"]
        assert {button["value"] for button in actions["elements"]} == {str(reminder.id), str(reminder.case_id)}


def test_the_dm_reads_as_lines_with_its_buttons():
    lines = render_message(reminder_dm([ONE, OVERDUE]))
    assert lines == [
        "*You have 2 reminders: cases 1234567 and 1234568*",
        "*Review due* — case 1234567",
        "Review due Tuesday 24 November 2026",
        "[Done]  [Snooze 1 day]  [Snooze 1 week]  [Open the case]",
        f"*Decision overdue (escalated)* — case 1234568 — waiting on <@{TOMAS}>",
        "Waiting since Tuesday 10 November 2026",
        "[Done]  [Snooze 1 day]  [Snooze 1 week]  [Open the case]",
    ]


def test_the_why_and_the_reference_are_escaped_so_they_cannot_mention_anyone():
    odd = item(4, why="<!channel> & <@U0SOMEONE>", reference="12<3>")
    payload = everything(reminder_dm([odd]))
    assert "<!channel>" not in payload and "<@U0SOMEONE>" not in payload and "12<3>" not in payload
    assert "&lt;!channel&gt; &amp; &lt;@U0SOMEONE&gt;" in payload


def test_a_very_long_why_is_cut_to_a_sections_3000_characters():
    message = reminder_dm([item(5, why="x" * 5000)])
    assert len(message["blocks"][1]["text"]["text"]) == 3000
    assert message["blocks"][1]["text"]["text"].endswith("…")
    assert_within_slack_limits(message)


def test_the_dm_carries_only_references_labels_and_the_services_words():
    message = everything(reminder_dm([ONE, OVERDUE]))
    for unexpected in ("£", "Mrs", "CANARY"):
        assert unexpected not in message


# --- Done and Snooze -----------------------------------------------------------------------------------


def test_done_is_confirmed_with_the_reference():
    assert reminder_done_text("1234567") == "Done: the reminder about case 1234567 is cleared."


def test_a_snooze_says_when_the_reminder_comes_back_on_the_london_clock_in_winter():
    until = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert reminder_snoozed_text("1234567", until) == (
        "Snoozed: case 1234567 comes back on Wednesday 25 November 2026 at 09:00"
    )


def test_a_snooze_across_the_clock_change_prints_the_london_time():
    # The clocks went forward on Sunday 29 March 2026: 09:00 in London on Monday is 08:00 UTC.
    until = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert until == datetime(2026, 3, 30, 9, 0, tzinfo=LONDON)
    assert reminder_snoozed_text("1234567", until) == (
        "Snoozed: case 1234567 comes back on Monday 30 March 2026 at 09:00"
    )


def test_a_snooze_on_the_night_the_clocks_go_back_keeps_the_london_date():
    # 23:30 UTC on Saturday 24 October 2026 is 00:30 on Sunday 25 October in London (still BST).
    until = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)
    assert reminder_snoozed_text("1234567", until).endswith("Sunday 25 October 2026 at 00:30")
    assert reminder_snoozed_text("1234567", until + timedelta(days=2)).endswith("Monday 26 October 2026 at 23:30")


# --- The admin's notice -----------------------------------------------------------------------------------


def test_the_admin_is_told_a_reminder_about_one_case_could_not_be_delivered():
    message = reminder_failed_admin("U0PRIYA", ["1234567"], "user_not_found")
    expected = (
        "A reminder to <@U0PRIYA> about case 1234567 could not be delivered (user_not_found). "
        "Please check that they are still in the workspace, and remind them another way."
    )
    assert message["text"] == expected
    assert message["blocks"] == [{"type": "section", "text": {"type": "mrkdwn", "text": expected}}]


def test_the_admin_notice_names_several_cases_once_each():
    message = reminder_failed_admin("U0PRIYA", ["1234567", "2345678", "1234567", "3456789"], "account_inactive")
    assert "about cases 1234567, 2345678 and 3456789 could not be delivered (account_inactive)." in message["text"]


def test_the_admin_notice_needs_a_case():
    with pytest.raises(ValueError):
        reminder_failed_admin("U0PRIYA", [], "user_not_found")


# --- The review form ------------------------------------------------------------------------------------


def test_the_review_form_has_its_callback_case_id_and_buttons():
    modal = review_modal(FORUM)
    assert modal["type"] == "modal"
    assert modal["callback_id"] == Callback.REVIEW_FORM
    assert modal["private_metadata"] == str(FORUM.id)
    assert (modal["title"]["text"], modal["submit"]["text"], modal["close"]["text"]) == (
        "Review case", "Record review", "Cancel",
    )


def test_the_review_form_opens_with_reference_request_type_and_amount():
    assert review_modal(FORUM)["blocks"][0]["fields"] == [
        {"type": "mrkdwn", "text": "*Case:* 1234567"},
        {"type": "mrkdwn", "text": "*Request:* New package"},
        {"type": "mrkdwn", "text": "*Agreed:* £412.00/wk"},
    ]


def test_the_review_form_shows_the_amount_agreed_with_changes():
    assert "*Agreed:* £380.00/wk" in words(review_modal(DECIDED))


def test_the_amount_agreed_with_changes_still_shows_after_the_panel_endorses_it():
    endorsed = DecisionView(kind=DecisionKind.ENDORSEMENT, outcome=Outcome.ENDORSED, reason="Agreed.",
                            decided_by="U0CHAIR1", decided_at=DECIDED.decisions[0].decided_at + timedelta(days=14),
                            stage_after=Stage.ENDORSED)
    case = replace(DECIDED, decisions=(*DECIDED.decisions, endorsed))
    assert "*Agreed:* £380.00/wk" in words(review_modal(case))
    assert "*Agreed:* £500.00/wk" in words(review_modal(ENDORSING))  # approved as proposed


def test_the_review_form_asks_about_quality_of_life_and_the_package_with_the_labelled_options():
    inputs = {block["block_id"]: block for block in review_modal(FORUM)["blocks"] if block["type"] == "input"}
    assert list(inputs) == [ReviewField.QUALITY_OF_LIFE, ReviewField.PACKAGE, ReviewField.NEW_WEEKLY,
                            ReviewField.NOTES]
    quality, package = inputs[ReviewField.QUALITY_OF_LIFE], inputs[ReviewField.PACKAGE]
    assert quality["label"]["text"] == "Has the person's quality of life improved?"
    for block, labels in ((quality, QUALITY_LABELS), (package, PACKAGE_LABELS)):
        element = block["element"]
        assert element["type"] == "radio_buttons" and element["action_id"] == VALUE
        assert [(o["value"], o["text"]["text"]) for o in element["options"]] == [
            (choice.value, text) for choice, text in labels.items()
        ]
        assert "initial_option" not in element and not block.get("optional")
    assert [o["value"] for o in quality["element"]["options"]] == ["improved", "same", "worse"]
    assert [o["value"] for o in package["element"]["options"]] == ["continues", "changes", "ends"]


def test_the_review_notes_are_optional_long_text_kept_out_of_channels():
    [notes] = [block for block in review_modal(FORUM)["blocks"] if block.get("block_id") == ReviewField.NOTES]
    assert notes["optional"] is True
    assert notes["element"] == {"type": "plain_text_input", "action_id": VALUE, "multiline": True,
                                "max_length": 3000}
    assert notes["hint"]["text"] == "Kept with the case record in panelbot; never shown in a channel."


def test_the_review_form_reads_as_lines():
    assert render_view(review_modal(FORUM)) == [
        "┌ Review case",
        "│ *Case:* 1234567",
        "│ *Request:* New package",
        "│ *Agreed:* £412.00/wk",
        "│ Has the person's quality of life improved?: ____",
        "│ What happens to the package?: ____",
        "│ New weekly cost, if the package changes (£ a week) (optional): ____",
        "│ Notes (optional): ____",
        "└ [Record review]",
    ]


def test_the_review_form_shows_no_free_text_at_all():
    concern = replace(DECIDED.decisions[0], reason="CANARY-reason", conditions="CANARY-conditions",
                      info_needed="CANARY-info", practice_concern="CANARY-concern", concern_actions="CANARY-actions")
    case = replace(DECIDED, decisions=(concern,), **CANARIES)
    assert "CANARY" not in everything(review_modal(case))


def test_a_long_reference_keeps_the_title_and_fields_within_limits():
    modal = review_modal(replace(FORUM, reference="9" * 2500))
    assert modal["title"]["text"] == "Review case"
    assert_within_slack_limits(modal)


# --- The review's confirmation ------------------------------------------------------------------------------


@pytest.mark.parametrize(("package", "expected"), [
    (PackageAfterReview.CONTINUES, "Review recorded for case 1234567: quality of life improved; the package "
                                   "continues. Next review due Wednesday 24 November 2027."),
    (PackageAfterReview.CHANGES, "Review recorded for case 1234567: quality of life improved; the package "
                                 "changes: it goes to the panel for ratification. Next review due Wednesday "
                                 "24 November 2027."),
    (PackageAfterReview.ENDS, "Review recorded for case 1234567: quality of life improved; the package ends: "
                              "no further reviews."),
], ids=["continues", "changes", "ends"])
def test_a_recorded_review_says_what_happens_to_the_package(package, expected):
    assert review_recorded_text(review(package)) == expected


def test_a_change_waiting_for_ratification_names_no_review_date_until_there_is_one():
    assert review_recorded_text(review(PackageAfterReview.CHANGES, next_review_on=None)) == (
        "Review recorded for case 1234567: quality of life improved; the package changes: it goes to the panel "
        "for ratification."
    )


def test_an_ended_package_never_names_a_next_review():
    assert "Next review" not in review_recorded_text(review(PackageAfterReview.ENDS))


@pytest.mark.parametrize(("quality", "words_"), [
    (QualityOfLife.IMPROVED, "quality of life improved;"),
    (QualityOfLife.SAME, "quality of life about the same;"),
    (QualityOfLife.WORSE, "quality of life worse;"),
], ids=["improved", "same", "worse"])
def test_a_recorded_review_says_how_quality_of_life_has_changed(quality, words_):
    assert words_ in review_recorded_text(review(PackageAfterReview.CONTINUES, quality))


# --- Every builder, within Slack's limits ---------------------------------------------------------------------


def _as_message(text: str) -> dict[str, Any]:
    return {"text": text}


BUILDERS = {
    "dm-one": lambda: reminder_dm([ONE]),
    "dm-escalation": lambda: reminder_dm([replace(OVERDUE, reference="1234567")]),
    "dm-fifteen": lambda: reminder_dm(FIFTEEN),
    "failed-admin": lambda: reminder_failed_admin("U0PRIYA", [r.reference for r in FIFTEEN], "user_not_found"),
    "review-modal": lambda: review_modal(replace(DECIDED, reference="1234567")),
    "done": lambda: _as_message(reminder_done_text("1234567")),
    "snoozed": lambda: _as_message(reminder_snoozed_text("1234567", DUE)),
    "recorded": lambda: _as_message(review_recorded_text(review(PackageAfterReview.CONTINUES))),
}


@pytest.mark.parametrize("build", list(BUILDERS.values()), ids=list(BUILDERS))
def test_every_builder_stays_within_slacks_limits_and_reads_as_lines_naming_the_case(build):
    payload = build()
    assert_within_slack_limits(payload)
    if payload.get("blocks"):
        assert_slack_sdk_reads_it_back(payload)
    text = words(payload)
    assert "1234567" in text
    assert "{'" not in text and '{"' not in text
