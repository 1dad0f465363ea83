"""`/panel <subcommand> …`: one entry point, a table of subcommands, usage for anything else."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.domain.text import command_problem
from bot.services import Services
from handlers.slack.replies import after_ack
from messages.slack.format import said
from messages.slack.help import help_message, usage_message
from messages.slack.ids import Command, Subcommand

# A subcommand handler is called with ack=, rest= (the text after the word), command=, client=, respond=,
# services= and later= (handlers.slack.replies.AfterAck); it takes what it needs and `**_` for the rest.
SubcommandHandler = Callable[..., None]
MAX_COMMAND_TEXT = 500  # a reference, a date or a provision's name: never more


def split_command(text: str | None) -> tuple[str, str]:
    """'Book  ABC-1 ' -> ('book', 'ABC-1'). The word is lower-cased; the rest is kept as typed."""
    word, _, rest = (text or "").strip().partition(" ")
    return word.lower(), rest.strip()


def register(app: App, services: Services, subcommands: Mapping[str, SubcommandHandler]) -> None:
    later = after_ack(app)

    @app.command(Command.PANEL)
    def panel(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        problem = command_problem(command.get("text") or "", limit=MAX_COMMAND_TEXT)
        if problem is not None:
            ack({"response_type": "ephemeral", "text": said(problem)})
            return
        word, rest = split_command(command.get("text"))
        if word in ("", Subcommand.HELP):
            ack(help_message())
            return
        handler = subcommands.get(word)
        if handler is None:
            ack(usage_message(word))
            return
        handler(ack=ack, rest=rest, command=command, client=client, respond=respond, services=services,
                later=later)
