"""Who and where, on any chat surface: the one place the core reads the shape of an id.

People, groups and channels are addresses: strings the policy names and the database stores. The
core never calls a chat service and never writes a surface's mention or command syntax; it only needs
to tell a person from a group from a channel (to expand a role, to DM someone or post in a channel),
and which surface an address is on (to hand a message to that surface's notifier). That is this
table, and it is checked when a policy loads, before any surface runs.

    surface  person                          group (a role's members)            channel
    slack    U… or W… (Enterprise Grid)      S… (a user group)                   C… or G…
    teams    teams:<Entra object id>         teams-group:<Entra group id>        teams:19:…@thread.tacv2 / .skype

Slack's ids are written bare, as every policy and database row has them. A Teams person is their
Microsoft Entra object id (the same id an Entra group lists and the Teams SDK gives as aadObjectId);
a Teams channel is its conversation id. A Teams address is at most 255 characters, as the columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Surface(StrEnum):
    SLACK = "slack"
    TEAMS = "teams"


class Kind(StrEnum):
    PERSON = "person"
    GROUP = "group"
    CHANNEL = "channel"


_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_RULES: tuple[tuple[Surface, Kind, re.Pattern[str]], ...] = (
    (Surface.SLACK, Kind.PERSON, re.compile(r"[UW][A-Z0-9]{6,}")),
    (Surface.SLACK, Kind.GROUP, re.compile(r"S[A-Z0-9]{6,}")),
    (Surface.SLACK, Kind.CHANNEL, re.compile(r"[CG][A-Z0-9]{6,}")),
    (Surface.TEAMS, Kind.PERSON, re.compile(rf"teams:{_GUID}")),
    (Surface.TEAMS, Kind.GROUP, re.compile(rf"teams-group:{_GUID}")),
    (Surface.TEAMS, Kind.CHANNEL, re.compile(r"teams:19:[A-Za-z0-9_\-.]{1,200}@thread\.(?:tacv2|skype)")),
)
MAX_LENGTH = 255  # the database's columns for people and channels

# How each kind is described in a refusal (the policy check, the case form), whatever the surface.
DESCRIBED = {
    Kind.PERSON: "a person (a Slack user ID, U… or W…, or a Teams person, teams:<Entra object id>)",
    Kind.GROUP: "a group (a Slack user-group ID, S…, or an Entra group, teams-group:<object id>)",
    Kind.CHANNEL: "a channel (a Slack channel ID, C…, or a Teams channel, teams:19:…@thread.tacv2)",
}


@dataclass(frozen=True)
class Address:
    surface: Surface
    kind: Kind


def parse(value: object) -> Address | None:
    """The surface and kind of `value`; None when it is no address panelbot knows."""
    if not isinstance(value, str) or len(value) > MAX_LENGTH:
        return None
    for surface, kind, pattern in _RULES:
        if pattern.fullmatch(value):
            return Address(surface, kind)
    return None


def is_kind(value: object, *kinds: Kind) -> bool:
    found = parse(value)
    return found is not None and found.kind in kinds


def is_person(value: object) -> bool:
    return is_kind(value, Kind.PERSON)


def is_group(value: object) -> bool:
    return is_kind(value, Kind.GROUP)


def is_channel(value: object) -> bool:
    return is_kind(value, Kind.CHANNEL)


def surface_of(value: str) -> Surface | None:
    found = parse(value)
    return found.surface if found is not None else None
