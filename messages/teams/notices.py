"""The card for each kind of message the outbox carries (bot.notify.Notice), for a Teams notifier:
`notice_card(notice, about, recipient, names)`. The Teams counterpart of handlers/slack/notify.py's
BUILDERS, plus the panel admin's notice when a channel post's fate is unknown (messages/slack/delivery.py).

CHANNEL_NOTICES go to a channel (or under a card in one); every other notice goes to one person's
personal chat. The privacy test builds each channel notice from views full of canary personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.domain.booking import Agenda, BookingChange, CalendarInvite
from bot.domain.cases import CaseView
from bot.domain.decisions import Decided, PanelAgenda
from bot.domain.home import Home
from bot.domain.spot_checks import SpotCheckNotice
from bot.domain.visits import VisitView
from bot.notify import About, ActionPlanAsk, FateUnknown, Notice, RemindersFailed, StepAssigned
from messages.teams.booking import (
    agenda_card,
    booking_cancelled,
    booking_confirmation,
    calendar_invite,
    chair_agenda,
)
from messages.teams.cases import case_card, decider_notice, receipt
from messages.teams.decisions import decision_notice, panel_agenda, practice_concern, thread_reply
from messages.teams.elements import NO_NAMES, Card, Names, card, para
from messages.teams.home import home_card
from messages.teams.reminders import reminders_failed_admin
from messages.teams.spot_checks import spot_check_notice
from messages.teams.visits import action_plan_needed, step_assigned, visit_planned

__all__ = ["CHANNEL_NOTICES", "WHAT", "delivery_unknown_admin", "notice_card"]

CHANNEL_NOTICES = frozenset({Notice.CASE_CARD, Notice.CARD_UPDATE, Notice.THREAD_REPLY, Notice.AGENDA,
                             Notice.PANEL_AGENDA})

# What an admin is told a message was, when Teams did not say whether it went.
WHAT: dict[Notice, str] = {
    Notice.CASE_CARD: "the case card", Notice.CARD_UPDATE: "the update of the case card",
    Notice.THREAD_REPLY: "the decision under the case card", Notice.AGENDA: "the forum's agenda",
    Notice.PANEL_AGENDA: "the panel's agenda",
}


def delivery_unknown_admin(what: str, reference: str, channel: str) -> Card:
    """To a panel admin: Teams did not confirm whether a channel post went. `what` is panelbot's own
    label ("the case card"), `reference` a case reference (or ""), `channel` the channel's name or id.
    Never a person's name or anything typed."""
    about = f" for case {reference}" if reference else ""
    text = (f"Teams did not confirm whether {what}{about} was posted in {channel}: the connection was lost after "
            "sending. panelbot will not post it again, so that nobody sees it twice. Please look in the channel; "
            "if it is not there, post the update by hand or ask IT to re-queue it.")
    return card([para(text)], summary=text)


def _builders(recipient: str, names: Names) -> dict[Notice, Callable[[Any], Card]]:
    return {
        Notice.CASE_CARD: lambda about: case_card(about, names),
        Notice.CARD_UPDATE: lambda about: case_card(about, names),
        Notice.RECEIPT: lambda about: receipt(about, names),
        Notice.DECIDER_NOTICE: lambda about: decider_notice(about, names),
        Notice.BOOKING_CONFIRMED: lambda about: booking_confirmation(about, names),
        Notice.BOOKING_CANCELLED: lambda about: booking_cancelled(about, names),
        Notice.AGENDA: lambda about: agenda_card(about, names),
        Notice.CHAIR_AGENDA: lambda about: chair_agenda(about, names),
        Notice.THREAD_REPLY: lambda about: thread_reply(about.case, about.decision, names),
        Notice.DECISION_NOTICE: lambda about: decision_notice(about.case, about.decision, names),
        Notice.PRACTICE_CONCERN: lambda about: practice_concern(about.case, about.decision, names),
        Notice.PANEL_AGENDA: lambda about: panel_agenda(about, names),
        Notice.ACTION_PLAN_NEEDED: lambda about: action_plan_needed(about.provision, about.why),
        Notice.VISIT_PLANNED: lambda about: visit_planned(about, to=recipient, names=names),
        Notice.STEP_ASSIGNED: lambda about: step_assigned(about.visit, about.step),
        Notice.DELIVERY_UNKNOWN: lambda about: delivery_unknown_admin(WHAT.get(about.notice, "a message"),
                                                                      about.reference, about.channel),
        Notice.REMINDERS_FAILED: lambda about: reminders_failed_admin(about.person, about.references, about.error,
                                                                      names, unknown=about.unknown),
        Notice.HOME: lambda about: home_card(about, names),
        Notice.CALENDAR_INVITE: calendar_invite,
        Notice.SPOT_CHECK: lambda about: spot_check_notice(about, names),
    }


# The view each notice is about (bot/notify.py), checked before building so a mix-up fails loudly.
ABOUT: dict[Notice, type | tuple[type, ...]] = {
    Notice.CASE_CARD: CaseView, Notice.CARD_UPDATE: CaseView, Notice.RECEIPT: CaseView,
    Notice.DECIDER_NOTICE: CaseView, Notice.BOOKING_CONFIRMED: BookingChange, Notice.BOOKING_CANCELLED: BookingChange,
    Notice.AGENDA: Agenda, Notice.CHAIR_AGENDA: Agenda, Notice.THREAD_REPLY: Decided, Notice.DECISION_NOTICE: Decided,
    Notice.PRACTICE_CONCERN: Decided, Notice.PANEL_AGENDA: PanelAgenda, Notice.ACTION_PLAN_NEEDED: ActionPlanAsk,
    Notice.VISIT_PLANNED: VisitView, Notice.STEP_ASSIGNED: StepAssigned, Notice.DELIVERY_UNKNOWN: FateUnknown,
    Notice.REMINDERS_FAILED: RemindersFailed, Notice.HOME: Home, Notice.CALENDAR_INVITE: CalendarInvite,
    Notice.SPOT_CHECK: SpotCheckNotice,
}


def notice_card(notice: Notice, about: About | SpotCheckNotice, recipient: str, names: Names = NO_NAMES) -> Card:
    """The card for `notice` about `about`, to `recipient` (a planned visit's wording depends on who
    it goes to). Raises TypeError when `about` is not the view the notice is about."""
    if not isinstance(about, ABOUT[notice]):
        raise TypeError(f"a {notice.value} notice is about a {ABOUT[notice]}, not a {type(about).__name__}")
    return _builders(recipient, names)[notice](about)
