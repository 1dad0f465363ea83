"""`/panel mine`, `/panel case <ref>` and the "Open the case" button."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services import Services
from bot.services.cases import case_by_id, cases_of, look_up_case
from messages.cases import case_details_modal, case_summary_message, mine_message
from messages.ids import Action, Subcommand


def mine(ack: Ack, command: dict[str, Any], services: Services, **_: Any) -> None:
    ack(mine_message(cases_of(services, command["user_id"])))


def case(ack: Ack, rest: str, command: dict[str, Any], client: WebClient, services: Services, **_: Any) -> None:
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
        client.views_open(trigger_id=command["trigger_id"], view=case_details_modal(found.case))
    else:
        ack(case_summary_message(found.case))


SUBCOMMANDS = {Subcommand.MINE.value: mine, Subcommand.CASE.value: case}


def register(app: App, services: Services) -> None:
    @app.action(Action.OPEN_CASE)
    def open_case(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        viewer = body["user"]["id"]
        found = case_by_id(services, int(action["value"]), viewer) if str(action.get("value")).isdigit() else None
        if found is None:
            respond(text="That case is no longer in panelbot.", response_type="ephemeral", replace_original=False)
        elif found.full:
            client.views_open(trigger_id=body["trigger_id"], view=case_details_modal(found.case))
        else:
            respond(**case_summary_message(found.case), replace_original=False)
