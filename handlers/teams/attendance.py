"""Who is present at a panel's sitting, in Teams: "Record who is present" on the panel's agenda opens
the attendance form, and its Record button stores who was ticked. The Teams counterpart of
handlers/slack/attendance.py.

The chair, the deputy or a panel admin records it (bot/services/attendance.py checks who may).
Recording the same people again changes nothing (the service compares before it writes), so a double
press writes one audit row. The agenda is posted in the panel's channel: pressed there, the form goes
to the person's chat with panelbot (visits.in_personal_chat) and the channel card stays as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from bot.domain.days import picked_day
from bot.domain.decisions import Attendance
from bot.services.attendance import AttendanceRefused, attendance, record_attendance
from handlers.teams.bot import OUT_OF_DATE, Handler, Result, TeamsBot, Turn
from handlers.teams.visits import in_personal_chat
from messages.teams.decisions import attendance_form, attendance_text
from messages.teams.help import text_card
from messages.teams.ids import AttendanceInput, Key, Verb

TICK_FROM_THE_LIST = "Tick everyone present from the list, then record."


class AttendanceHandlers:
    """The attendance buttons, run by `bot` (its services, names, sending and wording)."""

    def __init__(self, bot: TeamsBot) -> None:
        self.bot = bot
        self.services = bot.services

    def commands(self) -> dict[str, Callable[[Turn, str], Result]]:
        return {}

    def verbs(self) -> dict[str, Handler]:
        # The agenda is in the panel's channel; the form and what it records are the person's own.
        return {Verb.RECORD_ATTENDANCE: in_personal_chat(self.bot, self.open_form),
                Verb.SAVE_ATTENDANCE: in_personal_chat(self.bot, self.record)}

    def open_form(self, turn: Turn, data: dict[str, Any]) -> Result:
        sitting = _sitting(data)
        try:
            if sitting is None:
                return OUT_OF_DATE
            recorded = attendance(self.services, *sitting, turn.person)
        except AttendanceRefused as refused:
            return self.bot.said(refused)
        return attendance_form(recorded, self._candidates(recorded), self.bot.names)

    def record(self, turn: Turn, data: dict[str, Any]) -> Result:
        sitting = _sitting(data)
        try:
            if sitting is None:
                return OUT_OF_DATE
            recorded = attendance(self.services, *sitting, turn.person)  # who may, and who may be ticked
        except AttendanceRefused as refused:
            return self.bot.said(refused)
        candidates = self._candidates(recorded)
        ticked = data.get(AttendanceInput.PRESENT)
        present = [part.strip() for part in ticked.split(",") if part.strip()] if isinstance(ticked, str) else []
        if not present or not set(present) <= set(candidates):
            return attendance_form(recorded, candidates, self.bot.names, error=TICK_FROM_THE_LIST)
        try:
            recorded = record_attendance(self.services, *sitting, present, turn.person)
        except AttendanceRefused as refused:
            return attendance_form(recorded, candidates, self.bot.names, error=self.bot.said(refused))
        return text_card("Attendance recorded", attendance_text(recorded))

    def _candidates(self, recorded: Attendance) -> list[str]:
        """Who may be ticked: the Teams people in the panel's chair, deputy, member and quorum roles, and
        whoever is already recorded present."""
        body = self.services.policy.bodies[recorded.body]
        roles = (*body.decider_roles(), *body.members, *(need.role for need in body.quorum))
        people = [member for role in dict.fromkeys(roles) for member in self.bot._people(role)]
        return list(dict.fromkeys([*people, *recorded.present]))


def _sitting(data: dict[str, Any]) -> tuple[str, date] | None:
    body, day = data.get(Key.BODY), picked_day(data.get(Key.DAY))
    return (body, day) if isinstance(body, str) and body and day is not None else None
