"""The one global error handler: a plain sentence with an incident id for the person, the
traceback under that id for the log (through the safe formatter in `bot.logs`)."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.services import Services
from messages.help import incident_message

logger = logging.getLogger("panelbot.errors")


def new_incident_id() -> str:
    return secrets.token_hex(4)


def register(app: App, services: Services) -> None:
    @app.error
    def on_error(error: Exception, body: dict[str, Any], client: WebClient, respond: Any = None) -> None:
        from bot.slack_app import describe  # the app imports the handlers

        incident = new_incident_id()
        kind, name = describe(body)  # our own ids only: the body may carry anything
        logger.error("incident %s while handling a %s %s request", incident, kind, name, exc_info=error)
        text = incident_message(incident)
        try:
            if body.get("response_url") or body.get("response_urls"):
                respond(text=text, response_type="ephemeral", replace_original=False)
                return
            user = body.get("user_id") or (body.get("user") or {}).get("id")
            if user:
                client.chat_postMessage(channel=user, text=text)
        except Exception:
            logger.exception("incident %s: could not tell the person", incident)
