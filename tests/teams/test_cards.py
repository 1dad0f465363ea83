"""Every Teams card, built from realistic views, against the official Adaptive Cards 1.5 schema and
Teams' limits; every verb and input id named in ids.py; the schema file as vendored.

Plain dicts are checked by nothing until Teams refuses them (or, worse, shows them half-rendered), so
the builders are checked here (DESIGN.md §7, for Slack's Block Kit).
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import messages.teams as cards_package
from bot.domain.decisions import DecisionFormError, Outcome, read_decision
from bot.domain.submission import FORM_KEYS
from bot.notify import Notice
from messages.teams.elements import MAX_CARD_BYTES, VERSION, card_bytes
from messages.teams.envelope import attachment, card_response, dialog, message_response
from messages.teams.ids import INPUT_IDS, DecisionInput, Key, SubmitInput, Verb
from messages.teams.notices import CHANNEL_NOTICES, notice_card
from tests.teams.test_cards_views import CARDS, NOTICE_ABOUT

SCHEMA_DIR = Path(cards_package.__file__).parent / "schema"
SCHEMA_PATH = SCHEMA_DIR / "adaptive-card-1.5.json"
TEAMS_MESSAGE_BYTES = 28 * 1024  # Teams refuses a bot message over about 28 KB
TEAMS_MOST_ACTIONS = 6  # Teams shows at most this many buttons in a row (host config maxActions)
MOST_CHOICES = 100
BUTTON_TITLE = 75

NAMES = sorted(CARDS)


@cache
def schema() -> dict[str, Any]:
    loaded = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft6Validator.check_schema(loaded)
    return loaded


@cache
def validator(definition: str | None = None) -> jsonschema.Draft6Validator:
    """The whole schema's validator, or one for a single definition ("Input.Text")."""
    if definition is None:
        return jsonschema.Draft6Validator(schema())
    return jsonschema.Draft6Validator({"$ref": f"#/definitions/{definition}", "definitions": schema()["definitions"]})


def typed_objects(value: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(value, dict):
        if isinstance(value.get("type"), str):
            yield where or "card", value
        for key, item in value.items():
            yield from typed_objects(item, f"{where}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from typed_objects(item, f"{where}/{index}")


def schema_problems(card: dict[str, Any]) -> list[str]:
    """Why the card is not a valid Adaptive Card 1.5, as readable lines. The schema chooses an
    element's definition with anyOf, which hides the reason; so each object with a `type` is also
    checked against its own definition, and its nested elements report for themselves."""
    if validator().is_valid(card):
        return []
    problems = []
    definitions = schema()["definitions"]
    for where, obj in typed_objects(card):
        if obj["type"] not in definitions:
            problems.append(f"{where}: no element or action of type {obj['type']!r} in Adaptive Cards 1.5")
            continue
        for error in validator(obj["type"]).iter_errors(obj):
            nested = isinstance(error.instance, dict) and "type" in error.instance and error.instance is not obj
            if nested:
                continue  # a nested element or action: reported on its own
            if error.validator == "anyOf" and error.context:
                # The branch for the kind of value given (an object, not the string shorthand) says why.
                error = jsonschema.exceptions.best_match(
                    [branch for branch in error.context if branch.validator != "type"] or error.context)
            inside = "/".join(str(part) for part in error.absolute_path)
            problems.append(f"{where}{'/' + inside if inside else ''}: {error.message[:300]}")
    return problems or ["not a valid Adaptive Card 1.5 (see jsonschema's own report)"]


def walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every object in the card, depth first."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def actions_of(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [obj for obj in walk(card) if str(obj.get("type", "")).startswith("Action.")]


def inputs_of(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [obj for obj in walk(card) if str(obj.get("type", "")).startswith("Input.") and "id" in obj]


@cache
def built(name: str) -> dict[str, Any]:
    return CARDS[name]()


# --- The schema -------------------------------------------------------------------------------------------


def test_the_vendored_schema_is_the_file_its_note_names():
    note = (SCHEMA_DIR / "README.md").read_text(encoding="utf-8")
    digest = hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest()
    assert digest in note
    assert "schemas/1.5.0/adaptive-card.json" in note and "MIT License" in note
    assert json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["$schema"].startswith("http://json-schema.org/draft-06")


def test_the_schema_check_finds_what_is_wrong():
    card = {"type": "AdaptiveCard", "version": VERSION, "body": [
        {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": "x", "colour": "attention"}]},
        {"type": "Input.Text", "label": "no id"},
    ], "actions": [{"type": "Action.Execute", "title": "Go", "verb": "case.open", "style": "primary"}]}
    problems = "\n".join(schema_problems(card))
    assert "colour" in problems
    assert "'id' is a required property" in problems
    assert "primary" in problems
    assert schema_problems({"type": "AdaptiveCard", "version": VERSION, "body": []}) == []


@pytest.mark.parametrize("name", NAMES)
def test_every_card_is_a_valid_adaptive_card_1_5(name):
    card = built(name)
    assert card["version"] == VERSION
    assert schema_problems(card) == []


# --- Teams' limits ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_card_stays_well_under_a_teams_message(name):
    card = built(name)
    assert card_bytes(card) <= MAX_CARD_BYTES
    assert len(json.dumps(attachment(card), ensure_ascii=False).encode("utf-8")) < TEAMS_MESSAGE_BYTES - 2048


@pytest.mark.parametrize("name", NAMES)
def test_every_card_keeps_teams_display_limits(name):
    card = built(name)
    assert card["fallbackText"].strip(), "the notification and old clients need words"
    for holder in walk(card):
        if holder is not card and holder.get("type") not in ("ActionSet",):
            continue
        assert len(holder.get("actions", [])) <= TEAMS_MOST_ACTIONS
    for action in actions_of(card):
        assert 0 < len(action["title"]) <= BUTTON_TITLE
    for element in inputs_of(card):
        assert element.get("label"), f"{element['id']} has no label"
        if element["type"] == "Input.ChoiceSet":
            assert 0 < len(element["choices"]) <= MOST_CHOICES
            assert len({choice["value"] for choice in element["choices"]}) == len(element["choices"])
            assert all("," not in choice["value"] for choice in element["choices"]) or not element.get(
                "isMultiSelect"), "a multi-select joins its answers with commas"


@pytest.mark.parametrize("name", NAMES)
def test_no_card_uses_markdown(name):
    """Text is RichTextBlock runs, shown as typed; FactSets, which Teams reads as Markdown, carry only
    panelbot's words and amounts."""
    card = built(name)
    assert not [obj for obj in walk(card) if obj.get("type") == "TextBlock"]
    for obj in walk(card):
        if obj.get("type") == "FactSet":
            for fact in obj["facts"]:
                assert not re.search(r"[*_\[\]<>`#~|]", fact["title"] + fact["value"]), fact


# --- Verbs and ids ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_button_is_a_universal_action_named_in_ids(name):
    card = built(name)
    data_keys: set[str] = set()
    for action in actions_of(card):
        if action["type"] == "Action.OpenUrl":
            assert action["url"].startswith("https://")
            continue
        assert action["type"] == "Action.Execute", action
        assert action["verb"] in set(Verb)
        assert isinstance(action["data"], dict)
        assert set(action["data"]) <= set(Key)
        data_keys |= set(action["data"])
    ids = [element["id"] for element in inputs_of(card)]
    assert len(ids) == len(set(ids)), "an input id given twice"
    assert set(ids) <= INPUT_IDS
    assert not set(ids) & data_keys, "an input would overwrite a button's data"
    element_ids = [obj["id"] for obj in walk(card) if "id" in obj and "type" in obj]
    assert len(element_ids) == len(set(element_ids))


def test_every_verb_in_ids_is_on_some_card_and_no_card_has_another():
    used = {action["verb"] for name in NAMES for action in actions_of(built(name)) if "verb" in action}
    assert used == set(Verb)


def test_every_input_id_in_ids_is_on_some_form():
    used = {element["id"] for name in NAMES for element in inputs_of(built(name))}
    assert used == INPUT_IDS


def test_form_inputs_are_the_keys_the_surface_neutral_readers_take():
    assert {field.value for field in SubmitInput} == set(FORM_KEYS.values())
    with pytest.raises(DecisionFormError) as refused:
        read_decision(Outcome.APPROVED_WITH_CHANGES, {field.value: "" for field in DecisionInput})
    assert set(refused.value.errors) <= {field.value for field in DecisionInput}


def test_verbs_are_named_once_with_distinct_values():
    assert len({verb.value for verb in Verb}) == len(Verb)
    assert len({key.value for key in Key}) == len(Key)


# --- Notices ----------------------------------------------------------------------------------------------


def test_every_notice_has_a_teams_card():
    for notice in Notice:
        card = notice_card(notice, NOTICE_ABOUT[notice], "29:1someone")
        assert schema_problems(card) == []


def test_the_channel_notices_are_the_ones_slack_posts_to_a_channel():
    assert {Notice.CASE_CARD, Notice.CARD_UPDATE, Notice.THREAD_REPLY, Notice.AGENDA,
            Notice.PANEL_AGENDA} == CHANNEL_NOTICES


def test_a_notice_about_the_wrong_view_is_refused():
    with pytest.raises(TypeError, match="case_card"):
        notice_card(Notice.CASE_CARD, NOTICE_ABOUT[Notice.AGENDA], "29:1someone")


# --- How a card travels ------------------------------------------------------------------------------------


def test_a_card_travels_as_an_attachment_a_dialog_or_an_answer_to_a_press():
    card = built("help")
    assert attachment(card) == {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
    task = dialog(card, "Submit a case")["task"]
    assert task["type"] == "continue" and task["value"]["card"]["content"] is card
    assert task["value"]["title"] == "Submit a case"
    assert card_response(card) == {"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive",
                                   "value": card}
    assert message_response("Done.")["value"] == "Done."


# --- Layering -------------------------------------------------------------------------------------------

CARDS_DIR = Path(cards_package.__file__).parent
# Pure builders: no Slack, no database, no services, no network; from messages/ only the shared words.
FORBIDDEN = ("slack_bolt", "slack_sdk", "sqlalchemy", "store", "bot.services", "bot.slack", "requests", "httpx",
             "urllib.request", "messages.slack", "handlers")
ALLOWED_FROM_MESSAGES: set[str] = set()


def test_the_card_builders_import_no_slack_database_or_services():
    offences = []
    for path in sorted(CARDS_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
            for name in names:
                if name in ALLOWED_FROM_MESSAGES:
                    continue
                if name.startswith(FORBIDDEN):
                    offences.append(f"{path.relative_to(CARDS_DIR)} imports {name}")
        source = path.read_text(encoding="utf-8")
        offences += [f"{path.name} reads the clock" for call in ("datetime.now(", "date.today(", "time.time(")
                     if call in source]
    assert offences == []
