"""Adaptive Cards for Microsoft Teams: pure functions from panelbot's surface-neutral views
(bot.domain, bot.notify) to Adaptive Card 1.5 JSON, one module per subject as messages/ has for
Slack, with the same words where they are not Slack's. No database, no network, no Bot Framework.

- every button is a Universal Actions `Action.Execute` with a verb and data named in `ids.py` (a
  calendar link is an `Action.OpenUrl`);
- channel cards (notices.CHANNEL_NOTICES) carry the case reference, amounts, route, stage, outcome,
  who decided and when: never a reason, conditions, information needed, concerns or anything else
  a person typed, which go only to personal-chat cards and the case's details card;
- text is never Markdown (elements.py), and every card stays under elements.MAX_CARD_BYTES;
- `render.render_card` shows any card as plain text; `envelope.py` wraps a card for sending.

The official schema they are checked against is vendored in `schema/` (tests/teams/test_cards.py).
"""
