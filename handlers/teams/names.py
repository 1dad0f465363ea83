"""What Teams cards call a person: their display name, where panelbot knows it.

The views the services return carry addresses (`teams:<Entra object id>`); the Teams cards show people
through a `Names` mapping (messages/teams/elements.py). `DisplayNames` is that mapping, from two
sources, the first that knows a name winning:

1. the name Teams sends with every activity (`from.name`), kept with the person's address in
   `teams_addresses` (addresses.py), the latest winning: a renamed colleague is renamed the next time
   they write to panelbot or press one of its buttons;
2. Microsoft Graph, `GET /users/{id}?$select=displayName` (graph.py's `GraphUsers`), for people who have
   never written to panelbot: a chair named in the policy, a team manager chosen on a form. Only with
   TEAMS_TENANT_ID set and User.Read.All granted.

`names[address]` is what a card calls someone: their display name, or, when neither source knows it,
neutral words ("a colleague"; a group: "a group of colleagues"), never the raw id. Only Teams people
are looked up; a Slack person on a Teams card (a deployment on both) is "a colleague on Slack". Only
a string that is no person or group address is missing from the mapping. It iterates over the names
it has read so far, not over everyone it would answer for.

Whose names. These are staff: the practitioners, managers and chairs who use panelbot, whose names
their colleagues see all over Teams (Slack shows them in channels too, as mentions). The people the
cases are about are never named through here: a case holds their reference, not their name, and what
anyone typed about them never goes to a channel. No name is ever logged.

A recorded name is read from the database at most once every RECORDED_TTL seconds per person (one
this process records counts at once); Graph's are cached by `GraphUsers`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping

from bot.addresses import Kind, Surface, parse

RECORDED_TTL = 600.0  # seconds a name read from teams_addresses is used before it is read again
A_COLLEAGUE = "a colleague"  # a Teams person whose name panelbot does not know
A_SLACK_COLLEAGUE = "a colleague on Slack"  # Slack shows its own people by name; a Teams card cannot
A_GROUP = "a group of colleagues"
MAX_NAME = 256  # characters of a display name kept (Entra ID allows 256): the column's length
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")

NameSource = Callable[[str], str | None]  # an address -> its display name, or None when not known


def clean_name(value: object) -> str | None:
    """A display name as panelbot shows and keeps it: one line, no control or text-direction
    characters, at most MAX_NAME characters; None when nothing is left."""
    if not isinstance(value, str):
        return None
    name = " ".join(_CONTROL.sub(" ", value).split())[:MAX_NAME].strip()
    return name or None


class DisplayNames(Mapping[str, str]):
    """A person's address → what a Teams card calls them (see the module docstring). `recorded` reads
    the name kept in the database; `graph`, when there is one, asks Microsoft Graph for a Teams person
    it has no name for."""

    def __init__(self, recorded: NameSource, graph: NameSource | None = None, *, ttl: float = RECORDED_TTL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._read_recorded = recorded
        self._graph = graph
        self._ttl = ttl
        self._clock = clock
        self._recorded: dict[str, tuple[float, str | None]] = {}  # address -> (read again after, name)
        self._lock = threading.Lock()

    def remember(self, address: str, name: str) -> None:
        """A name this process has just recorded: it counts at once."""
        with self._lock:
            self._recorded[address] = (self._clock() + self._ttl, name)

    def __getitem__(self, address: str) -> str:
        found = parse(address)
        if found is None or found.kind is Kind.CHANNEL:
            raise KeyError(address)
        if found.kind is Kind.GROUP:
            return A_GROUP
        if found.surface is not Surface.TEAMS:
            return A_SLACK_COLLEAGUE
        return self.display_name(address) or A_COLLEAGUE

    def display_name(self, address: str) -> str | None:
        """A Teams person's display name, from what they sent panelbot or else from Graph; None if neither."""
        now = self._clock()
        with self._lock:
            cached = self._recorded.get(address)
        if cached is not None and now < cached[0]:
            name = cached[1]
        else:
            name = self._read_recorded(address)
            with self._lock:
                self._recorded[address] = (now + self._ttl, name)
        if name is None and self._graph is not None:
            name = self._graph(address)
        return name

    def __iter__(self) -> Iterator[str]:
        """The people whose recorded names this process has read (not everyone Teams knows)."""
        with self._lock:
            return iter([address for address, (_, name) in self._recorded.items() if name])

    def __len__(self) -> int:
        with self._lock:
            return sum(1 for _, name in self._recorded.values() if name)
