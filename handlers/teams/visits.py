"""Monitoring visits in Teams (seed 002): "provision [name]", "placement" and "concern <provision>",
the provision, placement and plan-visit forms, and the buttons on the visits card and on the messages
asking for a post-visit step or for Ofsted's action plan. The Teams counterpart of
handlers/slack/visits.py ("visits" itself is in bot.py).

`VisitHandlers(bot)` gives TeamsBot its `commands()` and `verbs()`. Each press calls one service that
changes something, once, and the service checks who may: a refusal is its sentence, and changes
nothing. A repeat press (a double click, a retried delivery) changes nothing either: a visit or step
already recorded is no longer open, and a plan, provision, placement or action plan already recorded
as given is answered as recorded, with nothing written.

Privacy: these forms and answers only ever reach the person's own chat with panelbot: a command typed
in a channel is answered in that chat (bot.py `_reply`), and so is a button pressed in one (`in_personal_chat`).
They carry a provision's name (an organisation), a child's case reference, dates and colleagues' names:
nothing else about the child. Nothing here logs what anyone typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.addresses import Surface, is_person, surface_of
from bot.domain.days import picked_day
from bot.domain.text import form_problems
from bot.domain.visits import Step
from bot.services.visits import (
    PCO_ROLE,
    VisitRefused,
    add_placement,
    complete_step,
    plan_visit,
    provision_to_edit,
    provisions_for,
    raise_concern,
    record_action_plan,
    save_provision,
    visit_done,
    visit_to_plan,
    visits_overview,
)
from handlers.teams.bot import IN_YOUR_CHAT, OUT_OF_DATE, Handler, Result, TeamsBot, Turn, _text_input, row_id
from messages.teams.help import text_card, typed
from messages.teams.ids import Command, Key, PlacementInput, PlanVisitInput, ProvisionInput, Verb
from messages.teams.visits import (
    CONTACT_MAX_LENGTH,
    action_plan_text,
    concern_raised_text,
    placement_form,
    placement_saved_text,
    plan_visit_form,
    provision_form,
    provision_saved_text,
    step_done_text,
    visit_done_text,
    visit_planned_text,
    visits_card,
)

FORM_OUT_OF_DATE = "That form is out of date: type the command again to get a new one."
NOT_A_COLLEAGUE = "Enter their work e-mail address, like name@council.gov.uk."


class VisitHandlers:
    """The visits commands and buttons, run by `bot` (its services, names, sending and wording)."""

    def __init__(self, bot: TeamsBot) -> None:
        self.bot = bot
        self.services = bot.services

    def commands(self) -> dict[str, Callable[[Turn, str], Result]]:
        return {Command.PROVISION: self.provision, Command.PLACEMENT: self.placement, Command.CONCERN: self.concern}

    def verbs(self) -> dict[str, Handler]:
        verbs: dict[str, Handler] = {
            Verb.SAVE_PROVISION: self.save_provision, Verb.SAVE_PLACEMENT: self.save_placement,
            Verb.PLAN_VISIT: self.plan_form, Verb.SAVE_VISIT_PLAN: self.save_plan,
            Verb.VISIT_DONE: self.visit_done, Verb.STEP_DONE: self.step_done,
            Verb.ACTION_PLAN_REQUESTED: self.action_plan, Verb.ACTION_PLAN_RECEIVED: self.action_plan,
        }
        return {verb: in_personal_chat(self.bot, handler) for verb, handler in verbs.items()}

    # -- typed commands ---------------------------------------------------------------------------------

    def provision(self, turn: Turn, rest: str) -> Result:
        try:
            existing = provision_to_edit(self.services, turn.person, rest)
        except VisitRefused as refused:
            return self.bot.said(refused)
        if rest and existing is None:
            return (f"panelbot knows no provision called \u201c{rest[:60]}\u201d. Type {typed(Command.PROVISION)} "
                    "to add one.")
        return provision_form(existing)

    def placement(self, turn: Turn, rest: str) -> Result:
        try:
            return placement_form(provisions_for(self.services, turn.person), names=self.bot.names)
        except VisitRefused as refused:
            return self.bot.said(refused)

    def concern(self, turn: Turn, rest: str) -> Result:
        if not rest:
            return (f"Type {typed(Command.CONCERN, '<provision name>')}, for example "
                    f"{typed(Command.CONCERN, 'Oakwood House')}.")
        try:
            visit, joined, raised_on = raise_concern(self.services, turn.person, rest)
        except VisitRefused as refused:
            return self.bot.said(refused)
        self.bot._deliver()
        return text_card("Concern recorded", concern_raised_text(visit.provision, visit, joined, raised_on=raised_on))

    # -- the forms --------------------------------------------------------------------------------------

    def save_provision(self, turn: Turn, data: dict[str, Any]) -> Result:
        editing = row_id(data.get(Key.PROVISION_ID)) if Key.PROVISION_ID in data else None
        if Key.PROVISION_ID in data and editing is None:
            return FORM_OUT_OF_DATE
        answers = _answers(data, ProvisionInput)
        errors = self._problems(answers)
        contact = answers.get(ProvisionInput.CONTACT)
        if contact is not None and len(contact) > CONTACT_MAX_LENGTH:
            errors[ProvisionInput.CONTACT.value] = f"Keep the contact under {CONTACT_MAX_LENGTH} characters."
        if errors:
            return provision_form(None, editing=editing, answers=answers, errors=errors)
        try:
            saved, due = save_provision(
                self.services, turn.person, provision_id=editing, name=answers.get(ProvisionInput.NAME) or "",
                provision_type=answers.get(ProvisionInput.TYPE) or "", rating=answers.get(ProvisionInput.RATING),
                rated_on=picked_day(answers.get(ProvisionInput.RATED_ON)), contact=contact)
        except VisitRefused as refused:
            if refused.field is None:  # not theirs to do, or the provision has gone: the form cannot help
                return self.bot.said(refused)
            errors = {refused.field: self.bot.said(refused)}
            return provision_form(None, editing=editing, answers=answers, errors=errors)
        self.bot._deliver()  # a rating may ask the SQAO for Ofsted's action plan
        return text_card("Provision saved", provision_saved_text(saved, due))

    def save_placement(self, turn: Turn, data: dict[str, Any]) -> Result:
        answers = _answers(data, PlacementInput)
        errors = self._problems(answers)
        people: dict[str, str | None] = {}
        for field in (PlacementInput.SOCIAL_WORKER, PlacementInput.IRO, PlacementInput.SEN_OFFICER):
            people[field.value], why_not = self._colleague(answers.get(field))
            if why_not is not None:
                errors[field.value] = why_not
        if errors:
            return self._placement_form(turn, answers, errors)
        try:
            name, visit = add_placement(
                self.services, turn.person, provision_id=row_id(answers.get(PlacementInput.PROVISION)),
                child_reference=answers.get(PlacementInput.CHILD_REFERENCE) or "",
                starts_on=picked_day(answers.get(PlacementInput.STARTS_ON)),
                social_worker=people[PlacementInput.SOCIAL_WORKER], iro=people[PlacementInput.IRO],
                sen_officer=people[PlacementInput.SEN_OFFICER])
        except VisitRefused as refused:
            if refused.field is None:
                return self.bot.said(refused)
            return self._placement_form(turn, answers, {refused.field: self.bot.said(refused)})
        return text_card("Placement recorded", placement_saved_text(visit.child_reference or "", name, [visit]))

    def plan_form(self, turn: Turn, data: dict[str, Any]) -> Result:
        visit_id = row_id(data.get(Key.VISIT))
        if visit_id is None:
            return OUT_OF_DATE
        return self._plan_form(turn, visit_id)

    def save_plan(self, turn: Turn, data: dict[str, Any]) -> Result:
        visit_id = row_id(data.get(Key.VISIT))
        if visit_id is None:
            return FORM_OUT_OF_DATE
        answers = _answers(data, PlanVisitInput)
        errors = self._problems(answers)
        visitor, why_not = self._colleague(answers.get(PlanVisitInput.VISITOR))
        if why_not is not None:
            errors[PlanVisitInput.VISITOR.value] = why_not
        if errors:
            return self._plan_form(turn, visit_id, answers, errors)
        try:
            planned = plan_visit(self.services, turn.person, visit_id, picked_day(answers.get(PlanVisitInput.DATE)),
                                 visitor)
        except VisitRefused as refused:
            if refused.field is None:
                return self.bot.said(refused)
            return self._plan_form(turn, visit_id, answers, {refused.field: self.bot.said(refused)})
        self.bot._deliver()  # the child's social worker, IRO and SEN officer are asked for feedback
        return self._visits_card(turn, visit_planned_text(planned, self.bot.names))

    # -- buttons ----------------------------------------------------------------------------------------

    def visit_done(self, turn: Turn, data: dict[str, Any]) -> Result:
        visit_id = row_id(data.get(Key.VISIT))
        try:
            if visit_id is None:
                return OUT_OF_DATE
            visit = visit_done(self.services, turn.person, visit_id)
        except VisitRefused as refused:
            return self.bot.said(refused)
        self.bot._deliver()  # the first step after the visit is assigned
        return self._visits_card(turn, visit_done_text(visit))

    def step_done(self, turn: Turn, data: dict[str, Any]) -> Result:
        visit_id, step = row_id(data.get(Key.VISIT)), data.get(Key.STEP)
        try:
            if visit_id is None or step not in set(Step):
                return OUT_OF_DATE
            visit = complete_step(self.services, turn.person, visit_id, Step(str(step)))
        except VisitRefused as refused:
            return self.bot.said(refused)
        self.bot._deliver()  # the next step is assigned
        return self._visits_card(turn, step_done_text(visit, Step(str(step))))

    def action_plan(self, turn: Turn, data: dict[str, Any]) -> Result:
        provision_id = row_id(data.get(Key.PROVISION_ID))
        received = self.bot._verb_of(turn.activity) == Verb.ACTION_PLAN_RECEIVED
        try:
            if provision_id is None:
                return OUT_OF_DATE
            visit = record_action_plan(self.services, turn.person, provision_id, received=received)
        except VisitRefused as refused:
            return self.bot.said(refused)
        self.bot._deliver()
        # A sentence: the message keeps its buttons, so Received can be pressed once the plan comes.
        return action_plan_text(visit, received=received)

    # -- helpers ----------------------------------------------------------------------------------------

    def _visits_card(self, turn: Turn, notice: str | None = None) -> Result:
        return visits_card(visits_overview(self.services, turn.person), self.bot.names, notice=notice)

    def _placement_form(self, turn: Turn, answers: Mapping[str, str], errors: Mapping[str, str]) -> Result:
        """The placement form again, with what was typed and why it was refused."""
        try:
            choices = provisions_for(self.services, turn.person)
        except VisitRefused as refused:
            return self.bot.said(refused)
        return placement_form(choices, names=self.bot.names, answers=answers, errors=errors)

    def _plan_form(self, turn: Turn, visit_id: int, answers: Mapping[str, str] | None = None,
                   errors: Mapping[str, str] | None = None) -> Result:
        """The plan-visit form for someone who may plan (the service checks), with what was typed and
        why it was refused, if it was."""
        try:
            visit = visit_to_plan(self.services, turn.person, visit_id)
        except VisitRefused as refused:
            return self.bot.said(refused)
        return plan_visit_form(visit, visitors=self._visitors(visit.visitor), names=self.bot.names, answers=answers,
                               errors=errors)

    def _problems(self, answers: Mapping[str, str]) -> dict[str, str]:
        return self.bot.said_each(form_problems(dict(answers)))

    def _visitors(self, current: str | None) -> list[str]:
        """Who may be chosen to visit: the placement commissioning officers on Teams, and whoever visits now."""
        found = self.bot._people(PCO_ROLE)
        return [*found, current] if current and _on_teams(current) and current not in found else found

    def _colleague(self, value: str | None) -> tuple[str | None, str | None]:
        """A colleague chosen on a form: an address from the form's list, or a work e-mail looked up in
        Teams. Returns (address, why not)."""
        if value is None:
            return None, None
        found, why_not = self.bot._colleague(value)
        if why_not is not None:
            return None, why_not
        return (found, None) if found is not None and _on_teams(found) else (None, NOT_A_COLLEAGUE)


def in_personal_chat(bot: TeamsBot, handler: Handler) -> Handler:
    """`handler`, whose cards go only to the person's chat with panelbot. These buttons are on personal
    messages; pressed in a channel (a card forwarded, or a forged press), the card answering it could
    show the channel a child's case reference or what was typed: it is sent to the person instead, and
    the press is answered with a pointer."""
    def answer(turn: Turn, data: dict[str, Any]) -> Result:
        result = handler(turn, data)
        if turn.personal or isinstance(result, str):
            return result
        bot._send("answer", lambda: bot.notifier.post(turn.person, result))
        return IN_YOUR_CHAT

    return answer


def _on_teams(address: str) -> bool:
    return is_person(address) and surface_of(address) is Surface.TEAMS


def _answers(data: Mapping[str, Any], inputs: Any) -> dict[str, str]:
    """The form's answers, each a stripped string; blank and missing ones left out."""
    found = {key.value: _text_input(data, key) for key in inputs}
    return {key: value for key, value in found.items() if value is not None}
