"""The pieces every Teams card is made of: the card itself, text, facts, buttons and form inputs.

Text is never Markdown. Every sentence is a RichTextBlock of TextRuns, which Adaptive Cards render
as typed ("Markdown is not supported" in a TextRun), so a reference, a provision's name or a
reason someone typed cannot turn into a link, a heading or a mention. FactSets, whose values Teams
does read as Markdown, carry only panelbot's own words and formatted amounts and dates.

People are shown by name: `person(id, names)` looks the id up in the names the caller passes (the
Teams side's, handlers/teams/names.py, give a display name, or "a colleague" when it is not known;
the views carry ids only) and shows the id itself only to a caller that passes no names. A list to
choose from numbers people shown alike (two colleagues of one name). Cards use no @mentions: those
need Teams' `msteams.entities`, which the official 1.5 schema does not allow, and the people a card
concerns are told in personal chat anyway.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from bot import markup
from messages.teams.ids import Verb
from messages.words import cut

__all__ = [
    "EMAIL",
    "MAX_CARD_BYTES",
    "MAX_TEXT",
    "NO_NAMES",
    "SCHEMA",
    "VERSION",
    "Card",
    "Names",
    "Part",
    "action_set",
    "bold",
    "bullets",
    "card",
    "card_bytes",
    "choice_input",
    "date_input",
    "execute",
    "facts",
    "fit",
    "heading",
    "number_input",
    "open_url",
    "para",
    "people",
    "person",
    "person_input",
    "separator",
    "text_input",
    "toggle_input",
]

VERSION = "1.5"  # the Adaptive Cards version Teams supports for bots
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
# Teams refuses a bot message over about 28 KB, activity and all; a card stays under this many bytes
# of JSON (UTF-8), which leaves room for the activity around it.
MAX_CARD_BYTES = 24_000
MAX_TEXT = 3000  # the longest text anyone types into panelbot (bot.domain.text.MAX_TEXT)
_TITLE = 75  # button and choice titles are cut to this; Teams wraps or clips anything longer

Card = dict[str, Any]
Names = Mapping[str, str]  # a Teams user (or tag) id → its display name
NO_NAMES: Names = MappingProxyType({})

Run = dict[str, Any]
Part = str | Run


# --- The card -----------------------------------------------------------------------------------------


def card(body: Sequence[dict[str, Any]], actions: Sequence[dict[str, Any]] = (), *, summary: str) -> Card:
    """An Adaptive Card 1.5. `summary` is its `fallbackText`: what a client too old to show the card
    shows instead, and the words the Teams side may use for the notification. It follows the same
    privacy rule as the card."""
    built: Card = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "fallbackText": summary,
                   "body": list(body)}
    if actions:
        built["actions"] = list(actions)
    return built


def card_bytes(built: Card) -> int:
    """The card's size as Teams counts it: its JSON in UTF-8."""
    return len(json.dumps(built, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


# --- Text ---------------------------------------------------------------------------------------------


def bold(text: str) -> Run:
    return {"type": "TextRun", "text": text, "weight": "Bolder"}


def _run(part: Part) -> Run:
    return {"type": "TextRun", "text": part} if isinstance(part, str) else part


def para(*parts: Part, subtle: bool = False, color: str | None = None, tight: bool = False,
         size: str | None = None, element_id: str | None = None) -> dict[str, Any]:
    """One paragraph: plain strings and `bold(...)` runs, shown exactly as given. `tight` puts it
    right under the one before (a list's next line); `color` is "attention" for an error,
    "warning" for a caution."""
    runs = [_run(part) for part in parts if part != ""]
    for run in runs:
        if subtle:
            run["isSubtle"] = True
        if color:
            run["color"] = color
        if size:
            run["size"] = size
    block: dict[str, Any] = {"type": "RichTextBlock", "inlines": runs or [_run("—")]}
    if tight:
        block["spacing"] = "None"
    if element_id:
        block["id"] = element_id
    return block


def heading(text: str) -> dict[str, Any]:
    """The card's title line."""
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text, "weight": "Bolder",
                                                  "size": "Large"}]}


def bullets(lines: Sequence[str | Sequence[Part]], *, subtle: bool = False) -> list[dict[str, Any]]:
    """A list, one paragraph a line starting "• ", each right under the one before."""
    blocks = []
    for index, line in enumerate(lines):
        parts: Sequence[Part] = [line] if isinstance(line, str) else line
        blocks.append(para("• ", *parts, subtle=subtle, tight=index > 0))
    return blocks


def separator() -> dict[str, Any]:
    """A thin line between parts of a card (an empty paragraph carrying the separator)."""
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": " "}], "separator": True,
            "spacing": "Medium"}


def facts(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """"Title: value" rows. Teams reads these as Markdown: panelbot's own words and amounts only."""
    return {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in pairs]}


def person(who: str, names: Names) -> str:
    """A person's (or group's) display name, or their id when the names passed have nothing for them."""
    return names.get(who) or who


def people(ids: Sequence[str], names: Names, *, none: str = "not set") -> str:
    return ", ".join(person(who, names) for who in ids) or none


# --- Buttons ------------------------------------------------------------------------------------------


def execute(title: str, verb: Verb, data: Mapping[str, Any] | None = None, *,
            style: str | None = None) -> dict[str, Any]:
    """A Universal Actions button: Teams sends `verb` and `data` (with the card's inputs, keyed by
    their ids) to the bot, which answers with the card as it is now. `style` is "positive" or
    "destructive"."""
    action: dict[str, Any] = {"type": "Action.Execute", "title": cut(title, _TITLE), "verb": verb.value,
                              "data": dict(data or {})}
    if style:
        action["style"] = style
    return action


def open_url(title: str, url: str) -> dict[str, Any]:
    """A link button (Teams opens it; the bot is not told)."""
    return {"type": "Action.OpenUrl", "title": cut(title, _TITLE), "url": url}


def action_set(actions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Buttons inside the body, under what they act on."""
    return {"type": "ActionSet", "actions": list(actions)}


# --- Form inputs --------------------------------------------------------------------------------------
# Each input carries its label, `isRequired` and an `errorMessage` (Teams shows it when its own check
# fails, before anything is sent). A refusal from panelbot comes back as the same form with the
# sentence shown in red right under the field (`error`), and the answers given so far filled in.
# Slack's input hints have no Adaptive Card equivalent: they are a subtle line under the input.

_REQUIRED = "This is needed."


def _input(element: dict[str, Any], *, label: str, required: bool, error: str | None,
           hint: str | None, needed: str | None) -> list[dict[str, Any]]:
    element["label"] = label  # Teams marks a required input with "*"
    element["isRequired"] = required
    element["errorMessage"] = error or needed or _REQUIRED
    blocks = [element]
    if hint:
        blocks.append(para(hint, subtle=True, tight=True))
    if error:
        blocks.append(para("⚠ ", error, color="attention", tight=True, element_id=f"{element['id']}.error"))
    return blocks


def text_input(input_id: str, label: str, *, required: bool, multiline: bool = False, max_length: int = MAX_TEXT,
               placeholder: str | None = None, value: str | None = None, regex: str | None = None,
               error: str | None = None, hint: str | None = None, needed: str | None = None) -> list[dict[str, Any]]:
    element: dict[str, Any] = {"type": "Input.Text", "id": input_id, "maxLength": max_length}
    if multiline:
        element["isMultiline"] = True
    if placeholder:
        element["placeholder"] = placeholder
    if value:
        element["value"] = cut(value, max_length)
    if regex:
        element["regex"] = regex
    return _input(element, label=label, required=required, error=error, hint=hint, needed=needed)


def number_input(input_id: str, label: str, *, required: bool, minimum: float | None = None,
                 maximum: float | None = None, value: float | None = None, placeholder: str | None = None,
                 error: str | None = None, hint: str | None = None, needed: str | None = None) -> list[dict[str, Any]]:
    element: dict[str, Any] = {"type": "Input.Number", "id": input_id}
    if minimum is not None:
        element["min"] = minimum
    if maximum is not None:
        element["max"] = maximum
    if value is not None:
        element["value"] = value
    if placeholder:
        element["placeholder"] = placeholder
    return _input(element, label=label, required=required, error=error, hint=hint, needed=needed)


def choice_input(input_id: str, label: str, choices: Sequence[tuple[str, str]], *, required: bool,
                 multi: bool = False, expanded: bool = False, value: str | None = None,
                 placeholder: str | None = None, error: str | None = None, hint: str | None = None,
                 needed: str | None = None) -> list[dict[str, Any]]:
    """A drop-down (or, `expanded`, radio buttons / check boxes) of (title, value) choices. A
    multi-select answers with the chosen values joined by commas."""
    element: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "choices": [{"title": cut(title, _TITLE), "value": choice} for title, choice in choices],
        "style": "expanded" if expanded else "compact",
        "wrap": True,
    }
    if multi:
        element["isMultiSelect"] = True
    if value:
        element["value"] = value
    if placeholder:
        element["placeholder"] = placeholder
    return _input(element, label=label, required=required, error=error, hint=hint, needed=needed)


def toggle_input(input_id: str, label: str, title: str, *, value_on: str, on: bool = False,
                 error: str | None = None, hint: str | None = None) -> list[dict[str, Any]]:
    """One check box: answers `value_on` when ticked, "" when not."""
    element: dict[str, Any] = {"type": "Input.Toggle", "id": input_id, "title": title, "valueOn": value_on,
                               "valueOff": "", "value": value_on if on else "", "wrap": True}
    return _input(element, label=label, required=False, error=error, hint=hint, needed=None)


def date_input(input_id: str, label: str, *, required: bool, value: str | None = None, error: str | None = None,
               hint: str | None = None, needed: str | None = None) -> list[dict[str, Any]]:
    """A date picker; `value` and the answer are ISO dates ("2026-12-09")."""
    element: dict[str, Any] = {"type": "Input.Date", "id": input_id}
    if value:
        element["value"] = value
    return _input(element, label=label, required=required, error=error, hint=hint, needed=needed)


def fit(build: Callable[[int], Card], most: int) -> Card:
    """`build(shown)` with the largest `shown` from `most` down to 0 whose card stays under
    MAX_CARD_BYTES (a long list ends "and N more" rather than being refused by Teams)."""
    shown = most
    built = build(shown)
    while card_bytes(built) > MAX_CARD_BYTES and shown > 0:
        shown = shown - max(1, shown // 10)
        built = build(shown)
    return built


EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def person_input(input_id: str, label: str, candidates: Sequence[str], names: Names, *, required: bool,
                 value: str | None = None, error: str | None = None, hint: str | None = None,
                 needed: str | None = None) -> list[dict[str, Any]]:
    """Choosing a colleague. Adaptive Cards 1.5 has no people picker, so: a drop-down of `candidates`
    (ids, shown by name) when the caller knows who may be chosen; otherwise their work e-mail address,
    which the Teams side looks up. The answer is an id from `candidates`, or the address as typed."""
    if candidates:
        choices = _told_apart([(person(who, names), who) for who in dict.fromkeys(candidates)])
        return choice_input(input_id, label, choices[:100], required=required, value=value, error=error,
                            hint=hint, needed=needed, placeholder="Choose a colleague")
    return text_input(input_id, f"{label} (work e-mail)", required=required, max_length=254, value=value,
                      regex=EMAIL, placeholder="name@council.gov.uk", error=error, hint=hint,
                      needed=needed or "Enter their work e-mail address, like name@council.gov.uk.")


def _told_apart(choices: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Choices whose titles repeat ("a colleague", or two people with one name) numbered "(1)", "(2)"…"""
    total = Counter(title for title, _ in choices)
    seen: Counter[str] = Counter()
    told: list[tuple[str, str]] = []
    for title, value in choices:
        seen[title] += 1
        told.append((f"{title} ({seen[title]})" if total[title] > 1 else title, value))
    return told


def teams_words(text: str, names: Names) -> str:
    """The core's tokens (bot.markup) as Teams shows them: a person by name, a command as it is typed."""
    return markup.render(text, person=lambda who: person(who, names),
                         command=lambda words: "\u201c" + words + "\u201d")
