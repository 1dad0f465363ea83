"""What panelbot answers in Teams to "help", to a command it does not know, and when something breaks.

In Teams people type panelbot's commands in its personal chat, or after @panelbot in a channel:
"submit", "book 1234567". The list matches messages/slack/help.py, worded for Teams.
"""

from __future__ import annotations

from messages.teams.elements import Card, Part, bold, bullets, card, heading, para
from messages.teams.ids import Command

__all__ = [
    "COMMANDS",
    "command_lines",
    "database_down_text",
    "help_card",
    "incident_text",
    "text_card",
    "typed",
    "usage_card",
]

# (command, arguments, what it does) — the order people see in the help.
COMMANDS: list[tuple[Command, str, str]] = [
    (Command.SUBMIT, "", "send a funding request to whoever may decide it"),
    (Command.MINE, "", "your cases, their stage and what happens next"),
    (Command.CASE, "<reference>", "one case (details only if you have a role on it)"),
    (Command.WITHDRAW, "<reference>", "withdraw a case not yet decided (the worker or their team manager)"),
    (Command.BOOK, "<reference>", "book, move or cancel a case's slot at a meeting (the forum)"),
    (Command.AGENDA, "[panel] [date]", "a meeting's agenda for a day, or a panel's next sitting"),
    (Command.REVIEW, "<reference>", "record a review of an agreed package"),
    (Command.PROVISION, "[name]", "add a provision, or edit one (type, Ofsted rating, contact)"),
    (Command.PLACEMENT, "", "record a child's placement (by case reference) at a provision"),
    (Command.CONCERN, "<provision>", "record an issue or concern about a provision: a visit is due"),
    (Command.VISITS, "", "monitoring visits and steps due from you (the SQAO sees everything)"),
    (Command.AWAY, "[off]", "set cover while you are away: a colleague acts in your place (\"away off\" ends it)"),
    (Command.SPOT_CHECKS, "", "spot checks of delegated decisions waiting for you, oldest first (spot checkers)"),
    (Command.REPORT, "[period]", "spend, forecast, turnaround and outcomes (the policy's reporters)"),
    (Command.HELP, "", "show this list"),
]

_WHERE = "Type these in your chat with panelbot, or after @panelbot in a channel:"


def typed(command: Command, *arguments: str) -> str:
    """A command as people type it, in quotes: "book 1234567"."""
    return "\u201c" + " ".join([command.value, *arguments]) + "\u201d"


def command_lines() -> list[list[Part]]:
    """Every command with its arguments in bold and what it does, one list line each."""
    return [[bold(f"{name}{' ' + args if args else ''}"), f" — {what}"] for name, args, what in COMMANDS]


def help_card() -> Card:
    """The answer to "help" (and to a message panelbot cannot read as a command)."""
    return card(
        [
            heading("panelbot"),
            para("panelbot carries a funding request to whoever may decide it, books the forum, and tells you "
                 "the outcome."),
            para(_WHERE),
            *bullets(command_lines()),
        ],
        summary="panelbot: the commands you can type",
    )


def usage_card(word: str) -> Card:
    """The answer to a command panelbot does not know. `word` is shown only to the person who typed it."""
    shown = word if len(word) <= 30 else word[:30] + "…"
    return card(
        [para("I don't know ", bold(shown), ". Try one of these:"), *bullets(command_lines())],
        summary="panelbot did not know that command",
    )


def incident_text(incident_id: str) -> str:
    """The plain sentence a person sees when something breaks on our side."""
    return (
        "Sorry, panelbot hit a problem and could not finish that. Please try again; "
        f"if it keeps happening, give your panelbot administrator this incident id: {incident_id}."
    )


def database_down_text(incident_id: str) -> str:
    """The sentence a person sees when panelbot's database does not answer in time."""
    return (
        "panelbot cannot reach its database just now, so nothing was changed. Please try again in a few "
        f"minutes; if it keeps happening, give your panelbot administrator this incident id: {incident_id}."
    )


def text_card(title: str, text: str) -> Card:
    """A card that only says something: what a form turns into once it has done its work."""
    return card([heading(title), para(text)], summary=text)
