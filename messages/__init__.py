"""Message builders, pure, one package per surface: `messages/slack` (Block Kit) and `messages/teams`
(Adaptive Cards). No database, no chat calls."""
