"""Deciding bodies: the kinds a council's policy may name (DESIGN.md §2).

Pure: no Slack, no database, no clock.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["BODY_KIND_LABELS", "BodyKind"]


class BodyKind(StrEnum):
    PERSON = "person"  # a person in a role signs off within limits (a team manager, an operations manager)
    MEETING = "meeting"  # a meeting with bookable slots, chaired per sitting (the Enhanced Peer Forum)
    PANEL = "panel"  # a panel with a listed agenda and a papers cut-off (the SEND Quality Assurance Panel)


BODY_KIND_LABELS = {
    BodyKind.PERSON: "sign-off by a person in a role",
    BodyKind.MEETING: "a meeting with bookable slots",
    BodyKind.PANEL: "a panel with a listed agenda",
}
