"""The layers of DESIGN.md §5: the domain is pure, the core (bot/) imports no chat library, builders touch
no database, and each surface (handlers/slack + messages/slack, handlers/teams + messages/teams) keeps to itself."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CHAT_LIBRARIES = {"slack_bolt", "slack_sdk", "microsoft_teams", "microsoft_agents", "jwt"}
FORBIDDEN = {
    # The core: no chat library anywhere in bot/ (bot/runtime.py and bot/cli.py, the composition root,
    # reach a surface only through its own wiring in handlers/, imported when the settings turn it on).
    "bot": CHAT_LIBRARIES,
    "bot/domain": {*CHAT_LIBRARIES, "sqlalchemy", "store", "handlers", "messages", "bot.services"},
    "bot/services": {*CHAT_LIBRARIES, "handlers", "messages"},
    "store": {*CHAT_LIBRARIES, "handlers", "messages", "bot.services"},
    "messages": {*CHAT_LIBRARIES, "sqlalchemy", "store", "bot.services", "handlers"},
    # Each surface keeps to itself: Slack's code knows nothing of Teams', and Teams' nothing of Slack's.
    "messages/slack": {"messages.teams"},
    "messages/teams": {"messages.slack"},
    "handlers/slack": {"microsoft_teams", "microsoft_agents", "jwt", "handlers.teams", "messages.teams"},
    "handlers/teams": {"slack_bolt", "slack_sdk", "handlers.slack", "messages.slack"},
}


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_it_must_not(layer):
    offences = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for name in imports_of(path):
            if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[layer]):
                offences.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offences == []


def test_the_domain_reads_no_clock():
    offences = []
    for path in sorted((ROOT / "bot/domain").rglob("*.py")):
        source = path.read_text()
        for call in ("datetime.now(", "date.today(", "time.time(", "datetime.utcnow("):
            if call in source:
                offences.append(f"{path.relative_to(ROOT)} calls {call}")
    assert offences == []
