"""The chat surfaces: `handlers/slack` (Bolt) and `handlers/teams` (the Bot Framework), each its glue, its
notifier, its web route and its stand-in; their message builders are `messages/slack` and `messages/teams`."""
