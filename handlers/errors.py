"""The one global error handler: a plain sentence with an incident id for the person, the
traceback under that id for the log (through the safe formatter in `bot.logs`)."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.services import Services
from handlers.replies import after_ack, tell
from messages.help import incident_message

logger = logging.getLogger("panelbot.errors")


def new_incident_id() -> str:
    return secrets.token_hex(4)


def register(app: App, services: Services) -> None:
    later = after_ack(app)

    @app.error
    def on_error(error: Exception, body: dict[str, Any], client: WebClient, respond: Any = None) -> None:
        from bot.slack_app import describe  # the app imports the handlers

        incident = new_incident_id()
        kind, name = describe(body)  # our own ids only: the body may carry anything
        logger.error("incident %s while handling a %s %s request", incident, kind, name, exc_info=error)
        # Off the listener thread, like every Slack call after the ack: in the modal or by DM when the
        # request had no response_url (a button in a modal).
        tell(later, body, client, respond, incident_message(incident), title="Something went wrong")
