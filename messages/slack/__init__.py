"""Block Kit builders: pure functions from results to Slack payloads. No database, no Slack calls."""
