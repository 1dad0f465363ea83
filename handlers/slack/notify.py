"""The Slack side of the outbound seam: Block Kit from `messages/`, sent with the Web API client.

Every call goes through `SlackNotifier._call`, which
- refuses at once while the process's `RateGate` is closed (a 429 anywhere in the process closes it
  for its Retry-After), without calling Slack;
- uses a client with no retry handler of slack_sdk's own: its connection-error retry re-posts
  `chat.postMessage` silently when an answer was lost; the senders reconcile instead;
- turns every failure into a `DeliveryError` that says whether to retry and whether the message
  may be in Slack already.
"""

from __future__ import annotations

import logging
import time
import urllib.error
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryHandler, RetryState
from slack_sdk.web import SlackResponse

from bot.domain.booking import CalendarInvite
from bot.domain.cases import CaseView
from bot.domain.decisions import Decided
from bot.domain.reminders import ReminderItem
from bot.groups import GROUP_TTL, GroupCache, ListingFailed
from bot.notify import PROCESS_GATE, About, DeliveryError, Notice, RateGate, Sent
from messages.slack.booking import (
    agenda_message,
    booking_cancelled_dm,
    booking_confirmation_dm,
    chair_agenda_dm,
    ics_event,
    invitation_text,
)
from messages.slack.cases import case_card, decider_notice, receipt_dm
from messages.slack.decisions import (
    decision_notice_dm,
    decision_thread_reply,
    panel_agenda_message,
    practice_concern_dm,
)
from messages.slack.delivery import delivery_unknown_admin
from messages.slack.home import home_view
from messages.slack.reminders import reminder_dm, reminder_failed_admin
from messages.slack.spot_checks import spot_check_dm
from messages.slack.visits import action_plan_needed_dm, step_assigned_dm, visit_planned_dm

logger = logging.getLogger("panelbot.slack.directory")

# What an admin is told a message was, when Slack did not say whether it went.
WHAT: dict[Notice, str] = {
    Notice.CASE_CARD: "the case card", Notice.CARD_UPDATE: "the update of the case card",
    Notice.THREAD_REPLY: "the decision in the case card's thread", Notice.AGENDA: "the forum's agenda",
    Notice.PANEL_AGENDA: "the panel's agenda",
}


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
    Notice.REMINDERS_FAILED: lambda about: reminder_failed_admin(about.person, about.references, about.error,
                                                                    unknown=about.unknown),
    Notice.HOME: home_view,
    Notice.CALENDAR_INVITE: lambda about: {"text": invitation_text(about.booking, cancelled=about.cancelled,
                                                                  sequence=about.sequence)},
    Notice.DELIVERY_UNKNOWN: lambda about: delivery_unknown_admin(WHAT.get(about.notice, "a message"),
                                                                  about.reference, about.channel),
    Notice.SPOT_CHECK: spot_check_dm,
}

# Slack errors that another try will not fix: the row fails at once, with the code recorded.
PERMANENT = frozenset({
    # the person or conversation
    "user_not_found", "account_inactive", "channel_not_found", "not_in_channel", "is_archived", "is_inactive",
    "cannot_dm_bot", "user_disabled", "messages_tab_disabled", "thread_not_found",
    # the message to update
    "message_not_found", "cant_update_message", "edit_window_closed",
    # what panelbot built
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "msg_blocks_too_long", "no_text",
    "invalid_metadata_format", "invalid_metadata_schema", "metadata_too_large", "invalid_arguments",
    # the app's own standing in the workspace
    "invalid_auth", "not_authed", "token_revoked", "token_expired", "missing_scope", "no_permission",
    "restricted_action", "access_denied", "ekm_access_denied", "not_allowed_token_type",
})
# Slack's own words for these: "It's possible some aspect of the operation succeeded".
MAYBE_DONE = frozenset({"internal_error", "fatal_error"})
MAYBE_DONE_STATUS = frozenset({500, 504})

# chat.delete errors meaning the message is already gone: nothing left to delete.
GONE = frozenset({"message_not_found"})
# chat.delete errors another try will not fix (beyond PERMANENT).
CANNOT_DELETE = frozenset({"cant_delete_message", "compliance_exports_prevent_deletion"})

METADATA_EVENT = "panelbot_outbox"
REMINDER_EVENT = "panelbot_reminders"


class SlackNotifier:
    def __init__(self, client: WebClient, gate: RateGate = PROCESS_GATE) -> None:
        self.client = client  # also the Bolt app's client: its 429s close the gate too
        self.gate = gate
        watch_rate_limits(client, gate)
        self._api = WebClient(token=client.token, base_url=client.base_url, timeout=client.timeout, ssl=client.ssl,
                              proxy=client.proxy, headers=dict(client.headers), logger=client.logger,
                              retry_handlers=[RateLimitWatch(gate)])

    def _call(self, method: Callable[..., SlackResponse], **kwargs: Any) -> SlackResponse:
        remaining = self.gate.remaining()
        if remaining > 0:
            raise DeliveryError("rate limited: waiting for Retry-After", permanent=False, retry_after=remaining)
        try:
            return method(**kwargs)
        except SlackApiError as exc:
            raise as_delivery_error(exc) from None
        except (SlackClientError, OSError) as exc:
            raise no_answer(exc) from None

    def send(self, notice: Notice, about: About, recipient: str, *, outbox_id: int) -> Sent:
        # A planned visit's wording depends on who it goes to.
        message = visit_planned_dm(about, to=recipient) if notice is Notice.VISIT_PLANNED \
            else BUILDERS[notice](about)  # type: ignore[arg-type]
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"outbox_id": outbox_id}}
        if notice is Notice.HOME:
            self._call(self._api.views_publish, user_id=recipient, view=message)
            return Sent(channel=recipient, ts="home")
        if notice is Notice.CALENDAR_INVITE:
            assert isinstance(about, CalendarInvite)
            channel = str(self._call(self._api.conversations_open, users=recipient)["channel"]["id"])
            ics = ics_event(about.booking, uid=about.uid, stamp=about.stamp, sequence=about.sequence,
                            cancelled=about.cancelled)
            self._call(self._api.files_upload_v2, channel=channel, content=ics.encode("utf-8"),
                       filename=f"panelbot-case-{about.booking.reference}.ics", title=message["text"][:250],
                       initial_comment=message["text"])
            return Sent(channel=channel, ts="file")
        if notice is Notice.CARD_UPDATE:
            assert isinstance(about, CaseView)
            card = about.card_on(recipient)
            assert card is not None  # (the outbox sends no update before the card is posted)
            response = self._call(self._api.chat_update, channel=recipient, ts=card,
                                  text=message["text"], blocks=message.get("blocks"))
        elif notice is Notice.THREAD_REPLY:
            assert isinstance(about, Decided)
            card = about.case.card_on(recipient)
            if card is None:
                raise DeliveryError("the case card is not posted yet", permanent=False, code="card_not_posted")
            response = self._call(self._api.chat_postMessage, channel=recipient,
                                  thread_ts=card, text=message["text"], blocks=message.get("blocks"),
                                  unfurl_links=False, metadata=metadata)
        else:
            response = self._call(self._api.chat_postMessage, channel=recipient, text=message["text"],
                                  blocks=message.get("blocks"), metadata=metadata, unfurl_links=False)
        return Sent(channel=str(response["channel"]), ts=str(response["ts"]))

    def outbox_already_sent(self, person: str, outbox_id: int, since: datetime) -> Sent | None:
        for channel, message in self._dm_history(person, since):
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == METADATA_EVENT and \
                    metadata.get("event_payload", {}).get("outbox_id") == outbox_id:
                return Sent(channel=channel, ts=str(message["ts"]))
        return None

    def _dm_history(self, person: str, since: datetime | None) -> list[tuple[str, dict[str, Any]]]:
        """Every message in the app's DM with `person` since `since`, all pages, newest first."""
        channel = str(self._call(self._api.conversations_open, users=person)["channel"]["id"])
        found: list[tuple[str, dict[str, Any]]] = []
        cursor: str | None = None
        oldest = f"{since.timestamp():.6f}" if since is not None else None
        while True:
            page = self._call(self._api.conversations_history, channel=channel, limit=200, cursor=cursor,
                              oldest=oldest, include_all_metadata=True)
            found.extend((channel, message) for message in page.get("messages", []))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not page.get("has_more") or not cursor:
                return found


    # -- reminders ---------------------------------------------------------------------------------

    def send_reminders(self, person: str, items: Sequence[ReminderItem]) -> Sent:
        message = reminder_dm(items)
        metadata = {"event_type": REMINDER_EVENT, "event_payload": {"reminder_ids": [item.id for item in items]}}
        response = self._call(self._api.chat_postMessage, channel=person, text=message["text"],
                              blocks=message["blocks"], metadata=metadata, unfurl_links=False)
        return Sent(channel=str(response["channel"]), ts=str(response["ts"]))

    def reminders_already_sent(self, person: str, since: datetime | None = None) -> dict[int, Sent]:
        """Read the app's DM with `person` (every page since `since`) for reminder messages: their
        metadata lists the ids."""
        found: dict[int, Sent] = {}
        for channel, message in self._dm_history(person, since):
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == REMINDER_EVENT:
                for reminder_id in metadata.get("event_payload", {}).get("reminder_ids", []):
                    found[int(reminder_id)] = Sent(channel=channel, ts=str(message["ts"]))
        return found

    def delete_message(self, channel: str, ts: str) -> None:
        """Delete a message panelbot posted (retention). One Slack no longer has counts as deleted."""
        try:
            self.client.chat_delete(channel=channel, ts=ts)
        except SlackApiError as exc:
            error = as_delivery_error(exc)
            if str(error) in CANNOT_DELETE:
                raise DeliveryError(str(error), permanent=True) from None
            if str(error) not in GONE:
                raise error from None
        except (SlackClientError, OSError) as exc:
            raise DeliveryError(type(exc).__name__, permanent=False) from None


class RateLimitWatch(RetryHandler):
    """Retries nothing. A 429 on any call through the client closes the process's gate for the
    Retry-After Slack gave, so the process's later calls wait for it."""

    def __init__(self, gate: RateGate) -> None:
        super().__init__(max_retry_count=0)
        self.gate = gate

    def can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                  error: Exception | None = None) -> bool:
        if response is not None and response.status_code == 429:
            self.gate.close_for(retry_after(response.headers))
        return False


def watch_rate_limits(client: WebClient, gate: RateGate) -> None:
    """Put a `RateLimitWatch` first in `client`'s retry handlers (once): whatever the others do, the
    gate hears of every 429."""
    if not any(isinstance(handler, RateLimitWatch) for handler in client.retry_handlers):
        client.retry_handlers.insert(0, RateLimitWatch(gate))


def retry_after(headers: Any) -> float:
    value = headers.get("Retry-After") or headers.get("retry-after") or 1
    if isinstance(value, list):
        value = value[0] if value else 1
    try:
        return max(float(value), 0.0)
    except ValueError:
        return 1.0


def no_answer(exc: Exception) -> DeliveryError:
    """No answer from Slack. A refused connection never reached it; anything else (a timeout, a
    connection dropped mid-call) may have come after Slack kept the message."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, ConnectionRefusedError):
        return DeliveryError("Slack could not be reached", permanent=False, code="connection_refused")
    if isinstance(exc, SlackClientError):
        return DeliveryError("the Slack client refused the call", permanent=False, code="client_error")
    code = "timeout" if isinstance(reason, TimeoutError) else "no_answer"
    return DeliveryError(f"Slack did not answer ({type(exc).__name__})", permanent=False, code=code, maybe_sent=True)


def as_delivery_error(exc: SlackApiError) -> DeliveryError:
    status = exc.response.status_code
    error = str(exc.response.get("error", "")) if isinstance(exc.response.data, dict) else ""
    if status == 429:
        return DeliveryError("rate limited", permanent=False, retry_after=retry_after(exc.response.headers),
                             code="ratelimited")
    if status >= 500:
        return DeliveryError(f"Slack answered {status}", permanent=False, code=f"http_{status}",
                             maybe_sent=status in MAYBE_DONE_STATUS)
    if error in MAYBE_DONE:
        return DeliveryError(error, permanent=False, code=error, maybe_sent=True)
    code = error or f"http_{status}"
    return DeliveryError(code, permanent=error in PERMANENT, code=code)


class UserGroupError(ListingFailed):
    """`usergroups.users.list` did not list a group: Slack's error, or no answer."""

    def __init__(self, code: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(code)
        self.code, self.permanent, self.retry_after = code, permanent, retry_after


class SlackDirectory:
    """User-group members from `usergroups.users.list`, kept as `bot.groups` says (`ttl` seconds; one
    caller asks Slack while the others use what it last listed; a group Slack refused for good holds
    nobody, with one log line; while Slack cannot answer, the members it listed within the hour)."""

    def __init__(self, client: WebClient, ttl: float = GROUP_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self._cache = GroupCache("Slack", _log_refusal, logger, ttl=ttl, clock=clock)

    def group_members(self, group_id: str) -> frozenset[str]:
        return self._cache.members(group_id, lambda: self._list(group_id))

    def _list(self, group_id: str) -> frozenset[str]:
        try:
            answer = self.client.usergroups_users_list(usergroup=group_id)
        except SlackApiError as exc:
            # Read as a send's failure is read; for a listing, only throttling and Slack's own trouble
            # pass (a send's "permanent" is about the message, and a group Slack lacks is for good).
            failed = as_delivery_error(exc)
            passing = failed.retry_after is not None or failed.maybe_sent or exc.response.status_code >= 500
            raise UserGroupError(failed.code, permanent=not passing, retry_after=failed.retry_after) from None
        except (SlackClientError, OSError) as exc:
            raise UserGroupError(no_answer(exc).code, permanent=False) from None
        users = answer.get("users", [])
        return frozenset(user for user in users if isinstance(user, str)) if isinstance(users, list) else frozenset()


def _log_refusal(group_id: str, failed: UserGroupError) -> None:
    if failed.code == "no_such_subteam":
        logger.error("the user group %s named in the policy does not exist in this Slack workspace "
                     "(no_such_subteam): it holds nobody; check its ID (the group's profile, Copy group ID)", group_id)
    elif failed.code == "missing_scope":
        logger.error("Slack refused to list the members of %s (missing_scope): add the usergroups:read scope "
                     "to panelbot's app and reinstall it; until then the group holds nobody", group_id)
    elif failed.code in ("invalid_auth", "not_authed", "token_revoked", "account_inactive"):
        logger.error("Slack would not take panelbot's token (%s): check SLACK_BOT_TOKEN; %s holds nobody until "
                     "then", failed.code, group_id)
    else:
        logger.error("Slack refused to list the members of %s (%s): it holds nobody", group_id, failed.code)
