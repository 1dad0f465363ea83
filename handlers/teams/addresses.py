"""Where Teams reaches the people and channels panelbot knows by address (bot.addresses).

A person is "teams:<Entra object id>" (the activity's `from.aadObjectId`), a channel
"teams:<channel conversation id>" ("teams:19:…@thread.tacv2"). The Bot Connector needs more than the
id to send: the service URL of the person's or team's region, the tenant, and for a person the
conversation id of the bot's personal chat with them, or their Bot Framework user id ("29:…") to
open that chat. None can be worked out from the address; each is learnt from what Teams sends the
bot (an install, any message, any button press) and kept in `teams_addresses`, the latest winning.

    seen in                               recorded
    the person's chat with panelbot       the person: user id, service URL, tenant, the chat's id,
                                          their display name
    a channel (a message, an install)     the channel: its id, service URL, tenant; and the person
                                          who wrote, without a chat ("" until one is opened), and
                                          their display name

A row is written only when something in it changed, so a busy person costs a read per activity.
Ids go in, and a person's display name as Teams sends it (`from.name`, or the roster's `name`), which
the cards show (`names`: names.py; staff only, never logged). No e-mail addresses: an address typed on
a form is looked up in a team's roster when it is needed and not kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.addresses import is_channel, is_person
from bot.services import Services
from handlers.teams.connector import Connector
from handlers.teams.names import DisplayNames, NameSource, clean_name
from store.models import TeamsAddress

logger = logging.getLogger("panelbot.teams.addresses")

PREFIX = "teams:"
PERSON, CHANNEL = "person", "channel"
NO_CHAT = ""  # a person seen in a channel: the bot has no personal chat with them yet


def person_address(aad_object_id: str) -> str:
    return PREFIX + aad_object_id


def channel_address(channel_id: str) -> str:
    return PREFIX + channel_id


def conversation_of(address: str) -> str:
    """The id Teams knows an address by (a channel's conversation id): the address without "teams:"."""
    return address.removeprefix(PREFIX)


@dataclass(frozen=True)
class Address:
    address: str
    kind: str
    user_id: str | None  # a person's "29:…" id
    conversation_id: str  # the personal chat, or the channel; NO_CHAT for a person without one yet
    service_url: str
    tenant_id: str
    display_name: str | None = None  # a person's, as Teams last sent it


def _row(address: Address) -> dict[str, Any]:
    row = {"kind": address.kind, "user_id": address.user_id, "conversation_id": address.conversation_id,
           "service_url": address.service_url, "tenant_id": address.tenant_id}
    if address.display_name is not None:  # an activity without a name keeps the one known
        row["display_name"] = address.display_name
    return row


def _address(row: TeamsAddress) -> Address:
    return Address(row.address, row.kind, row.user_id, row.conversation_id, row.service_url, row.tenant_id,
                   row.display_name)


def _field(data: Any, *names: str) -> Any:
    """data.names[0].names[1]…, reading pydantic models and dicts alike; None where a level is missing."""
    for name in names:
        if data is None:
            return None
        data = data.get(name) if isinstance(data, dict) else getattr(data, name, None)
    return data


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def channel_of(activity: Any) -> str | None:
    """The channel an activity came from, as Teams names it ("19:…@thread.tacv2"); None outside a channel."""
    channel = _text(_field(activity, "channel_data", "channel", "id"))
    if channel is None and _field(activity, "conversation", "conversation_type") == "channel":
        channel = (_text(_field(activity, "conversation", "id")) or "").split(";", 1)[0] or None
    return channel if channel and is_channel(channel_address(channel)) else None


def sender_of(activity: Any) -> str | None:
    """The person who sent an activity, as panelbot addresses them ("teams:<Entra object id>"); None for
    anyone who is not a person in the tenant (a bot, a guest without an object id)."""
    object_id = _text(_field(activity, "from_", "aad_object_id"))
    if object_id is None:
        return None
    address = person_address(object_id)
    return address if is_person(address) else None


def tenant_of(activity: Any) -> str | None:
    return (_text(_field(activity, "conversation", "tenant_id"))
            or _text(_field(activity, "channel_data", "tenant", "id")))


class AddressBook:
    """The `teams_addresses` table: `record` what an activity shows, `find` where to send, `names` what
    to call people on cards (with `graph_names`, Microsoft Graph's, for people never seen here)."""

    def __init__(self, services: Services, graph_names: NameSource | None = None) -> None:
        self.services = services
        self.names = DisplayNames(self.display_name, graph_names)

    def record(self, activity: Any) -> None:
        """Keep where the activity's sender (and its channel, if any) can be reached. The activity has
        passed InboundAuth, so its service URL is the one its token names."""
        service_url, tenant = _text(_field(activity, "service_url")), tenant_of(activity)
        if service_url is None or tenant is None:
            return
        if (channel := channel_of(activity)) is not None:
            self._keep(Address(channel_address(channel), CHANNEL, None, channel, service_url, tenant))
        person, user_id = sender_of(activity), _text(_field(activity, "from_", "id"))
        if person is None or user_id is None:
            return
        personal = _field(activity, "conversation", "conversation_type") == "personal"
        chat = _text(_field(activity, "conversation", "id")) if personal else None
        name = clean_name(_field(activity, "from_", "name"))
        self._keep(Address(person, PERSON, user_id, chat or NO_CHAT, service_url, tenant, name))

    def find(self, address: str) -> Address | None:
        with self.services.sessions() as session:
            row = session.scalars(select(TeamsAddress).where(TeamsAddress.address == address)).first()
            return _address(row) if row is not None else None

    def display_name(self, address: str) -> str | None:
        """The display name Teams last sent with this person's activities; None if never."""
        with self.services.sessions() as session:
            return session.scalars(select(TeamsAddress.display_name).where(TeamsAddress.address == address)).first()

    def channels(self) -> list[Address]:
        with self.services.sessions() as session:
            rows = session.scalars(select(TeamsAddress).where(TeamsAddress.kind == CHANNEL)
                                   .order_by(TeamsAddress.updated_at.desc())).all()
            return [_address(row) for row in rows]

    def remember_chat(self, address: Address, conversation_id: str) -> Address:
        """The personal chat just opened with a person."""
        opened = Address(address.address, PERSON, address.user_id, conversation_id, address.service_url,
                         address.tenant_id)
        self._keep(opened)
        return opened

    def _keep(self, address: Address) -> None:
        """Insert or update the row, only when something changed. A person's known chat is never
        replaced by "no chat" (they wrote in a channel after writing to panelbot)."""
        now = self.services.now()
        for _ in range(2):  # a second activity from someone new may insert the same address first
            try:
                with self.services.sessions.begin() as session:
                    row = session.scalars(select(TeamsAddress).where(TeamsAddress.address == address.address)).first()
                    wanted = _row(address)
                    if row is not None and address.kind == PERSON and address.conversation_id == NO_CHAT:
                        wanted["conversation_id"] = row.conversation_id
                    if row is None:
                        session.add(TeamsAddress(address=address.address, updated_at=now, **wanted))
                    elif any(getattr(row, name) != value for name, value in wanted.items()):
                        session.execute(update(TeamsAddress).where(TeamsAddress.id == row.id)
                                        .values(updated_at=now, **wanted))
                if address.display_name is not None:
                    self.names.remember(address.address, address.display_name)
                return
            except IntegrityError:
                continue
        logger.warning("a Teams address could not be recorded: it changed twice under us")

    def find_by_email(self, connector: Connector, email: str) -> str | None:
        """The person with this work e-mail address, looked up in the rosters of the teams panelbot is in
        (a form asks for an address where Adaptive Cards have no people picker). Their address is kept
        (without a chat) so panelbot can reach them. None when no team panelbot is in lists them."""
        wanted = email.strip().lower()
        checked: set[tuple[str, str]] = set()
        for channel in self.channels():
            if (channel.service_url, channel.conversation_id) in checked:
                continue
            checked.add((channel.service_url, channel.conversation_id))
            for member in connector.members(channel.service_url, channel.conversation_id):
                emails = {str(member.get(key) or "").lower() for key in ("email", "userPrincipalName")}
                object_id, user_id = _text(member.get("aadObjectId")), _text(member.get("id"))
                if wanted in emails and object_id and user_id and is_person(person_address(object_id)):
                    found = Address(person_address(object_id), PERSON, user_id, NO_CHAT, channel.service_url,
                                    channel.tenant_id, clean_name(member.get("name")))
                    self._keep(found)
                    return found.address
        return None
