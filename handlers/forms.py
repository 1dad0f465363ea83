"""Reading a submitted modal's `state.values` into plain values, whatever the input type."""

from __future__ import annotations

from typing import Any

from messages.ids import VALUE

FormValue = str | list[str] | None


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
