"""Reading a submitted modal: its `state.values` into plain values, whatever the input type, after
checking that the form is one panelbot can read and that every answer can be stored.

A submission Slack signed can still carry what panelbot never wrote (a view without state, metadata
that is not ours) or what no database should keep (NUL and other control characters, text longer than
any input allows). Each gets an inline error (`response_action: errors`) and changes nothing.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.domain.text import form_problems
from messages.slack.format import said_each
from messages.slack.help import notice_view
from messages.slack.ids import VALUE

FormValue = str | list[str] | None

STALE_FORM = "This form is out of date or was not made by panelbot: close it and open it again."


def read_state(values: dict[str, dict[str, Any]]) -> dict[str, FormValue]:
    """{block_id: value}: text for inputs and single selects, a list for checkboxes, None when empty."""
    read: dict[str, FormValue] = {}
    for block_id, actions in values.items():
        element = actions.get(VALUE) or next(iter(actions.values()), {})
        kind = element.get("type")
        if kind in ("checkboxes", "multi_static_select", "multi_users_select"):
            options = element.get("selected_options") or []
            read[block_id] = [str(option.get("value")) for option in options] or (element.get("selected_users") or [])
        elif kind in ("static_select", "radio_buttons", "external_select"):
            option = element.get("selected_option")
            read[block_id] = str(option["value"]) if option else None
        elif kind == "users_select":
            read[block_id] = element.get("selected_user") or None
        elif kind == "conversations_select":
            read[block_id] = element.get("selected_conversation") or None
        elif kind == "datepicker":
            read[block_id] = element.get("selected_date") or None
        else:  # plain_text_input, number_input, url_text_input, email_text_input
            value = element.get("value")
            read[block_id] = value if value not in (None, "") else None
    return read


def first_input(view: dict[str, Any]) -> str | None:
    """The block_id of the view's first input block: where a form-wide error is shown."""
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input" and isinstance(block.get("block_id"), str):
            return block["block_id"]
    return None


def form_error_ack(view: dict[str, Any], sentence: str) -> dict[str, Any]:
    """The ack that shows `sentence` on the form (on its first input), or replaces a form without inputs."""
    block = first_input(view)
    if block is not None:
        return {"response_action": "errors", "errors": {block: sentence}}
    return {"response_action": "update", "view": notice_view("panelbot", sentence)}


def refuse_form(ack: Ack, view: dict[str, Any], sentence: str = STALE_FORM) -> None:
    ack(**form_error_ack(view, sentence))


def checked_answers(ack: Ack, view: dict[str, Any]) -> dict[str, FormValue] | None:
    """The form's answers; or None, with the form refused in the ack, when there are no readable answers
    or one cannot be stored (control characters, too long)."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    try:
        answers = read_state(values) if isinstance(values, dict) else None
    except (AttributeError, TypeError, KeyError):  # signed, but not the shape Slack sends
        answers = None
    if answers is None:
        refuse_form(ack, view)
        return None
    problems = form_problems(answers)
    if problems:
        ack(response_action="errors", errors=said_each(problems))
        return None
    return answers


def row_id(value: object) -> int | None:
    """A button's value or a form's private_metadata as the row id panelbot wrote into it: 1 to 12 ASCII
    digits. None for anything else, including "²" (which str.isdigit accepts and int refuses) and numbers
    too long to be a row id (SQLite cannot bind an integer past 64 bits)."""
    text = value if isinstance(value, str) else ""
    return int(text) if 0 < len(text) <= 12 and text.isascii() and text.isdigit() else None


def metadata_ints(view: dict[str, Any], count: int, *, blank: int | None = None) -> list[int] | None:
    """`private_metadata` read as `count` non-negative integers joined by ':' (what panelbot writes); None
    when it is anything else. `blank` is the value of an empty metadata, where a form allows one."""
    raw = view.get("private_metadata")
    if raw == "" and blank is not None and count == 1:
        return [blank]
    if not isinstance(raw, str):
        return None
    ids = [row_id(part) for part in raw.split(":")]
    return None if len(ids) != count or None in ids else [i for i in ids if i is not None]
