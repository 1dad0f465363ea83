"""The Teams side of the outbound seam (bot/notify.py): Adaptive Cards from `cards/`, sent through the
Bot Connector (`connector.py`) to the addresses `addresses.py` keeps. The Teams counterpart of
handlers/slack/notify.py.

Where each notice goes:
- a person ("teams:<Entra object id>"): their personal chat with panelbot, opened with
  POST v3/conversations when panelbot has none with them yet (it needs them to have the app);
- a channel ("teams:19:…"): a new post in the channel (the case card, the agendas); the decision
  goes under the case card as a reply, and CARD_UPDATE changes the card in place with PUT, for
  everyone in the channel;
- the Home notice: Teams has no App Home tab, so it sends nothing (the home card is what panelbot
  answers "hello" with). Returning as sent keeps the outbox from retrying it.

`send` returns `Sent(address, activity id)`: for the case card that is stored as the case's card in
that channel (`case_cards`), and is what CARD_UPDATE, the reply and retention's `delete_message` use.

Errors are `DeliveryError`s mapped from the connector's answers (connector.py's table). Beyond those:
`no_address` (permanent) when panelbot has never seen the person or channel in Teams: the person must
install panelbot, or panelbot must be added to the channel's team, before anything reaches them.

Reconciliation after a crash, or an answer lost (`outbox_already_sent`, `reminders_already_sent`).
Slack lets the app read its own DM history, so slack_notify looks for the message's outbox id before
sending again. The Bot Connector has no such read. Its conversation operations (Microsoft's "API
reference for the Bot Framework Connector service") create a conversation, send, reply, update and
delete an activity, list a conversation's or an activity's members, list conversations (not their
messages) and upload a transcript (SendConversationHistory writes history, it does not read it):
nothing returns an activity the bot sent. The only way to read a chat back is Microsoft Graph's
chat-messages API with `Chat.Read.All` (a protected, tenant-wide permission to read everyone's chats)
or resource-specific consent per chat, which a council should not grant a bot for this. So panelbot
cannot tell whether a message whose answer was lost is in Teams, and chooses:
- a personal message: `outbox_already_sent` raises a permanent DeliveryError `no_history`, meaning "it
  cannot be looked for": the outbox should then treat it as a channel post of unknown fate (marked
  `unknown`, not sent again, the panel admins told which case and who) rather than send it twice;
- a reminder: `reminders_already_sent` raises the same permanent `no_history`: the reminder sweep
  marks the reminders `unknown` (not sent again, still open for Done) and tells the panel admins to
  check with the person;
- a channel post: the outbox already marks it unknown and tells the panel admins (as for Slack).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.cases import CaseView
from bot.domain.decisions import Decided
from bot.domain.reminders import ReminderItem
from bot.notify import About, DeliveryError, Notice, Sent
from handlers.teams.addresses import CHANNEL, NO_CHAT, PERSON, Address, AddressBook
from handlers.teams.connector import Connector
from messages.teams.elements import Card, Names
from messages.teams.envelope import attachment
from messages.teams.notices import notice_card
from messages.teams.reminders import reminders_card

# Answers to a delete meaning the message is no longer there: nothing left to delete.
GONE = frozenset({"activity_not_found_in_conversation", "conversation_not_found"})
NO_HISTORY = "no_history"


def message(card: Card) -> dict[str, Any]:
    """A bot message carrying one card. `summary` is what a notification shows: the card's fallback
    text, which follows the card's own privacy rule."""
    return {"type": "message", "summary": str(card.get("fallbackText", ""))[:250], "attachments": [attachment(card)]}


class TeamsNotifier:
    """Implements bot.notify's Notifier, ReminderNotifier and MessageEraser for Teams addresses."""

    def __init__(self, connector: Connector, addresses: AddressBook, *, names: Names | None = None) -> None:
        self.connector = connector
        self.addresses = addresses
        self.gate = connector.gate
        self.names = addresses.names if names is None else names  # display names: handlers/teams/names.py

    # -- Notifier ------------------------------------------------------------------------------------

    def send(self, notice: Notice, about: About, recipient: str, *, outbox_id: int) -> Sent:
        if notice is Notice.HOME:
            return Sent(channel=recipient, ts="home")  # no Home tab in Teams: nothing to publish
        card = notice_card(notice, about, recipient, self.names)
        if notice is Notice.CARD_UPDATE:
            assert isinstance(about, CaseView)
            where, ts = self._card_of(about, recipient)
            self.connector.update(where.service_url, where.conversation_id, ts, message(card))
            return Sent(channel=where.address, ts=ts)
        if notice is Notice.THREAD_REPLY:
            assert isinstance(about, Decided)
            where, ts = self._card_of(about.case, recipient)
            reply = self.connector.reply(where.service_url, where.conversation_id, ts, message(card))
            return Sent(channel=where.address, ts=reply)
        return self.post(recipient, card)

    def outbox_already_sent(self, person: str, outbox_id: int, since: datetime) -> Sent | None:
        raise DeliveryError("Teams keeps no history a bot can read: whether it went cannot be told",
                            permanent=True, code=NO_HISTORY)

    # -- ReminderNotifier ------------------------------------------------------------------------------

    def send_reminders(self, person: str, items: Sequence[ReminderItem]) -> Sent:
        return self.post(person, reminders_card(items, self.names))

    def reminders_already_sent(self, person: str, since: datetime | None = None) -> dict[int, Sent]:
        raise DeliveryError("Teams keeps no history a bot can read: whether they went cannot be told",
                            permanent=True, code=NO_HISTORY)

    # -- MessageEraser ---------------------------------------------------------------------------------

    def delete_message(self, channel: str, ts: str) -> None:
        """Delete a message panelbot sent (`channel` is the address `send` returned). One Teams no longer
        has counts as deleted."""
        where = self._where(channel)
        if where.kind == PERSON and where.conversation_id == NO_CHAT:
            return  # never a chat with them: nothing was sent there
        try:
            self.connector.delete(where.service_url, where.conversation_id, ts)
        except DeliveryError as failed:
            if failed.code not in GONE:
                raise

    # -- where -----------------------------------------------------------------------------------------

    def _where(self, address: str) -> Address:
        found = self.addresses.find(address)
        if found is None:
            raise DeliveryError("panelbot has never seen this person or channel in Teams", permanent=True,
                                code="no_address")
        return found

    def _card_of(self, case: CaseView, channel: str) -> tuple[Address, str]:
        """Where the case's card in `channel` is, and its activity id."""
        ts = case.card_on(channel)
        if ts is None:
            raise DeliveryError("the case card is not posted yet", permanent=False, code="card_not_posted")
        where = self._where(channel)
        if where.kind != CHANNEL:
            raise DeliveryError("the case card is not in a Teams channel", permanent=True, code="not_a_channel")
        return where, ts

    def post(self, recipient: str, card: Card) -> Sent:
        """A new message: into the person's personal chat (opened first if there is none), or a new post
        in the channel."""
        where = self._where(recipient)
        if where.kind == PERSON and where.conversation_id == NO_CHAT:
            if not where.user_id:
                raise DeliveryError("no Teams user id to open a chat with", permanent=True, code="no_address")
            chat = self.connector.create_chat(where.service_url, where.user_id, where.tenant_id)
            where = self.addresses.remember_chat(where, chat)
        activity_id = self.connector.send(where.service_url, where.conversation_id, message(card))
        return Sent(channel=where.address, ts=activity_id)
