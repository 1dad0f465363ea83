"""The one global error handler: a plain sentence with an incident id for the person, the
traceback under that id for the log (through the safe formatter in `bot.logs`)."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError

from bot.services import Services
from handlers.slack.replies import ack_with_sentence, after_ack, tell
from messages.slack.help import database_down_message, incident_message

# The database did not answer in time (connect, statement, lock or pool timeout) or is unreachable.
DATABASE_UNAVAILABLE = (OperationalError, SATimeoutError)

logger = logging.getLogger("panelbot.errors")


def new_incident_id() -> str:
    return secrets.token_hex(4)


def register(app: App, services: Services) -> None:
    later = after_ack(app)

    @app.error
    def on_error(error: Exception, body: dict[str, Any], client: WebClient, respond: Any = None,
                 response: BoltResponse | None = None) -> BoltResponse | None:
        from handlers.slack.app import describe  # the app imports the handlers

        incident = new_incident_id()
        kind, name = describe(body)  # our own ids only: the body may carry anything
        logger.error("incident %s while handling a %s %s request", incident, kind, name, exc_info=error)
        database = isinstance(error, DATABASE_UNAVAILABLE)
        text = database_down_message(incident) if database else incident_message(incident)
        answer = ack_with_sentence(body, text) if response is not None else None
        if answer is not None:  # not acked yet: the sentence travels in the ack, never a 500
            return BoltResponse(status=200, body=answer)
        # Otherwise off the listener thread, like every Slack call after an ack; in a modal or by DM when
        # the request had no response_url (a button in a modal).
        tell(later, body, client, respond, text, title="Something went wrong")
        return BoltResponse(status=200, body="") if response is not None else None
