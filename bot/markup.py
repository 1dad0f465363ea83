"""People and commands in the sentences the core writes, for each chat surface to word its own way.

A service that names a person or a command in a sentence ("You cover for … today", "end it first
(… away off)") writes a token, never a surface's syntax: `person(address)` gives `{{@<address>}}` and
`command("away off")` gives `{{/away off}}`. Each surface renders them (`render`): Slack as a mention
`<@U…>` and "`/panel away off`", Teams as the person's name and "**away off**" typed to the bot.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_TOKEN = re.compile(r"\{\{([@/])([^{}\n]{1,255})\}\}")


def person(address: str) -> str:
    return "{{@" + address + "}}"


def command(words: str) -> str:
    return "{{/" + words + "}}"


def render(text: str, *, person: Callable[[str], str], command: Callable[[str], str]) -> str:
    """`text` with each token replaced by what the surface shows for it."""
    return _TOKEN.sub(lambda m: person(m.group(2)) if m.group(1) == "@" else command(m.group(2)), text)


def plain(text: str) -> str:
    """`text` for a log or a test: people as their address, commands as their words."""
    return render(text, person=lambda address: address, command=lambda words: words)
