"""Block Kit rendered as readable plain text, for `panelbot demo` and for reading test failures."""

from __future__ import annotations

import re
from typing import Any

_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")


def _plain(text: str) -> str:
    return _LINK.sub(r"\2", text)


def _text_of(obj: dict[str, Any] | None) -> str:
    return _plain(obj.get("text", "")) if obj else ""


def render_blocks(blocks: list[dict[str, Any]]) -> list[str]:
    """One or more text lines per block, in order."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"== {_text_of(block.get('text'))} ==")
        elif kind == "section":
            if block.get("text"):
                lines.extend(_text_of(block["text"]).splitlines())
            for item in block.get("fields", []):
                lines.append(_text_of(item))
            if block.get("accessory", {}).get("type") == "button":
                lines.append(f"[{_text_of(block['accessory'].get('text'))}]")
        elif kind == "context":
            lines.append("  " + "  ".join(_text_of(e) for e in block.get("elements", []) if "text" in e))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "actions":
            lines.append("  ".join(f"[{_text_of(e.get('text'))}]" for e in block.get("elements", [])))
        elif kind == "input":
            label = _text_of(block.get("label"))
            optional = " (optional)" if block.get("optional") else ""
            element = block.get("element", {})
            options = element.get("options") or [o for g in element.get("option_groups", []) for o in g["options"]]
            if element.get("type") == "static_select" and options:
                chosen = element.get("initial_option") or options[0]
                lines.append(f"{label}{optional}: [{_text_of(chosen.get('text'))} ▾] (one of {len(options)})")
            else:
                lines.append(f"{label}{optional}: ____")
    return lines


def render_message(message: dict[str, Any]) -> list[str]:
    """A chat message (text and/or blocks) as lines."""
    if message.get("blocks"):
        return render_blocks(message["blocks"])
    return _plain(message.get("text", "")).splitlines()


def render_view(view: dict[str, Any]) -> list[str]:
    """A modal or Home tab as lines, with its title and submit button."""
    lines = [f"┌ {_text_of(view.get('title'))}"] if view.get("title") else []
    lines.extend("│ " + line for line in render_blocks(view.get("blocks", [])))
    if view.get("submit"):
        lines.append(f"└ [{_text_of(view['submit'])}]")
    return lines
