"""An Adaptive Card as readable plain text: what Teams would show, for `panelbot demo --teams` and for
reading test failures. The Teams counterpart of messages/slack/text.py.

Text blocks become their lines (the title as "== title =="), a FactSet "Title: value" lines, an input
"[Label]" (with what it holds, and " (optional)" when it is not required), buttons "[Title]" on one
line, a separator a line of dashes. A field's error is the line under it, starting "⚠".
"""

from __future__ import annotations

from typing import Any

__all__ = ["render_card", "render_text"]

_RULE = "-" * 40


def _inline_text(inline: Any) -> str:
    return inline if isinstance(inline, str) else str(inline.get("text", ""))


def _rich_text(block: dict[str, Any]) -> list[str]:
    inlines = block.get("inlines", [])
    text = "".join(_inline_text(inline) for inline in inlines)
    if not text.strip():
        return []
    runs = [inline for inline in inlines if isinstance(inline, dict)]
    if len(runs) == 1 and runs[0].get("size") == "Large":
        return [f"== {text} =="]
    if runs and all(run.get("isSubtle") for run in runs):
        return ["  " + line for line in text.splitlines()]
    return text.splitlines()


def _button(action: dict[str, Any]) -> str:
    return f"[{action.get('title', '')}]"


def _buttons(actions: list[dict[str, Any]]) -> list[str]:
    return ["  ".join(_button(action) for action in actions)] if actions else []


def _short(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= 40 else value[:39] + "…"


def _input(element: dict[str, Any]) -> str:
    kind = element["type"]
    label = element.get("label") or element.get("id", "")
    optional = "" if element.get("isRequired") else " (optional)"
    value = element.get("value")
    if kind == "Input.Toggle":
        ticked = "☑" if value and value == element.get("valueOn", "true") else "☐"
        return f"{label}{optional}: [{ticked} {element.get('title', '')}]"
    if kind == "Input.ChoiceSet":
        choices = element.get("choices", [])
        titles = {choice["value"]: choice["title"] for choice in choices}
        chosen = [titles.get(part, part) for part in str(value).split(",") if part] if value else []
        shown = f": {', '.join(_short(title) for title in chosen)}" if chosen else ""
        many = " (any of" if element.get("isMultiSelect") else " (one of"
        return f"[{label}{optional}{shown}]{many} {len(choices)})"
    shown = f": {_short(str(value))}" if value not in (None, "") else ""
    return f"[{label}{optional}{shown}]"


def _element(element: dict[str, Any]) -> list[str]:
    kind = element.get("type")
    lines = [_RULE] if element.get("separator") else []
    if kind == "RichTextBlock":
        lines += _rich_text(element)
    elif kind == "TextBlock":
        lines += str(element.get("text", "")).splitlines()
    elif kind == "FactSet":
        lines += [f"{fact['title']}: {fact['value']}" for fact in element.get("facts", [])]
    elif kind == "ActionSet":
        lines += _buttons(element.get("actions", []))
    elif kind == "Container":
        lines += _elements(element.get("items", []))
    elif kind == "ColumnSet":
        columns = [_elements(column.get("items", [])) for column in element.get("columns", [])]
        first = "  ".join(column[0] for column in columns if column)
        rest = [line for column in columns for line in column[1:]]
        lines += [first, *rest] if first else rest
    elif isinstance(kind, str) and kind.startswith("Input."):
        lines.append(_input(element))
    return lines


def _elements(elements: list[dict[str, Any]]) -> list[str]:
    return [line for element in elements for line in _element(element)]


def render_card(card: dict[str, Any]) -> list[str]:
    """The card's body, then its action bar, as lines."""
    return [*_elements(card.get("body", [])), *_buttons(card.get("actions", []))]


def render_text(card: dict[str, Any]) -> str:
    """`render_card` as one string, a line each."""
    return "\n".join(render_card(card))
