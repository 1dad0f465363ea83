"""`/panel spotchecks`, the "Check this case" button and the spot-check form. Ack, parse, one service, render."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.domain.spot_checks import Finding
from bot.refusals import Refusal
from bot.services import Services
from bot.services.spot_checks import SpotCheckRefused, open_spot_check, open_spot_checks, record_spot_check
from handlers.slack.forms import read_state, row_id
from handlers.slack.replies import after_ack, deliver
from messages.slack.format import said
from messages.slack.help import notice_view
from messages.slack.ids import Action, Callback, SpotCheckField, Subcommand
from messages.slack.spot_checks import spot_check_modal, spot_check_recorded_text, spot_checks_message


def spot_checks(ack: Ack, command: dict[str, Any], services: Services, **_: Any) -> None:
    try:
        ack(spot_checks_message(open_spot_checks(services, command["user_id"])))
    except SpotCheckRefused as refused:
        ack({"response_type": "ephemeral", "text": said(refused)})


SUBCOMMANDS = {Subcommand.SPOT_CHECKS.value: spot_checks}


def register(app: App, services: Services) -> None:
    @app.action(Action.SPOT_CHECK_OPEN)
    def open_check(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                   respond: Respond) -> None:
        ack()
        check_id = row_id(action.get("value"))
        try:
            if check_id is None:
                raise SpotCheckRefused(Refusal.BUTTON_LOST_SPOT_CHECK)
            opened = open_spot_check(services, check_id, body["user"]["id"])
        except SpotCheckRefused as refused:
            respond(text=said(refused), response_type="ephemeral", replace_original=False)
            return
        client.views_open(trigger_id=body["trigger_id"], view=spot_check_modal(opened))

    @app.view(Callback.SPOT_CHECK_FORM)
    def record(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        answers = read_state(view["state"]["values"])
        finding = answers.get(SpotCheckField.FINDING)
        actions = answers.get(SpotCheckField.ACTIONS)
        actions = actions if isinstance(actions, str) else None
        if finding not in set(Finding):
            ack(response_action="errors", errors={SpotCheckField.FINDING: "Say what you found."})
            return
        if finding == Finding.CONCERN and not (actions and actions.strip()):
            ack(response_action="errors",
                errors={SpotCheckField.ACTIONS: "Say what you recommend the team manager does."})
            return
        if actions and len(actions) > 3000:
            ack(response_action="errors", errors={SpotCheckField.ACTIONS: "Keep it under 3,000 characters."})
            return
        check_id = row_id(view.get("private_metadata"))
        try:
            if check_id is None:
                raise SpotCheckRefused(Refusal.FORM_LOST_SPOT_CHECK)
            recorded = record_spot_check(services, check_id, body["user"]["id"], Finding(str(finding)), actions)
        except SpotCheckRefused as refused:
            ack(response_action="errors", errors={SpotCheckField.FINDING: said(refused)})
            return
        ack(response_action="update", view=notice_view("Spot check recorded", spot_check_recorded_text(recorded)))
        deliver(after_ack(app), services, recorded.case_id)
