"""The Slack side of the outbound seam: Block Kit from `messages/`, sent with the Web API client."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.domain.cases import CaseView
from bot.domain.decisions import Decided
from bot.domain.reminders import ReminderItem
from bot.notify import About, DeliveryError, Notice, Sent
from messages.booking import agenda_message, booking_cancelled_dm, booking_confirmation_dm, chair_agenda_dm
from messages.cases import case_card, decider_notice, receipt_dm
from messages.decisions import decision_notice_dm, decision_thread_reply, panel_agenda_message, practice_concern_dm
from messages.reminders import reminder_dm, reminder_failed_admin
from messages.spot_checks import spot_check_dm
from messages.visits import action_plan_needed_dm, step_assigned_dm, visit_planned_dm

BUILDERS: dict[Notice, Callable[[Any], dict[str, Any]]] = {
    Notice.CASE_CARD: case_card,
    Notice.CARD_UPDATE: case_card,
    Notice.RECEIPT: receipt_dm,
    Notice.DECIDER_NOTICE: decider_notice,
    Notice.BOOKING_CONFIRMED: booking_confirmation_dm,
    Notice.BOOKING_CANCELLED: booking_cancelled_dm,
    Notice.AGENDA: agenda_message,
    Notice.CHAIR_AGENDA: chair_agenda_dm,
    Notice.THREAD_REPLY: lambda about: decision_thread_reply(about.case, about.decision),
    Notice.DECISION_NOTICE: lambda about: decision_notice_dm(about.case, about.decision),
    Notice.PRACTICE_CONCERN: lambda about: practice_concern_dm(about.case, about.decision),
    Notice.PANEL_AGENDA: panel_agenda_message,
    Notice.ACTION_PLAN_NEEDED: lambda about: action_plan_needed_dm(about.provision, about.why),
    Notice.STEP_ASSIGNED: lambda about: step_assigned_dm(about.visit, about.step),
    Notice.SPOT_CHECK: spot_check_dm,
}

# Slack errors that another try will not fix.
PERMANENT = frozenset({
    "user_not_found", "account_inactive", "channel_not_found", "not_in_channel", "is_archived",
    "invalid_auth", "token_revoked", "missing_scope", "cannot_dm_bot", "user_disabled", "restricted_action",
    "invalid_blocks", "msg_too_long", "no_permission",
})

METADATA_EVENT = "panelbot_outbox"
REMINDER_EVENT = "panelbot_reminders"


class SlackNotifier:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def send(self, notice: Notice, about: About, recipient: str, *, outbox_id: int) -> Sent:
        # A planned visit's wording depends on who it goes to.
        message = visit_planned_dm(about, to=recipient) if notice is Notice.VISIT_PLANNED \
            else BUILDERS[notice](about)  # type: ignore[arg-type]
        try:
            if notice is Notice.CARD_UPDATE:
                assert isinstance(about, CaseView) and about.card_channel and about.card_ts
                response = self.client.chat_update(channel=about.card_channel, ts=about.card_ts,
                                                   text=message["text"], blocks=message.get("blocks"))
            elif notice is Notice.THREAD_REPLY:
                assert isinstance(about, Decided)
                if not (about.case.card_channel and about.case.card_ts):
                    raise DeliveryError("the case card is not posted yet", permanent=False)
                response = self.client.chat_postMessage(
                    channel=about.case.card_channel, thread_ts=about.case.card_ts, text=message["text"],
                    blocks=message.get("blocks"), unfurl_links=False,
                    metadata={"event_type": METADATA_EVENT, "event_payload": {"outbox_id": outbox_id}})
            else:
                response = self.client.chat_postMessage(
                    channel=recipient,
                    text=message["text"],
                    blocks=message.get("blocks"),
                    metadata={"event_type": METADATA_EVENT, "event_payload": {"outbox_id": outbox_id}},
                    unfurl_links=False,
                )
        except SlackApiError as exc:
            raise as_delivery_error(exc) from None
        except (SlackClientError, OSError) as exc:
            raise DeliveryError(f"Slack did not answer ({type(exc).__name__})", permanent=False) from None
        return Sent(channel=str(response["channel"]), ts=str(response["ts"]))


    # -- reminders ---------------------------------------------------------------------------------

    def send_reminders(self, person: str, items: Sequence[ReminderItem]) -> Sent:
        message = reminder_dm(items)
        metadata = {"event_type": REMINDER_EVENT, "event_payload": {"reminder_ids": [item.id for item in items]}}
        try:
            response = self.client.chat_postMessage(channel=person, text=message["text"], blocks=message["blocks"],
                                                    metadata=metadata, unfurl_links=False)
        except SlackApiError as exc:
            raise as_delivery_error(exc) from None
        except (SlackClientError, OSError) as exc:
            raise DeliveryError(f"Slack did not answer ({type(exc).__name__})", permanent=False) from None
        return Sent(channel=str(response["channel"]), ts=str(response["ts"]))

    def reminders_already_sent(self, person: str) -> dict[int, Sent]:
        """Read the app's DM with `person` for reminder messages (their metadata lists the ids)."""
        try:
            channel = self.client.conversations_open(users=person)["channel"]["id"]
            history = self.client.conversations_history(channel=channel, limit=100, include_all_metadata=True)
        except SlackApiError as exc:
            raise as_delivery_error(exc) from None
        except (SlackClientError, OSError) as exc:
            raise DeliveryError(f"Slack did not answer ({type(exc).__name__})", permanent=False) from None
        found: dict[int, Sent] = {}
        for message in history.get("messages", []):
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == REMINDER_EVENT:
                for reminder_id in metadata.get("event_payload", {}).get("reminder_ids", []):
                    found[int(reminder_id)] = Sent(channel=channel, ts=str(message["ts"]))
        return found

    def tell_admin(self, admin: str, person: str, references: Sequence[str], error: str) -> None:
        message = reminder_failed_admin(person, references, error)
        try:
            self.client.chat_postMessage(channel=admin, text=message["text"], blocks=message.get("blocks"))
        except (SlackApiError, SlackClientError, OSError):
            logging.getLogger("panelbot.reminders").exception("could not tell admin %s about a failed reminder",
                                                              admin)


def as_delivery_error(exc: SlackApiError) -> DeliveryError:
    status = exc.response.status_code
    error = str(exc.response.get("error", "")) if isinstance(exc.response.data, dict) else ""
    if status == 429:
        retry_after = float(exc.response.headers.get("Retry-After", 1))
        return DeliveryError("rate limited", permanent=False, retry_after=retry_after)
    if status >= 500:
        return DeliveryError(f"Slack answered {status}", permanent=False)
    return DeliveryError(error or f"Slack answered {status}", permanent=error in PERMANENT)


class SlackDirectory:
    """User-group members from `usergroups.users.list`, cached for `ttl` seconds."""

    def __init__(self, client: WebClient, ttl: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}

    def group_members(self, group_id: str) -> frozenset[str]:
        cached = self._cache.get(group_id)
        if cached and self.clock() - cached[0] < self.ttl:
            return cached[1]
        try:
            users = frozenset(self.client.usergroups_users_list(usergroup=group_id).get("users", []))
        except SlackApiError:
            return frozenset()  # not cached: a passing failure must not lock people out for minutes
        self._cache[group_id] = (self.clock(), users)
        return users
