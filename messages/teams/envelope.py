"""How a card travels in Teams: as a message attachment, as a dialog, or as the answer to a button.

These are the Bot Framework shapes around a card; the Teams handlers send them. See
https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/universal-actions-for-adaptive-cards/overview
"""

from __future__ import annotations

from typing import Any

from messages.teams.elements import Card

__all__ = ["CARD_CONTENT_TYPE", "attachment", "card_response", "dialog", "message_response"]

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
_MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"
_DIALOG_TITLE = 64  # Teams cuts a dialog's title much beyond this


def attachment(card: Card) -> dict[str, Any]:
    """The card as a message attachment (`activity.attachments`)."""
    return {"contentType": CARD_CONTENT_TYPE, "content": card}


def dialog(card: Card, title: str) -> dict[str, Any]:
    """The answer to a `task/fetch` (or a `task/submit` that goes on): a dialog showing `card`."""
    return {"task": {"type": "continue", "value": {"title": title[:_DIALOG_TITLE], "width": "large",
                                                     "height": "large", "card": attachment(card)}}}


def card_response(card: Card) -> dict[str, Any]:
    """The body of the answer to an `adaptiveCard/action` invoke (an Action.Execute press): the card
    as it now is, shown in place of the one pressed."""
    return {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": card}


def message_response(text: str) -> dict[str, Any]:
    """The answer to a press that changes no card: a short message Teams shows the person who pressed."""
    return {"statusCode": 200, "type": _MESSAGE_CONTENT_TYPE, "value": text}
