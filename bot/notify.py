"""The outbound seam: what services and the worker use to reach people, whatever the chat surface.

    DeliveryError(message, permanent)   -- the send failed
        permanent=False: try again later (rate limit, outage); `retry_after` seconds if known
        permanent=True:  trying again will not help (user gone, channel archived, app not invited)

A `Notifier` sends one kind of message about one case to one recipient and returns where it went.
The Slack implementation lives in `bot/slack_notify.py`; tests use the Slack stand-in through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.domain.booking import Agenda, BookingChange
from bot.domain.cases import CaseView
from bot.domain.decisions import Decided, PanelAgenda
from bot.domain.reminders import ReminderItem
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
    SPOT_CHECK = "spot_check"  # to a spot checker, or a practice concern to the team manager (SpotCheckNotice)


@dataclass(frozen=True)
class ActionPlanAsk:
    provision: ProvisionView
    why: str


@dataclass(frozen=True)
class StepAssigned:
    visit: VisitView
    step: StepView


About = CaseView | BookingChange | Agenda | Decided | PanelAgenda | ActionPlanAsk | VisitView | StepAssigned


@dataclass(frozen=True)
class Sent:
    channel: str
    ts: str


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class Notifier(Protocol):
    def send(self, notice: Notice, about: About, recipient: str, *, outbox_id: int) -> Sent:
        """Deliver `notice` to `recipient` (a channel or user ID). CARD_UPDATE edits the case's card
        where it was posted. Raises DeliveryError."""
        ...


class ReminderNotifier(Protocol):
    """The reminder sender's side of the seam (the Slack notifier implements both)."""

    def send_reminders(self, person: str, items: Sequence[ReminderItem]) -> Sent:
        """One DM listing `items`, carrying their ids so a resend can be reconciled. Raises DeliveryError."""
        ...

    def reminders_already_sent(self, person: str) -> dict[int, Sent]:
        """Reminder ids found in recent DMs to `person`, with the message each went out in."""
        ...

    def tell_admin(self, admin: str, person: str, references: Sequence[str], error: str) -> None:
        """Tell a panel admin that reminders to `person` could not be delivered."""
        ...


class Directory(Protocol):
    def group_members(self, group_id: str) -> frozenset[str]:
        """The user IDs in a user group (empty if unknown). May be cached for a few minutes."""
        ...
