"""`/panel mine`, `/panel case <ref>` and the "Open the case" button."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services import Services
from bot.services.cases import case_by_id, cases_of, look_up_case
from handlers.replies import AfterAck, after_ack, open_view, tell
from messages.cases import case_details_modal, case_summary_message, mine_message
from messages.ids import Action, Subcommand


def mine(ack: Ack, command: dict[str, Any], services: Services, **_: Any) -> None:
    ack(mine_message(cases_of(services, command["user_id"])))


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


SUBCOMMANDS = {Subcommand.MINE.value: mine, Subcommand.CASE.value: case}


def register(app: App, services: Services) -> None:
    later = after_ack(app)

    @app.action(Action.OPEN_CASE)
    def open_case(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        viewer = body["user"]["id"]
        found = case_by_id(services, int(action["value"]), viewer) if str(action.get("value")).isdigit() else None
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
