"""The Teams bot: one authenticated activity in, the services called, the HTTP answer out.

`TeamsBot.handle(activity)` takes an activity the Teams SDK's `ActivityTypeAdapter` parsed (after
`InboundAuth` accepted its token: wsgi.py) and returns an `Answer`, the status and JSON body to send
back. What each activity does:

    message                 a command typed to panelbot ("help", "submit", "book 1234567", …; after
                            @panelbot in a channel): the same commands as Slack's `/panel`. Answers go
                            to the person's chat with panelbot (a channel sees only help and a pointer);
                            anything unknown gets the usage card. HTTP 200, no body: Teams shows nothing
                            of the HTTP answer to a message, the reply is sent through the connector.
    invoke adaptiveCard/action   a button (Action.Execute) pressed: its verb (cards/ids.py) calls one
                            service, and the answer is the card as it now is (`card_response`) or a
                            sentence (`message_response`).
    invoke task/fetch       "Open the case form": the case form as a dialog.
    invoke task/submit      a button in a dialog: the same verbs, answered as a dialog (`dialog`), or
                            a sentence that closes it.
    conversationUpdate      panelbot added to a team or a personal chat: addresses are recorded (every
                            activity records them), and a person gets the welcome card.
    anything else           recorded, HTTP 200.

Each button runs its service once; the services' conditional updates make a repeat (a double press, a
retried delivery) answer "already decided" and change nothing. What a change owes (the card update,
the decision notice, …) goes through the outbox afterwards, off the request thread (`Later`): channel
posts first, as handlers/slack/replies.py does for Slack.

Privacy: a press on a channel card is answered with a channel-safe card (cards/cases.py): the
details card, which carries the case's free text, only ever goes to the person's personal chat.
Nothing here logs what anyone typed, nor a name: log lines carry panelbot's verbs, command words
and row ids.
"""

from __future__ import annotations

import html
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as SATimeoutError

from bot import markup
from bot.addresses import Surface, is_person, surface_of
from bot.domain.booking import BookingChange
from bot.domain.calendar import long_date
from bot.domain.days import NotADay, picked_day, read_day
from bot.domain.decisions import DecisionFormError, Outcome, read_decision
from bot.domain.reminders import PackageAfterReview, QualityOfLife
from bot.domain.spot_checks import Finding
from bot.domain.submission import FormErrors, parse_submission
from bot.domain.text import command_problem, form_problems, text_problem
from bot.errors import UserError
from bot.later import Later
from bot.logs import log_request
from bot.notify import DeliveryError
from bot.refusals import Problem, Refusal
from bot.services import Services
from bot.services.booking import BookingRefused, SlotTaken, agenda, book_slot, booking_choice, cancel_booking
from bot.services.cases import (
    SubmissionProblem,
    WithdrawRefused,
    case_by_id,
    cases_of,
    look_up_case,
    start_withdrawal,
    submit_case,
    withdraw_case,
)
from bot.services.cover import CoverRefused, end_cover, set_cover
from bot.services.decisions import AlreadyDecided, DecisionRefused, NotAllowed, decide, start_decision
from bot.services.home import home_of
from bot.services.outbox import CHANNEL_POSTS, deliver_due
from bot.services.panel import panel_agenda, panel_bodies
from bot.services.reminders import ReminderRefused, complete_reminder, snooze_reminder
from bot.services.reviews import ReviewRefused, record_review, start_review
from bot.services.spot_checks import SpotCheckRefused, open_spot_check, open_spot_checks, record_spot_check
from bot.services.visits import visits_overview
from handlers.teams.addresses import AddressBook, sender_of, tenant_of
from handlers.teams.connector import Connector
from handlers.teams.dialogs import (
    VERB_KEY,
    as_dialog,
    form_key,
    new_form_key,
    open_form_card,
    with_form_key,
)
from handlers.teams.notify import TeamsNotifier, message
from messages import refusals
from messages.teams.booking import (
    agenda_card,
    booked_card,
    booking_cancelled,
    booking_confirmation,
    booking_form,
    cancel_question,
    slot_taken_notice,
)
from messages.teams.cases import case_card, case_details, case_summary, mine_card, withdraw_form
from messages.teams.decisions import already_decided, decision_form, not_allowed
from messages.teams.decisions import panel_agenda as panel_agenda_card
from messages.teams.elements import Card, Names, person
from messages.teams.envelope import card_response, dialog, message_response
from messages.teams.help import (
    database_down_text,
    help_card,
    incident_text,
    text_card,
    usage_card,
)
from messages.teams.home import away_form, home_card, task_line
from messages.teams.ids import (
    AwayInput,
    BookInput,
    Command,
    DecisionInput,
    Key,
    ReviewInput,
    SpotCheckInput,
    SubmitInput,
    Verb,
    WithdrawInput,
)
from messages.teams.reminders import (
    reminder_done_text,
    reminder_snoozed_text,
    review_form,
    review_recorded_text,
)
from messages.teams.spot_checks import spot_check_form, spot_check_recorded_text, spot_checks_card
from messages.teams.submit import read_answers, refused_form, submit_form, submitted_card
from messages.teams.visits import visits_card

logger = logging.getLogger("panelbot.teams")

# The database did not answer in time, or is unreachable (as handlers/slack/errors.py).
DATABASE_UNAVAILABLE = (OperationalError, SATimeoutError)
MAX_COMMAND_TEXT = 500  # a reference, a date or a provision's name: never more
SNOOZES = {Verb.SNOOZE_DAY: 1, Verb.SNOOZE_WEEK: 7}
GREETINGS = frozenset({"hello", "hi", "hey", "home", "start"})
_MENTION = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]{0,200}>")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

NOT_SAVED = "panelbot could not save this just now, so nothing was saved. Press Submit again in a moment (incident {})."
OUT_OF_DATE = "That button is out of date: open the case again."
NOT_A_PERSON = "panelbot answers people in your council's Microsoft 365 organisation only."
NO_EMAIL_MATCH = "No one in the teams panelbot is in has that work e-mail address: check it, or choose someone else."
EMAIL_LOOKUP_FAILED = "panelbot could not look that address up in Teams just now: try again in a moment."
IN_YOUR_CHAT = "I have answered you in your chat with panelbot."


@dataclass(frozen=True)
class Answer:
    """The HTTP answer to one activity: a status, and for an invoke the JSON body Teams reads."""

    status: int = 200
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class Turn:
    """One activity and who sent it from where."""

    activity: Any
    person: str  # "teams:<Entra object id>"
    personal: bool  # in the person's chat with panelbot (not a channel or group chat)
    in_dialog: bool = False  # a task/fetch or task/submit: the answer is a dialog


Result = Card | str  # what a command or a button answers with: a card, or one sentence
Handler = Callable[[Turn, dict[str, Any]], Result]


def incident() -> str:
    return secrets.token_hex(4)


def row_id(value: object) -> int | None:
    """A row id as panelbot wrote it into a button's data: an int, or 1 to 12 ASCII digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 10**12 else None
    text = value if isinstance(value, str) else ""
    return int(text) if 0 < len(text) <= 12 and text.isascii() and text.isdigit() else None


def _field(data: Any, *names: str) -> Any:
    for name in names:
        if data is None:
            return None
        data = data.get(name) if isinstance(data, dict) else getattr(data, name, None)
    return data


def typed_text(text: str) -> str:
    """A message's text as a command: the @panelbot mention and any markup taken out, entities read."""
    without = _TAG.sub(" ", _MENTION.sub(" ", text))
    return " ".join(html.unescape(without).split())


def split_command(text: str) -> tuple[str, str]:
    """'Book  1234567 ' -> ('book', '1234567'): the word lower-cased, the rest as typed."""
    word, _, rest = text.strip().partition(" ")
    return word.lower(), rest.strip()


def _pounds(value: object) -> Decimal | None:
    """A weekly amount typed on a form, to the penny, within the form's bounds; None if not one."""
    text = str(value).replace("£", "").replace(",", "").strip() if isinstance(value, str | int | float) else ""
    try:
        amount = Decimal(text) if text else None
    except InvalidOperation:
        return None
    if amount is None or not amount.is_finite() or amount < 0 or amount > Decimal("25000") or \
            amount != amount.quantize(Decimal("0.01")):
        return None
    return amount.quantize(Decimal("0.01"))


def _text_input(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return value.strip() if isinstance(value, str) and value.strip() else None


class TeamsBot:
    """Dispatches authenticated Teams activities to the services. `later` runs the replies and
    deliveries after the answer (tests pass one that runs them at once)."""

    def __init__(self, services: Services, connector: Connector, addresses: AddressBook | None = None, *,
                 later: Later | None = None, names: Names | None = None, tenant: str | None = None,
                 deliver_here: bool = True) -> None:
        self.services = services
        # The council's Microsoft 365 tenant (TEAMS_TENANT_ID): activities from any other are refused
        # before anything of them is recorded. None: not checked (the demo; a deployment without it).
        self.tenant = tenant.lower() if tenant else None
        self.connector = connector
        self.addresses = addresses or AddressBook(services)
        self.names = self.addresses.names if names is None else names  # display names: handlers/teams/names.py
        self.notifier = TeamsNotifier(connector, self.addresses, names=self.names)
        self.later = later or Later("teams", 4, 500)
        self.deliver_here = deliver_here  # False: the worker sends what changes queue (bot.deliveries)
        self.verbs: dict[str, Handler] = {
            Verb.NEW_CASE: self._new_case, Verb.SUBMIT_CASE: self._submit_case, Verb.OPEN_CASE: self._open_case,
            Verb.DECIDE: self._decide, Verb.RECORD_DECISION: self._record_decision, Verb.WITHDRAW: self._withdraw,
            Verb.CLOSE_FORM: self._close_form, Verb.BOOK_SLOT: self._booking_form, Verb.REBOOK: self._booking_form,
            Verb.BOOK: self._book, Verb.CANCEL_BOOKING: self._cancel_question,
            Verb.CANCEL_BOOKING_CONFIRMED: self._cancel_booking, Verb.KEEP_BOOKING: self._keep_booking,
            Verb.REMINDER_DONE: self._reminder, Verb.SNOOZE_DAY: self._reminder, Verb.SNOOZE_WEEK: self._reminder,
            Verb.RECORD_REVIEW: self._record_review, Verb.SET_COVER: self._set_cover,
            Verb.SPOT_CHECK_OPEN: self._open_spot_check, Verb.RECORD_SPOT_CHECK: self._record_spot_check,
        }
        self.commands: dict[str, Callable[[Turn, str], Result]] = {
            Command.HELP: lambda turn, rest: help_card(), Command.SUBMIT: self._submit_command,
            Command.MINE: self._mine, Command.CASE: self._case, Command.WITHDRAW: self._withdraw_command,
            Command.BOOK: self._book_command, Command.AGENDA: self._agenda, Command.REVIEW: self._review_command,
            Command.AWAY: self._away, Command.SPOT_CHECKS: self._spot_checks, Command.VISITS: self._visits,
        }
        # Visits, attendance and the report have modules of their own; they import this one, so here.
        from handlers.teams import attendance, report, visits
        for more in (visits.VisitHandlers(self), attendance.AttendanceHandlers(self), report.ReportHandlers(self)):
            self.verbs.update(more.verbs())
            self.commands.update(more.commands())

    # -- one activity ----------------------------------------------------------------------------------

    def handle(self, activity: Any) -> Answer:
        """The answer to one activity. Never raises for what the activity holds: a failure of ours is
        logged with an incident id and the person told it, where Teams can show it."""
        started = time.perf_counter()
        kind, name = str(getattr(activity, "type", "")), self._name(activity)
        try:
            answer = self._handle(activity)
            outcome = str(answer.status)
        except Exception as failed:
            number = incident()
            logger.error("incident %s while handling a Teams %s %s", number, kind, name, exc_info=failed)
            text = database_down_text(number) if isinstance(failed, DATABASE_UNAVAILABLE) else incident_text(number)
            answer = self._failed(activity, text)
            outcome = "incident"
        log_request(f"teams:{kind}", name, outcome, (time.perf_counter() - started) * 1000)
        return answer

    def _name(self, activity: Any) -> str:
        """What the request was, in panelbot's own words only (a known verb or command, else "-")."""
        kind = getattr(activity, "type", "")
        if kind == "invoke":
            verb = self._verb_of(activity)
            return verb if verb in self.verbs else str(getattr(activity, "name", "-"))[:40]
        if kind == "message":
            word, _ = split_command(typed_text(str(getattr(activity, "text", "") or "")))
            return word if word in self.commands or word in GREETINGS else "-"
        return "-"

    def _failed(self, activity: Any, text: str) -> Answer:
        if getattr(activity, "type", "") == "message":
            self._reply_text(activity, text)  # best effort: the person typed something and waits
            return Answer(200)
        if getattr(activity, "type", "") != "invoke":
            return Answer(200)
        if getattr(activity, "name", "") in ("task/fetch", "task/submit"):
            return Answer(200, {"task": {"type": "message", "value": text}})
        return Answer(200, message_response(text))

    def _handle(self, activity: Any) -> Answer:
        kind = getattr(activity, "type", "")
        if self.tenant is not None and (tenant_of(activity) or "").lower() != self.tenant:
            # Someone in another organisation (the app installed there): nothing is recorded, nothing
            # read or changed; a button or dialog is told why, a message gets no answer in their chat.
            logger.warning("teams %s from another tenant refused", kind)
            if kind == "invoke":
                return self._invoke_answer(NOT_A_PERSON, getattr(activity, "name", "") != "adaptiveCard/action")
            return Answer(200)
        self.addresses.record(activity)
        if kind == "conversationUpdate":
            self._welcome(activity)
            return Answer(200)
        if kind not in ("message", "invoke"):
            return Answer(200)
        person = sender_of(activity)
        personal = _field(activity, "conversation", "conversation_type") == "personal"
        if kind == "message":
            if person is None:
                self._reply_text(activity, NOT_A_PERSON)
                return Answer(200)
            self._message(Turn(activity, person, personal))
            return Answer(200)
        name = getattr(activity, "name", "")
        if name not in ("adaptiveCard/action", "task/fetch", "task/submit"):
            return Answer(501)  # an invoke panelbot does not offer (Bot Framework answers these 501)
        in_dialog = name != "adaptiveCard/action"
        if person is None:
            return self._invoke_answer(NOT_A_PERSON, in_dialog)
        turn = Turn(activity, person, personal, in_dialog)
        data = _field(activity, "value", "action", "data") if not in_dialog else _field(activity, "value", "data")
        data = dict(data) if isinstance(data, dict) else {}
        handler = self.verbs.get(self._verb_of(activity))
        result = handler(turn, data) if handler is not None else OUT_OF_DATE
        return self._invoke_answer(result, in_dialog)

    def _verb_of(self, activity: Any) -> str:
        if getattr(activity, "name", "") == "adaptiveCard/action":
            verb = _field(activity, "value", "action", "verb")
        else:
            verb = _field(activity, "value", "data", VERB_KEY)
        return verb if isinstance(verb, str) else ""

    def _invoke_answer(self, result: Result, in_dialog: bool) -> Answer:
        if in_dialog:
            if isinstance(result, str):
                return Answer(200, {"task": {"type": "message", "value": result}})
            title = str(result.get("fallbackText") or "panelbot")
            return Answer(200, dialog(as_dialog(result), title))
        return Answer(200, message_response(result) if isinstance(result, str) else card_response(result))

    # -- words -------------------------------------------------------------------------------------------

    def words(self, text: str) -> str:
        """A sentence of the core's (bot.markup) as Teams shows it: people by name, commands in quotes."""
        return markup.render(text, person=lambda address: person(address, self.names)
                             if surface_of(address) is not Surface.SLACK else "a colleague on Slack",
                             command=lambda words: f"\u201c{words}\u201d")

    def said(self, refusal: UserError | Problem) -> str:
        """A refusal's sentence (messages/refusals.py) as Teams shows it."""
        return self.words(refusals.words(refusal))

    def said_each(self, problems: Mapping[str, Problem]) -> dict[str, str]:
        """A form's refusals, each under its input, as Teams shows them."""
        return {field: self.words(sentence) for field, sentence in refusals.words_each(problems).items()}

    # -- sending -----------------------------------------------------------------------------------------

    def _send(self, what: str, send: Callable[[], Any]) -> None:
        def run() -> None:
            try:
                send()
            except DeliveryError as failed:
                logger.warning("Teams %s not sent: %s", what, failed.code)

        self.later(f"teams {what}", run)

    def _reply_text(self, activity: Any, text: str) -> None:
        service_url, conversation = str(activity.service_url), str(_field(activity, "conversation", "id"))
        body = {"type": "message", "text": text, "textFormat": "plain"}
        self._send("reply", lambda: self.connector.send(service_url, conversation, body))

    def _reply(self, turn: Turn, result: Result, *, channel_safe: bool = False) -> None:
        """Answer a typed command: in the chat it was typed in when that is the person's chat with
        panelbot (or the answer is channel-safe); otherwise in their personal chat, with a pointer."""
        if isinstance(result, str):
            result = text_card("panelbot", result)
        if turn.personal or channel_safe:
            service_url, conversation = str(turn.activity.service_url), str(_field(turn.activity, "conversation", "id"))
            self._send("reply", lambda: self.connector.send(service_url, conversation, message(result)))
            return
        self._send("answer", lambda: self.notifier.post(turn.person, result))
        self._reply_text(turn.activity, IN_YOUR_CHAT)

    def _deliver(self, case_id: int | None = None) -> None:
        """What a change owes, from the outbox: channel posts first, then the rest (unless the worker sends)."""
        if not self.deliver_here:
            return
        services = self.services

        def run() -> None:
            deliver_due(services, services.now(), case_id=case_id, kinds=CHANNEL_POSTS)
            deliver_due(services, services.now(), case_id=case_id)

        self.later("teams deliver", run)

    # -- conversationUpdate ------------------------------------------------------------------------------

    def _welcome(self, activity: Any) -> None:
        """panelbot added to someone's personal scope: the welcome card, with what waits on them."""
        added = _field(activity, "members_added") or []
        bot = _field(activity, "recipient", "id")
        personal = _field(activity, "conversation", "conversation_type") == "personal"
        if not personal or not any(_field(member, "id") == bot for member in added):
            return
        person_ = sender_of(activity)
        home = home_of(self.services, person_) if person_ is not None else None
        card = home_card(home, self.names)
        service_url, conversation = str(activity.service_url), str(_field(activity, "conversation", "id"))
        self._send("welcome", lambda: self.connector.send(service_url, conversation, message(card)))

    # -- messages: the commands --------------------------------------------------------------------------

    def _message(self, turn: Turn) -> None:
        text = typed_text(str(turn.activity.text or ""))
        problem = command_problem(text, limit=MAX_COMMAND_TEXT)
        if problem is not None:
            self._reply(turn, self.said(problem), channel_safe=True)
            return
        word, rest = split_command(text)
        if word in GREETINGS or (word == "" and turn.personal):
            self._reply(turn, home_card(home_of(self.services, turn.person), self.names))
            return
        if word in ("", Command.HELP):
            self._reply(turn, help_card(), channel_safe=True)
            return
        command = self.commands.get(word)
        if command is None:
            self._reply(turn, usage_card(word), channel_safe=True)
            return
        self._reply(turn, command(turn, rest))

    def _submit_command(self, turn: Turn, rest: str) -> Result:
        return open_form_card("Submit a funding request: the form opens here. Details stay in panelbot; channels "
                              "show only the case reference and amounts.")

    def _mine(self, turn: Turn, rest: str) -> Result:
        home = home_of(self.services, turn.person)
        waiting = ["".join(part if isinstance(part, str) else str(part.get("text", ""))
                           for part in task_line(task, home.today, self.names))
                   for task in home.waiting]
        return mine_card(cases_of(self.services, turn.person), waiting, self.names, more=home.waiting_more)

    def _reference(self, rest: str) -> str:
        return rest.split(" ")[0][:64] if rest else ""

    def _usage(self, command: Command) -> str:
        example = self.services.policy.case_reference.example
        return f"Type \u201c{command.value} <case reference>\u201d, for example \u201c{command.value} {example}\u201d."

    def _case(self, turn: Turn, rest: str) -> Result:
        reference = self._reference(rest)
        if not reference:
            return self._usage(Command.CASE)
        found = look_up_case(self.services, reference, turn.person)
        if found is None:
            return "There is no case with that reference in panelbot."
        return case_details(found.case, self.names) if found.full else case_summary(found.case)

    def _form_for_case(self, command: Command, rest: str, form: Callable[[str], Result],
                       refusal: type[Exception]) -> Result:
        """A command that names a case and answers with its form: usage without a reference, the
        service's sentence when it refuses."""
        reference = self._reference(rest)
        if not reference:
            return self._usage(command)
        try:
            return form(reference)
        except refusal as refused:
            return self.said(refused)

    def _withdraw_command(self, turn: Turn, rest: str) -> Result:
        return self._form_for_case(Command.WITHDRAW, rest, lambda reference: withdraw_form(
            start_withdrawal(self.services, reference, turn.person)), WithdrawRefused)

    def _book_command(self, turn: Turn, rest: str) -> Result:
        return self._form_for_case(Command.BOOK, rest, lambda reference: booking_form(
            booking_choice(self.services, turn.person, reference=reference)), BookingRefused)

    def _review_command(self, turn: Turn, rest: str) -> Result:
        return self._form_for_case(Command.REVIEW, rest, lambda reference: review_form(
            start_review(self.services, reference, turn.person)), ReviewRefused)

    def _agenda(self, turn: Turn, rest: str) -> Result:
        usage = ("Type \u201cagenda\u201d with a day if you like: \u201cagenda tomorrow\u201d, \u201cagenda "
                 "1/12/2026\u201d (day first) or \u201cagenda 2026-12-01\u201d; for a panel, \u201cagenda "
                 f"<panel> [date]\u201d ({', '.join(panel_bodies(self.services)) or 'none'}).")
        today = self.services.calendar.local_date(self.services.now())
        first, _, after = rest.strip().partition(" ")
        if first in panel_bodies(self.services):
            day = read_day(after, today)
            if isinstance(day, NotADay):
                return f"{self.said(day)} {usage}"
            found = panel_agenda(self.services, first, day) if day is not None else None
            return panel_agenda_card(found, self.names) if found is not None else usage
        day = read_day(rest, today)
        if day is None:
            return usage
        if isinstance(day, NotADay):
            return f"{self.said(day)} {usage}"
        try:
            return agenda_card(agenda(self.services, day), self.names)
        except BookingRefused as refused:
            return f"{self.said(refused)} {usage}"

    def _away(self, turn: Turn, rest: str) -> Result:
        if rest.strip().lower() == "off":
            ended = end_cover(self.services, turn.person)
            return "Your cover has ended: your messages come to you again." if ended else "You have no cover set."
        return away_form(self.services.calendar.local_date(self.services.now()), names=self.names)

    def _spot_checks(self, turn: Turn, rest: str) -> Result:
        try:
            return spot_checks_card(open_spot_checks(self.services, turn.person), self.names)
        except SpotCheckRefused as refused:
            return self.said(refused)

    def _visits(self, turn: Turn, rest: str) -> Result:
        return visits_card(visits_overview(self.services, turn.person), self.names)

    # -- buttons: cases ----------------------------------------------------------------------------------

    def _people(self, role: str) -> list[str]:
        return [member for member in self.services.people(self.services.policy.members(role))
                if is_person(member) and surface_of(member) is Surface.TEAMS]

    def _case_form(self, data: Mapping[str, Any] | None = None, errors: Mapping[str, str] | None = None,
                   key: str | None = None) -> Card:
        policy = self.services.policy
        managers = self._people(policy.case_form.team_manager_role)
        built = refused_form(policy, data, errors, team_managers=managers, names=self.names) if data is not None \
            else submit_form(policy, team_managers=managers, names=self.names)
        return with_form_key(built, key or new_form_key())

    def _new_case(self, turn: Turn, data: dict[str, Any]) -> Result:
        return self._case_form()

    def _colleague(self, value: str | None) -> tuple[str | None, str | None]:
        """A person chosen on a form: an address as given, or a work e-mail looked up in Teams. Returns
        (address, sentence saying why not)."""
        if value is None or not _EMAIL.fullmatch(value):
            return value, None
        try:
            found = self.addresses.find_by_email(self.connector, value)
        except DeliveryError as failed:
            logger.warning("a Teams roster could not be read: %s", failed.code)
            return None, EMAIL_LOOKUP_FAILED
        return (found, None) if found is not None else (None, NO_EMAIL_MATCH)

    def _submit_case(self, turn: Turn, data: dict[str, Any]) -> Result:
        key = form_key(data) or new_form_key()
        texts = {name: value for name, value in data.items() if name in set(SubmitInput) and isinstance(value, str)}
        if problems := form_problems(texts):
            return self._case_form(data, self.said_each(problems), key)
        policy = self.services.policy
        raw = read_answers(data, policy)
        errors = {}
        for field in (SubmitInput.TEAM_MANAGER, SubmitInput.ATTENDEE):
            chosen = raw.get(field)
            address, why_not = self._colleague(chosen if isinstance(chosen, str) else None)
            raw[field] = address
            if why_not is not None:
                errors[field.value] = why_not
        try:
            submission = parse_submission(raw, policy=policy, submitter=turn.person)
            if errors:
                return self._case_form(data, errors, key)
            result = submit_case(self.services, submission, key=f"teams-form:{key}")
        except FormErrors as problems:
            return self._case_form(data, {**self.said_each(problems.errors), **errors}, key)
        except SubmissionProblem as problem:
            return self._case_form(data, {problem.field: self.said(problem)}, key)
        except SQLAlchemyError:
            number = incident()
            logger.exception("incident %s: could not store a Teams submission", number)
            return self._case_form(data, {SubmitInput.REFERENCE.value: NOT_SAVED.format(number)}, key)
        self._deliver(result.case.id)
        return submitted_card(result.case, self.names, corrected=result.corrected)

    def _open_case(self, turn: Turn, data: dict[str, Any]) -> Result:
        case_id = row_id(data.get(Key.CASE))
        found = case_by_id(self.services, case_id, turn.person) if case_id is not None else None
        if found is None:
            return "That case is no longer in panelbot."
        if not found.full:
            return case_summary(found.case)
        details = case_details(found.case, self.names)
        if turn.personal:
            return details
        # The details hold what people typed about the person: never an answer Teams may show a channel.
        self._send("details", lambda: self.notifier.post(turn.person, details))
        return "The case's details are in your chat with panelbot."

    def _already(self, refused: AlreadyDecided) -> str:
        if refused.decision is None:
            return f"Case {refused.reference} has moved on since this was shown: open it again to see where it is."
        return already_decided(refused.reference, refused.decision, self.names)

    def _decision_of(self, data: Mapping[str, Any]) -> tuple[int, int, Outcome] | None:
        case_id, round_, outcome = row_id(data.get(Key.CASE)), row_id(data.get(Key.ROUND)), data.get(Key.OUTCOME)
        if case_id is None or round_ is None or outcome not in set(Outcome):
            return None
        return case_id, round_, Outcome(str(outcome))

    def _decide(self, turn: Turn, data: dict[str, Any]) -> Result:
        written = self._decision_of(data)
        if written is None:
            return OUT_OF_DATE
        case_id, round_, outcome = written
        try:
            case = start_decision(self.services, case_id, round_, outcome, turn.person)
        except NotAllowed as refused:
            return not_allowed(self.said(refused))
        except AlreadyDecided as refused:
            return self._already(refused)
        except DecisionRefused as refused:
            return self.said(refused)
        return decision_form(case, outcome, names=self.names)

    def _record_decision(self, turn: Turn, data: dict[str, Any]) -> Result:
        written = self._decision_of(data)
        if written is None:
            return OUT_OF_DATE
        case_id, round_, outcome = written
        answers: dict[str, str | list[str] | None] = {key.value: _text_input(data, key) for key in DecisionInput}
        try:
            case = start_decision(self.services, case_id, round_, outcome, turn.person)
        except NotAllowed as refused:
            return not_allowed(self.said(refused))
        except AlreadyDecided as refused:
            return self._already(refused)
        except DecisionRefused as refused:
            return self.said(refused)
        try:
            if problems := form_problems(answers):
                raise DecisionFormError(problems)
            decided = decide(self.services, case_id, round_, read_decision(outcome, answers), turn.person)
        except NotAllowed as refused:
            return not_allowed(self.said(refused))
        except AlreadyDecided as refused:
            return self._already(refused)
        except DecisionFormError as problems:
            return decision_form(case, outcome, errors=self.said_each(problems.errors),
                                 amended_weekly=_text_input(data, DecisionInput.AMENDED_WEEKLY), names=self.names)
        except DecisionRefused as refused:
            return decision_form(case, outcome, errors={DecisionInput.REASON.value: self.said(refused)},
                                 amended_weekly=_text_input(data, DecisionInput.AMENDED_WEEKLY), names=self.names)
        self._deliver(decided.case.id)
        return case_card(decided.case, self.names)

    def _withdraw(self, turn: Turn, data: dict[str, Any]) -> Result:
        case_id = row_id(data.get(Key.CASE))
        found = case_by_id(self.services, case_id, turn.person) if case_id is not None else None
        if found is None:
            return OUT_OF_DATE
        reason = _text_input(data, WithdrawInput.REASON)
        problem = text_problem(reason) if reason is not None else None
        if reason is None or problem is not None:
            return withdraw_form(found.case, error=self.said(problem) if problem else "Say why the case is withdrawn.")
        assert reason is not None
        try:
            withdrawn = withdraw_case(self.services, found.case.id, reason, turn.person)
        except WithdrawRefused as refused:
            return withdraw_form(found.case, error=self.said(refused))
        self._deliver(withdrawn.case.id)
        return text_card("Case withdrawn", f"Case {withdrawn.case.reference} is withdrawn. The people on the case "
                                           "and its deciders are told; any booked slot is free again.")

    def _close_form(self, turn: Turn, data: dict[str, Any]) -> Result:
        case_id = row_id(data.get(Key.CASE))
        if turn.in_dialog:
            return "Closed: nothing was changed."
        found = case_by_id(self.services, case_id, turn.person) if case_id is not None else None
        if found is not None and not turn.personal:
            return case_card(found.case, self.names)  # the channel card the decision form replaced
        return text_card("panelbot", "Closed: nothing was changed.")

    # -- buttons: booking ---------------------------------------------------------------------------------

    def _booking_form(self, turn: Turn, data: dict[str, Any]) -> Result:
        case_id = row_id(data.get(Key.CASE))
        if case_id is None:
            return "That button no longer points at a case."
        try:
            return booking_form(booking_choice(self.services, turn.person, case_id=case_id))
        except BookingRefused as refused:
            return self.said(refused)

    def _book(self, turn: Turn, data: dict[str, Any]) -> Result:
        case_id, chosen = row_id(data.get(Key.CASE)), data.get(BookInput.SLOT)
        if case_id is None:
            return "That button no longer points at a case."
        try:
            start = datetime.fromisoformat(chosen) if isinstance(chosen, str) else None
        except ValueError:
            start = None
        try:
            choice = booking_choice(self.services, turn.person, case_id=case_id)
        except BookingRefused as refused:
            return self.said(refused)
        if start is None or start.tzinfo is None:
            return booking_form(choice, error=self.said(Problem(Refusal.NOT_A_SLOT)))
        try:
            result = book_slot(self.services, case_id, start, turn.person)
        except SlotTaken as taken:
            return booking_form(replace(taken.choice, notice=slot_taken_notice(taken.slot)))
        except BookingRefused as refused:
            return booking_form(choice, error=self.said(refused)[:150])
        if result.changed:
            self._deliver(case_id)
        return booked_card(result.change, self.names)

    def _cancel_question(self, turn: Turn, data: dict[str, Any]) -> Result:
        case_id = row_id(data.get(Key.CASE))
        try:
            choice = booking_choice(self.services, turn.person, case_id=case_id) if case_id is not None else None
        except BookingRefused as refused:
            return self.said(refused)
        if choice is None or choice.current is None:
            return "That slot was already cancelled."
        return cancel_question(choice.current)

    def _cancel_booking(self, turn: Turn, data: dict[str, Any]) -> Result:
        case_id = row_id(data.get(Key.CASE))
        if case_id is None:
            return "That button no longer points at a case."
        try:
            change = cancel_booking(self.services, case_id, turn.person)
        except BookingRefused as refused:
            return self.said(refused)
        if change is None:
            return "That slot was already cancelled."
        self._deliver(case_id)
        return booking_cancelled(change, self.names)

    def _keep_booking(self, turn: Turn, data: dict[str, Any]) -> Result:
        case_id = row_id(data.get(Key.CASE))
        try:
            choice = booking_choice(self.services, turn.person, case_id=case_id) if case_id is not None else None
        except BookingRefused as refused:
            return self.said(refused)
        if choice is None or choice.current is None:
            return "That slot was already cancelled."
        return booking_confirmation(BookingChange(booking=choice.current), self.names)

    # -- buttons: reminders, reviews, cover, spot checks ------------------------------------------------------

    def _reminder(self, turn: Turn, data: dict[str, Any]) -> Result:
        reminder_id = row_id(data.get(Key.REMINDER))
        try:
            if reminder_id is None:
                raise ReminderRefused(Refusal.BUTTON_LOST_REMINDER)
            if self._verb_of(turn.activity) == Verb.REMINDER_DONE:
                return reminder_done_text(complete_reminder(self.services, reminder_id, turn.person))
            days = SNOOZES[Verb(self._verb_of(turn.activity))]
            reference, until = snooze_reminder(self.services, reminder_id, turn.person, days)
            return reminder_snoozed_text(reference, until)
        except ReminderRefused as refused:
            return self.said(refused)

    def _record_review(self, turn: Turn, data: dict[str, Any]) -> Result:
        case_id = row_id(data.get(Key.CASE))
        found = case_by_id(self.services, case_id, turn.person) if case_id is not None else None
        if found is None:
            return OUT_OF_DATE
        quality, package = data.get(ReviewInput.QUALITY_OF_LIFE), data.get(ReviewInput.PACKAGE)
        notes = _text_input(data, ReviewInput.NOTES)
        new_weekly = _pounds(data.get(ReviewInput.NEW_WEEKLY))
        errors = {}
        if quality not in set(QualityOfLife):
            errors[ReviewInput.QUALITY_OF_LIFE.value] = "Say whether the person's quality of life has improved."
        if package not in set(PackageAfterReview):
            errors[ReviewInput.PACKAGE.value] = "Say what happens to the package."
        if notes is not None and (problem := text_problem(notes)) is not None:
            errors[ReviewInput.NOTES.value] = self.said(problem)
        if package == PackageAfterReview.CHANGES and new_weekly is None:
            errors[ReviewInput.NEW_WEEKLY.value] = "Enter the changed package's weekly cost in pounds, like 320.00."
        if errors:
            return review_form(found.case, errors=errors)
        try:
            recorded = record_review(self.services, found.case.id, turn.person, QualityOfLife(str(quality)),
                                     PackageAfterReview(str(package)), notes, new_weekly=new_weekly)
        except ReviewRefused as refused:
            return review_form(found.case, errors={ReviewInput.PACKAGE.value: self.said(refused)})
        self._deliver(recorded.case_id)
        return text_card("Review recorded", review_recorded_text(recorded))

    def _set_cover(self, turn: Turn, data: dict[str, Any]) -> Result:
        today = self.services.calendar.local_date(self.services.now())
        colleague, why_not = self._colleague(_text_input(data, AwayInput.COLLEAGUE))
        if why_not is not None or colleague is None:
            return away_form(today, names=self.names,
                             errors={AwayInput.COLLEAGUE.value: why_not or "Choose who covers for you."})
        try:
            cover = set_cover(self.services, turn.person, colleague, picked_day(data.get(AwayInput.FIRST_DAY)),
                              picked_day(data.get(AwayInput.LAST_DAY)))
        except CoverRefused as refused:
            return away_form(today, names=self.names, errors={refused.field: self.said(refused)})
        self.services.forget_cover()
        return text_card("Cover set", f"{person(cover.colleague, self.names)} covers for you from "
                                      f"{long_date(cover.first_day)} to {long_date(cover.last_day)}. "
                                      "Type \u201caway off\u201d to end it early.")

    def _open_spot_check(self, turn: Turn, data: dict[str, Any]) -> Result:
        check_id = row_id(data.get(Key.SPOT_CHECK))
        try:
            if check_id is None:
                raise SpotCheckRefused(Refusal.BUTTON_LOST_SPOT_CHECK)
            opened = open_spot_check(self.services, check_id, turn.person)
        except SpotCheckRefused as refused:
            return self.said(refused)
        if not turn.personal:  # the form shows the whole case
            self._send("spot check", lambda: self.notifier.post(turn.person, spot_check_form(opened, self.names)))
            return "The spot check is in your chat with panelbot."
        return spot_check_form(opened, self.names)

    def _record_spot_check(self, turn: Turn, data: dict[str, Any]) -> Result:
        check_id = row_id(data.get(Key.SPOT_CHECK))
        finding, actions = data.get(SpotCheckInput.FINDING), _text_input(data, SpotCheckInput.ACTIONS)
        try:
            if check_id is None:
                raise SpotCheckRefused(Refusal.FORM_LOST_SPOT_CHECK)
            opened = open_spot_check(self.services, check_id, turn.person)
        except SpotCheckRefused as refused:
            return self.said(refused)
        errors = {}
        if finding not in set(Finding):
            errors[SpotCheckInput.FINDING.value] = "Say what you found."
        elif finding == Finding.CONCERN and actions is None:
            errors[SpotCheckInput.ACTIONS.value] = "Say what you recommend the team manager does."
        if actions is not None and (problem := text_problem(actions)) is not None:
            errors[SpotCheckInput.ACTIONS.value] = self.said(problem)
        if errors:
            return spot_check_form(opened, self.names, errors=errors)
        try:
            recorded = record_spot_check(self.services, check_id, turn.person, Finding(str(finding)), actions)
        except SpotCheckRefused as refused:
            return spot_check_form(opened, self.names, errors={SpotCheckInput.FINDING.value: self.said(refused)})
        self._deliver(opened.case.id)
        return text_card("Spot check recorded", spot_check_recorded_text(recorded))

