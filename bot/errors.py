"""Errors panelbot raises on purpose.

    PanelbotError            -- our own; its message is written by us and safe to log
    ├── ConfigError          -- a setting or the policy file is wrong; start-up stops with one line
    └── UserError            -- the person asked for something that cannot be done; show them the text

Anything else reaching the global error handler is a bug or an outage: the person gets a plain
sentence with an incident id, the log gets the traceback under that id.
"""


class PanelbotError(Exception):
    """Base of the errors whose messages we write ourselves (no personal data in them)."""


class ConfigError(PanelbotError):
    """A setting or the policy is missing or malformed. The message names it and says how to fix it."""


class UserError(PanelbotError):
    """The request cannot be done as asked. The message is a plain sentence for the person."""
