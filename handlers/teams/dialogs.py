"""Forms as Teams dialogs, and the one thing a form must carry to be stored once.

A card in a chat opens a dialog (a task module) with an `Action.Submit` whose data holds
`{"msteams": {"type": "task/fetch"}}`: Teams then asks the bot for the dialog (`task/fetch`), and the
bot answers with the form (`envelope.dialog`). Inside a dialog, buttons must be `Action.Submit`:
Teams sends their data with the form's inputs as `task/submit`; Universal Actions (`Action.Execute`,
which every card in cards/ uses) are for cards in the conversation. So `as_dialog` turns a form's
Action.Execute buttons into Action.Submit ones carrying the verb under VERB_KEY, and the bot answers
a `task/submit` with the same verbs as an `adaptiveCard/action`.

A submitted case is stored once per form: a second press of Submit (or a retried delivery) must not
store it twice, nor read as a correction of the case just stored. Slack gives each modal an id for
that; a card has none, so panelbot puts one in the form's Submit button (FORM_KEY, a random hex
nonce) when it sends the form, and the service takes it as the submission's key.
"""

from __future__ import annotations

import copy
import re
import secrets
from typing import Any

from messages.teams.elements import Card, card, para
from messages.teams.ids import Verb

VERB_KEY = "verb"  # in a dialog's Action.Submit data: the verb its Action.Execute had
FORM_KEY = "form"  # in the case form's Submit data: the form's nonce
OPEN_FORM_TITLE = "Submit a case"
_NONCE = re.compile(r"[0-9a-f]{32}")


def new_form_key() -> str:
    return secrets.token_hex(16)


def form_key(data: dict[str, Any]) -> str | None:
    """The nonce a submitted form carries, if it is one panelbot could have written."""
    value = data.get(FORM_KEY)
    return value if isinstance(value, str) and _NONCE.fullmatch(value) else None


def _actions(built: Card) -> list[dict[str, Any]]:
    """Every button on the card: its action bar and any ActionSet in its body."""
    found = list(built.get("actions", []))
    stack = list(built.get("body", []))
    while stack:
        element = stack.pop()
        if not isinstance(element, dict):
            continue
        found += element.get("actions", []) if element.get("type") == "ActionSet" else []
        stack += element.get("items", []) + element.get("columns", [])
    return [action for action in found if isinstance(action, dict)]


def with_form_key(built: Card, key: str) -> Card:
    """A copy of the case form whose Submit button carries `key`."""
    marked = copy.deepcopy(built)
    for action in _actions(marked):
        if action.get("verb") == Verb.SUBMIT_CASE or action.get("data", {}).get(VERB_KEY) == Verb.SUBMIT_CASE:
            action["data"] = {**action.get("data", {}), FORM_KEY: key}
    return marked


def as_dialog(built: Card) -> Card:
    """A copy of `built` whose Action.Execute buttons are Action.Submit ones, for showing in a dialog."""
    converted = copy.deepcopy(built)
    for action in _actions(converted):
        if action.get("type") == "Action.Execute":
            verb = action.pop("verb", "")
            action["type"] = "Action.Submit"
            action["data"] = {**action.get("data", {}), VERB_KEY: verb}
    return converted


def open_form_card(intro: str) -> Card:
    """The answer to "submit": a button that opens the case form as a dialog."""
    button = {"type": "Action.Submit", "title": "Open the case form", "style": "positive",
              "data": {"msteams": {"type": "task/fetch"}, VERB_KEY: Verb.NEW_CASE.value}}
    return card([para(intro)], [button], summary="Submit a case to panel")
