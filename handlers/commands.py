"""`/panel <subcommand> …`: one entry point, a table of subcommands, usage for anything else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot.services import Services
from messages.help import help_message, usage_message
from messages.ids import Command, Subcommand

# A subcommand gets (ack, the rest of the text, the command payload, the Bolt kwargs it asked for).
SubcommandHandler = Callable[..., None]


def known_subcommands() -> dict[str, SubcommandHandler]:
    """The subcommands other handler modules add; help is answered here."""
    return {}


def split_command(text: str | None) -> tuple[str, str]:
    """'Book  ABC-1 ' -> ('book', 'ABC-1'). The word is lower-cased; the rest is kept as typed."""
    word, _, rest = (text or "").strip().partition(" ")
    return word.lower(), rest.strip()


def register(app: App, services: Services) -> None:
    table = known_subcommands()

    @app.command(Command.PANEL)
    def panel(ack: Ack, command: dict[str, Any], **kwargs: Any) -> None:
        word, rest = split_command(command.get("text"))
        if word in ("", Subcommand.HELP):
            ack(help_message())
            return
        handler = table.get(word)
        if handler is None:
            ack(usage_message(word))
            return
        handler(ack=ack, rest=rest, command=command, services=services, **kwargs)
