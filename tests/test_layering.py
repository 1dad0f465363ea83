"""The layers of DESIGN.md §5: the domain is pure, services know nothing of Slack, builders touch no database."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "bot/domain": {"slack_bolt", "slack_sdk", "sqlalchemy", "store", "handlers", "messages", "bot.services"},
    "bot/services": {"slack_bolt", "slack_sdk", "handlers", "messages"},
    "messages": {"slack_bolt", "slack_sdk", "sqlalchemy", "store", "bot.services", "handlers"},
    "store": {"slack_bolt", "slack_sdk", "handlers", "messages", "bot.services"},
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
