"""Recording who is present at a panel's sitting: the agenda's button and the attendance form."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.services.attendance import AttendanceRefused, attendance, record_attendance
from handlers.slack.forms import read_state
from handlers.slack.replies import after_ack, open_view, tell
from messages.slack.decisions import attendance_modal, attendance_text
from messages.slack.format import said
from messages.slack.help import notice_view
from messages.slack.ids import Action, AttendanceField, Callback


def _sitting(value: str) -> tuple[str, date] | None:
    body, _, day = value.partition(":")
    try:
        return body, date.fromisoformat(day)
    except ValueError:
        return None


def register(app: App, services: Services) -> None:
    later = after_ack(app)

    @app.action(Action.RECORD_ATTENDANCE)
    def attendance_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                          respond: Respond) -> None:
        ack()
        sitting = _sitting(str(action.get("value", "")))
        if sitting is None:
            tell(later, body, client, respond, "That button is out of date.")
            return
        try:
            recorded = attendance(services, sitting[0], sitting[1], body["user"]["id"])
        except AttendanceRefused as refused:
            tell(later, body, client, respond, said(refused))
            return
        open_view(later, client, body.get("trigger_id"), attendance_modal(recorded), push=bool(body.get("view")))

    @app.view(Callback.ATTENDANCE_FORM)
    def attendance_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        sitting = _sitting(str(view.get("private_metadata", "")))
        present = read_state(view.get("state", {}).get("values", {})).get(AttendanceField.PRESENT)
        if sitting is None or not isinstance(present, list):
            ack(response_action="errors", errors={AttendanceField.PRESENT: "Choose everyone present, then record."})
            return
        try:
            recorded = record_attendance(services, sitting[0], sitting[1], [str(p) for p in present],
                                         body["user"]["id"])
        except AttendanceRefused as refused:
            ack(response_action="errors", errors={AttendanceField.PRESENT: said(refused)})
            return
        ack(response_action="update", view=notice_view("Attendance recorded", attendance_text(recorded)))
