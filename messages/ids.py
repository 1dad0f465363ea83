"""Every Slack callback, block and action id panelbot uses, named once.

Handlers and builders import these; a rename happens here and nowhere else.
"""

from enum import StrEnum


class Command(StrEnum):
    PANEL = "/panel"


class Subcommand(StrEnum):
    HELP = "help"
