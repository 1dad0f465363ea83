"""What `/panel`, `/panel help` and a mistyped subcommand answer."""

from __future__ import annotations

from typing import Any

from messages.slack.ids import Command, Subcommand

# (subcommand, arguments, what it does) — the order people see in the help.
SUBCOMMANDS: list[tuple[str, str, str]] = [
    (Subcommand.SUBMIT, "", "send a funding request to whoever may decide it (also: the shortcut menu)"),
    (Subcommand.MINE, "", "your cases, their stage and what happens next"),
    (Subcommand.CASE, "<reference>", "one case (details only if you have a role on it)"),
    (Subcommand.WITHDRAW, "<reference>", "withdraw a case not yet decided (the worker or their team manager)"),
    (Subcommand.BOOK, "<reference>", "book, move or cancel a case's slot at a meeting (the forum)"),
    (Subcommand.AGENDA, "[panel] [date]", "a meeting's agenda for a day, or a panel's next sitting"),
    (Subcommand.REVIEW, "<reference>", "record a review of an agreed package"),
    (Subcommand.PROVISION, "[name]", "add a provision, or edit one (type, Ofsted rating, contact)"),
    (Subcommand.PLACEMENT, "", "record a child's placement (by case reference) at a provision"),
    (Subcommand.CONCERN, "<provision>", "record an issue or concern about a provision: a visit is due"),
    (Subcommand.VISITS, "", "monitoring visits and steps due from you (the SQAO sees everything)"),
    (Subcommand.AWAY, "[off]", "set cover while you are away: a colleague acts in your place (`off` ends it)"),
    (Subcommand.SPOT_CHECKS, "", "spot checks of delegated decisions waiting for you, oldest first (spot checkers)"),
    (Subcommand.REPORT, "[period]", "spend, forecast, turnaround and outcomes, with a chart (the policy's reporters)"),
    (Subcommand.HELP, "", "show this list"),
]


def help_lines() -> str:
    """Every subcommand, one bullet a line."""
    return "\n".join(
        f"• `{Command.PANEL} {name}{' ' + args if args else ''}` — {what}" for name, args, what in SUBCOMMANDS
    )


def help_message() -> dict[str, Any]:
    """The ephemeral answer to `/panel` and `/panel help`."""
    text = (
        "*panelbot* carries a funding request to whoever may decide it, books the forum, "
        "and tells you the outcome.\n" + help_lines()
    )
    return {
        "response_type": "ephemeral",
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def usage_message(word: str) -> dict[str, Any]:
    """The ephemeral answer to a subcommand panelbot does not know. `word` is echoed only to its author."""
    shown = word if len(word) <= 30 else word[:30] + "…"
    text = f"I don't know `{shown}`. Try one of these:\n" + help_lines()
    return {
        "response_type": "ephemeral",
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def incident_message(incident_id: str) -> str:
    """The plain sentence a person sees when something breaks on our side."""
    return (
        "Sorry, panelbot hit a problem and could not finish that. Please try again; "
        f"if it keeps happening, give your panelbot administrator this incident id: `{incident_id}`."
    )


def database_down_message(incident_id: str) -> str:
    """The sentence a person sees when panelbot's database does not answer in time."""
    return (
        "panelbot cannot reach its database just now, so nothing was changed. Please try again in a few "
        f"minutes; if it keeps happening, give your panelbot administrator this incident id: `{incident_id}`."
    )


def notice_view(title: str, text: str) -> dict[str, Any]:
    """A modal that only says something (what a form turns into once it has done its work)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title[:24]},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
    }

