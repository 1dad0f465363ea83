"""The outbound seam: what services and the worker use to reach people, whatever the chat surface.

    DeliveryError(message, permanent, code, maybe_sent, retry_after)   -- the send failed
        permanent=True:  trying again will not help (person gone, channel archived, app not
                         invited, message deleted, blocks over the limits); the row fails at once
        permanent=False: try again later, with backoff (rate limit, outage, no answer)
            retry_after:  seconds the service asked us to wait (a 429); the process-wide
                          `RateGate` then holds every later call until it has passed
            maybe_sent:   the message may be in Slack already: no answer came back (a timeout, a
                          dropped connection: codes in NO_ANSWER) or Slack said 500/504 ("it's
                          possible some aspect of the operation succeeded"); look before resending
        code: a short machine code (Slack's error, "http_503", "timeout", "ratelimited") that is
              recorded on the row and logged; never the message's text

A `Notifier` sends one kind of message about one case to one recipient and returns where it went.
The Slack implementation lives in `handlers/slack/notify.py`, the Teams one in `handlers/teams/notify.py`;
`BySurface` hands each message to the one its recipient is on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from bot.addresses import Surface, surface_of
from bot.domain.booking import Agenda, BookingChange, CalendarInvite
from bot.domain.cases import CaseView
from bot.domain.decisions import Decided, PanelAgenda
from bot.domain.home import Home
from bot.domain.reminders import ReminderItem
from bot.domain.spot_checks import SpotCheckNotice
from bot.domain.visits import ProvisionView, StepView, VisitView


class Notice(StrEnum):
    """The kinds of message the outbox carries."""

    CASE_CARD = "case_card"  # to the deciding forum's channel (about: CaseView)
    CARD_UPDATE = "card_update"  # the same card, updated in place (about: CaseView)
    RECEIPT = "receipt"  # to the submitter (about: CaseView)
    DECIDER_NOTICE = "decider_notice"  # to the team manager or operations manager a case waits on
    BOOKING_CONFIRMED = "booking_confirmed"  # to the worker and the AP/SM (about: BookingChange)
    BOOKING_CANCELLED = "booking_cancelled"  # to the worker and the AP/SM (about: BookingChange)
    AGENDA = "agenda"  # the forum's day, to its channel (about: Agenda)
    CHAIR_AGENDA = "chair_agenda"  # the forum's day, to the chair (about: Agenda)
    THREAD_REPLY = "thread_reply"  # a decision, in the case card's thread (about: Decided)
    DECISION_NOTICE = "decision_notice"  # a decision, to the worker and the AP/SM (about: Decided)
    PRACTICE_CONCERN = "practice_concern"  # to the worker's line manager (about: Decided)
    PANEL_AGENDA = "panel_agenda"  # the SEND panel's agenda at the papers cut-off (about: PanelAgenda)
    ACTION_PLAN_NEEDED = "action_plan_needed"  # to the SQAO (about: ActionPlanAsk)
    VISIT_PLANNED = "visit_planned"  # to the child's social worker, IRO and SEN officer (about: VisitView)
    STEP_ASSIGNED = "step_assigned"  # to whoever a post-visit step belongs to (about: StepAssigned)
    DELIVERY_UNKNOWN = "delivery_unknown"  # to a panel admin: a channel post of unknown fate (about: FateUnknown)
    REMINDERS_FAILED = "reminders_failed"  # to a panel admin: reminders that could not be delivered
    HOME = "home"  # the person's App Home tab, published again after something of theirs changed (about: Home)
    CALENDAR_INVITE = "calendar_invite"  # an .ics file for a booked, moved or cancelled slot (about: CalendarInvite)
    SPOT_CHECK = "spot_check"  # to a spot checker, or a practice concern to the team manager (SpotCheckNotice)


@dataclass(frozen=True)
class ActionPlanAsk:
    provision: ProvisionView
    why: str


@dataclass(frozen=True)
class StepAssigned:
    visit: VisitView
    step: StepView


@dataclass(frozen=True)
class FateUnknown:
    """A channel post Slack did not confirm: which kind of message, about which case, where."""

    notice: Notice
    reference: str
    channel: str


@dataclass(frozen=True)
class RemindersFailed:
    """Reminders to `person` that failed for good: the case references they were about, and why.
    `unknown`: they may or may not have reached the person (the answer was lost and the surface
    cannot be asked); they are not sent again."""

    person: str
    references: tuple[str, ...]
    error: str
    unknown: bool = False


About = (CaseView | BookingChange | Agenda | Decided | PanelAgenda | ActionPlanAsk | VisitView | StepAssigned
         | FateUnknown | RemindersFailed | Home | CalendarInvite | SpotCheckNotice)


@dataclass(frozen=True)
class Sent:
    channel: str
    ts: str


NO_ANSWER = frozenset({"timeout", "no_answer"})


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None,
                 code: str | None = None, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.code = code or ("ratelimited" if retry_after is not None else "error")
        self.maybe_sent = maybe_sent


class RateGate:
    """After a 429, no call to the chat service leaves this process until its Retry-After has passed.

    One per process (`PROCESS_GATE`), shared by every notifier and both senders (outbox and
    reminders), so the calls after a 429 wait instead of going out at once."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._until = 0.0

    def close_for(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, self._clock() + max(seconds, 0.0))

    def remaining(self) -> float:
        """Seconds before the next call may go (0 when it may go now)."""
        with self._lock:
            return max(0.0, self._until - self._clock())

    def wait(self, sleep: Callable[[float], None], longest: float) -> bool:
        """Wait until calls may go, if that is within `longest` seconds (True); else False at once."""
        with self._lock:
            until = self._until
            remaining = until - self._clock()
        if remaining <= 0:
            return True
        if remaining > longest:
            return False
        sleep(remaining)
        with self._lock:
            if self._until == until:  # nobody was told to wait longer meanwhile: the wait is over
                self._until = 0.0
        return True


PROCESS_GATE = RateGate()


class Notifier(Protocol):
    gate: RateGate

    def send(self, notice: Notice, about: About, recipient: str, *, outbox_id: int) -> Sent:
        """Deliver `notice` to `recipient` (a channel or user ID). CARD_UPDATE edits the case's card
        where it was posted. Every message carries `outbox_id` in its metadata. Raises DeliveryError."""
        ...

    def outbox_already_sent(self, person: str, outbox_id: int, since: datetime) -> Sent | None:
        """The DM to `person` carrying `outbox_id` posted since `since`, if there is one. Raises DeliveryError."""
        ...


@runtime_checkable
class ReminderNotifier(Protocol):
    """The reminder sender's side of the seam (the Slack notifier implements both)."""

    def send_reminders(self, person: str, items: Sequence[ReminderItem]) -> Sent:
        """One DM listing `items`, carrying their ids so a resend can be reconciled. Raises DeliveryError."""
        ...

    def reminders_already_sent(self, person: str, since: datetime | None = None) -> dict[int, Sent]:
        """Reminder ids found in the DMs to `person` posted since `since` (every page of them), with
        the message each went out in. Raises DeliveryError: a permanent one when the surface keeps no
        history to look in (the sweep then marks the reminders `unknown` and tells the panel admins)."""
        ...


@runtime_checkable
class MessageEraser(Protocol):
    """Retention's side of the seam (the Slack notifier implements it)."""

    def delete_message(self, channel: str, ts: str) -> None:
        """Delete a message panelbot posted; one already gone counts as deleted. Raises DeliveryError."""
        ...


class Directory(Protocol):
    def group_members(self, group_id: str) -> frozenset[str]:
        """The user IDs in a user group (empty if unknown). May be cached for a few minutes."""
        ...


class BySurface:
    """One deployment on Slack, Teams or both (one database, one policy): each message goes to the
    notifier of its recipient's surface and each group to its surface's directory (bot.addresses).

    A message for a surface this deployment does not run fails at once (`surface_not_configured`),
    so the panel admins hear of it rather than it waiting for ever. One `RateGate` is shared: a 429
    from either service holds this process's calls to both for its Retry-After."""

    def __init__(self, notifiers: Mapping[Surface, Any], directories: Mapping[Surface, Directory] | None = None,
                 gate: RateGate | None = None) -> None:
        self._notifiers = dict(notifiers)
        self._directories = dict(directories or {})
        self.gate = gate or PROCESS_GATE

    @property
    def surfaces(self) -> tuple[Surface, ...]:
        return tuple(self._notifiers)

    def notifier_of(self, surface: Surface) -> Any:
        return self._notifiers.get(surface)

    def directory_of(self, surface: Surface) -> Directory | None:
        return self._directories.get(surface)

    def add(self, surface: Surface, notifier: Any, directory: Directory | None = None) -> None:
        """Serve `surface` too (start-up: a surface's notifier may need the services this is part of)."""
        self._notifiers[surface] = notifier
        if directory is not None:
            self._directories[surface] = directory

    def _notifier(self, address: str) -> Any:
        surface = surface_of(address)
        found = self._notifiers.get(surface) if surface is not None else None
        if found is None:
            raise DeliveryError("no notifier for this address", permanent=True, code="surface_not_configured")
        return found

    def send(self, notice: Notice, about: About, recipient: str, *, outbox_id: int) -> Sent:
        # A card's update and thread name the card's channel; rows queued before 0015 named "card",
        # meaning the case's one card.
        if notice in (Notice.CARD_UPDATE, Notice.THREAD_REPLY) and surface_of(recipient) is None:
            case = about.case if isinstance(about, Decided) else about
            recipient = getattr(case, "card_channel", None) or recipient
        sent: Sent = self._notifier(recipient).send(notice, about, recipient, outbox_id=outbox_id)
        return sent

    def outbox_already_sent(self, person: str, outbox_id: int, since: datetime) -> Sent | None:
        found: Sent | None = self._notifier(person).outbox_already_sent(person, outbox_id, since)
        return found

    def send_reminders(self, person: str, items: Sequence[ReminderItem]) -> Sent:
        sent: Sent = self._notifier(person).send_reminders(person, items)
        return sent

    def reminders_already_sent(self, person: str, since: datetime | None = None) -> dict[int, Sent]:
        found: dict[int, Sent] = self._notifier(person).reminders_already_sent(person, since)
        return found

    def delete_message(self, channel: str, ts: str) -> None:
        notifier = self._notifier(channel)
        if isinstance(notifier, MessageEraser):
            notifier.delete_message(channel, ts)

    def group_members(self, group_id: str) -> frozenset[str]:
        surface = surface_of(group_id)
        directory = self._directories.get(surface) if surface is not None else None
        return directory.group_members(group_id) if directory is not None else frozenset()
