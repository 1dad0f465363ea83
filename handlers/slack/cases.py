"""`/panel mine`, `/panel case <ref>` and the "Open the case" button."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.calendar import long_date
from bot.domain.days import picked_day
from bot.services import Services
from bot.services.cases import (
    WithdrawRefused,
    case_by_id,
    cases_of,
    look_up_case,
    start_withdrawal,
    withdraw_case,
)
from bot.services.cover import CoverRefused, end_cover, set_cover
from bot.services.home import home_of
from handlers.slack.forms import read_state, row_id
from handlers.slack.replies import AfterAck, after_ack, deliver, open_view, tell
from messages.slack.cases import case_details_modal, case_summary_message, mine_message, withdraw_modal
from messages.slack.format import said
from messages.slack.help import notice_view
from messages.slack.home import away_modal, task_line
from messages.slack.ids import Action, AwayField, Callback, Subcommand, WithdrawField


def mine(ack: Ack, command: dict[str, Any], services: Services, **_: Any) -> None:
    user = command["user_id"]
    home = home_of(services, user)
    ack(mine_message(cases_of(services, user), [task_line(task, home.today) for task in home.waiting],
                     more=home.waiting_more))


def case(ack: Ack, rest: str, command: dict[str, Any], client: WebClient, services: Services, later: AfterAck,
         **_: Any) -> None:
    reference = rest.split(" ")[0] if rest else ""
    if not reference:
        ack({"response_type": "ephemeral", "text": "Usage: `/panel case <case reference>`, e.g. "
             f"`/panel case {services.policy.case_reference.example}`."})
        return
    found = look_up_case(services, reference[:64], command["user_id"])
    if found is None:
        ack({"response_type": "ephemeral", "text": "There is no case with that reference in panelbot."})
    elif found.full:
        ack()
        open_view(later, client, command.get("trigger_id"), case_details_modal(found.case))
    else:
        ack(case_summary_message(found.case))


def withdraw(ack: Ack, rest: str, command: dict[str, Any], client: WebClient, services: Services, later: AfterAck,
             **_: Any) -> None:
    reference = rest.split(" ")[0] if rest else ""
    if not reference:
        ack({"response_type": "ephemeral", "text": "Usage: `/panel withdraw <case reference>`, e.g. "
             f"`/panel withdraw {services.policy.case_reference.example}`."})
        return
    try:
        found = start_withdrawal(services, reference[:64], command["user_id"])
    except WithdrawRefused as refused:
        ack({"response_type": "ephemeral", "text": said(refused)})
        return
    ack()
    open_view(later, client, command.get("trigger_id"), withdraw_modal(found))


SUBCOMMANDS = {Subcommand.MINE.value: mine, Subcommand.CASE.value: case, Subcommand.WITHDRAW.value: withdraw}


def register(app: App, services: Services) -> None:
    later = after_ack(app)
    register_cover(app, services)

    @app.view(Callback.WITHDRAW_FORM)
    def withdraw_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        reason = read_state(view.get("state", {}).get("values", {})).get(WithdrawField.REASON)
        reason = reason.strip() if isinstance(reason, str) else ""
        case_id = row_id(view.get("private_metadata"))
        if not reason:
            ack(response_action="errors", errors={WithdrawField.REASON: "Say why the case is withdrawn."})
            return
        if len(reason) > 3000 or case_id is None:
            ack(response_action="errors", errors={WithdrawField.REASON: "Keep this under 3,000 characters."
                                                  if case_id is not None else "This form is out of date: close it."})
            return
        try:
            withdrawn = withdraw_case(services, case_id, reason, body["user"]["id"])
        except WithdrawRefused as refused:
            ack(response_action="errors", errors={WithdrawField.REASON: said(refused)})
            return
        ack(response_action="update", view=notice_view(
            "Case withdrawn", f"Case {withdrawn.case.reference} is withdrawn. The people on the case and its "
                              "deciders are told; any booked slot is free again."))
        deliver(later, services)

    @app.action(Action.OPEN_CASE)
    def open_case(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        viewer = body["user"]["id"]
        case_id = row_id(action.get("value"))
        found = case_by_id(services, case_id, viewer) if case_id is not None else None
        if found is None:
            tell(later, body, client, respond, "That case is no longer in panelbot.")
        elif found.full:
            in_modal = bool(body.get("view"))
            open_view(later, client, body.get("trigger_id"), case_details_modal(found.case), push=in_modal)
        elif respond is not None and body.get("response_url"):
            summary = case_summary_message(found.case)
            later.slack("respond", lambda: respond(**summary, replace_original=False))
        else:
            tell(later, body, client, respond, case_summary_message(found.case)["text"])
def away(ack: Ack, rest: str, command: dict[str, Any], client: WebClient, services: Services, later: AfterAck,
         **_: Any) -> None:
    user = command["user_id"]
    if rest.strip().lower() == "off":
        ended = end_cover(services, user)
        ack({"response_type": "ephemeral", "text": "Your cover has ended: your messages come to you again."
             if ended else "You have no cover set."})
        return
    ack()
    today = services.calendar.local_date(services.now()).isoformat()
    open_view(later, client, command.get("trigger_id"), away_modal(today))


SUBCOMMANDS[Subcommand.AWAY.value] = away


def register_cover(app: App, services: Services) -> None:
    @app.view(Callback.AWAY_FORM)
    def away_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        answers = read_state(view.get("state", {}).get("values", {}))

        def day(field: AwayField) -> date | None:
            return picked_day(answers.get(field))

        colleague = answers.get(AwayField.COLLEAGUE)
        if not isinstance(colleague, str) or not colleague:
            ack(response_action="errors", errors={AwayField.COLLEAGUE: "Choose the colleague who covers for you."})
            return
        try:
            cover = set_cover(services, body["user"]["id"], colleague, day(AwayField.FIRST_DAY),
                              day(AwayField.LAST_DAY))
        except CoverRefused as refused:
            ack(response_action="errors", errors={refused.field: said(refused)})
            return
        ack(response_action="update", view=notice_view(
            "Cover set", f"<@{cover.colleague}> covers for you from {long_date(cover.first_day)} to "
                         f"{long_date(cover.last_day)}. `/panel away off` ends it early."))
