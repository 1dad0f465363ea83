"""Monitoring visits: `/panel provision [name]`, `/panel placement`, `/panel concern <provision>`,
`/panel visits`, the plan-visit form, and the buttons on visit and step messages."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.domain.days import picked_day
from bot.domain.visits import Step
from bot.refusals import Refusal
from bot.services import Services
from bot.services.visits import (
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
from handlers.slack.forms import checked_answers, metadata_ints, refuse_form, row_id
from handlers.slack.replies import AfterAck, after_ack, deliver, open_view, tell
from messages.slack.format import said
from messages.slack.help import notice_view
from messages.slack.ids import Action, Callback, PlacementField, PlanVisitField, ProvisionField, Subcommand
from messages.slack.visits import (
    concern_raised_text,
    placement_modal,
    placement_saved_text,
    plan_visit_modal,
    provision_modal,
    provision_saved_text,
    visits_message,
)


def _ephemeral(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": text}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def provision(ack: Ack, rest: str, command: dict[str, Any], client: WebClient, services: Services, later: AfterAck,
              **_: Any) -> None:
    try:
        existing = provision_to_edit(services, command["user_id"], rest)
    except VisitRefused as refused:
        ack(_ephemeral(said(refused)))
        return
    if rest and existing is None:
        ack(_ephemeral(f"panelbot knows no provision called {rest[:60]!r}. `/panel provision` adds one."))
        return
    ack()
    open_view(later, client, command.get("trigger_id"), provision_modal(existing))


def placement(ack: Ack, command: dict[str, Any], client: WebClient, services: Services, later: AfterAck,
              **_: Any) -> None:
    try:
        choices = provisions_for(services, command["user_id"])
    except VisitRefused as refused:
        ack(_ephemeral(said(refused)))
        return
    ack()
    open_view(later, client, command.get("trigger_id"), placement_modal(choices))


def concern(ack: Ack, rest: str, command: dict[str, Any], services: Services, **_: Any) -> None:
    if not rest:
        ack(_ephemeral("Usage: `/panel concern <provision name>`."))
        return
    try:
        visit, joined, raised_on = raise_concern(services, command["user_id"], rest)
    except VisitRefused as refused:
        ack(_ephemeral(said(refused)))
        return
    ack(_ephemeral(concern_raised_text(visit.provision, visit, joined, raised_on=raised_on)))


def visits(ack: Ack, command: dict[str, Any], services: Services, **_: Any) -> None:
    ack({**visits_message(visits_overview(services, command["user_id"])), "response_type": "ephemeral"})


SUBCOMMANDS = {Subcommand.PROVISION.value: provision, Subcommand.PLACEMENT.value: placement,
               Subcommand.CONCERN.value: concern, Subcommand.VISITS.value: visits}


def register(app: App, services: Services) -> None:
    later = after_ack(app)

    def deliver_all() -> None:
        deliver(later, services)

    @app.view(Callback.PROVISION_FORM)
    def provision_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        answers = checked_answers(ack, view)
        metadata = metadata_ints(view, 1, blank=0)
        if answers is None:
            return
        if metadata is None:
            refuse_form(ack, view)
            return
        try:
            saved, due = save_provision(
                services, body["user"]["id"], provision_id=metadata[0] or None,
                name=_text(answers.get(ProvisionField.NAME)) or "",
                provision_type=_text(answers.get(ProvisionField.TYPE)) or "",
                rating=_text(answers.get(ProvisionField.RATING)),
                rated_on=picked_day(answers.get(ProvisionField.RATED_ON)),
                contact=_text(answers.get(ProvisionField.CONTACT)))
        except VisitRefused as refused:
            ack(response_action="errors", errors={refused.field or ProvisionField.NAME: said(refused)})
            return
        ack(response_action="update", view=notice_view("Provision saved", provision_saved_text(saved, due)))
        deliver_all()

    @app.view(Callback.PLACEMENT_FORM)
    def placement_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        answers = checked_answers(ack, view)
        if answers is None:
            return
        chosen = _text(answers.get(PlacementField.PROVISION))
        try:
            name, visit = add_placement(
                services, body["user"]["id"], provision_id=row_id(chosen),
                child_reference=_text(answers.get(PlacementField.CHILD_REFERENCE)) or "",
                starts_on=picked_day(answers.get(PlacementField.STARTS_ON)),
                social_worker=_text(answers.get(PlacementField.SOCIAL_WORKER)),
                iro=_text(answers.get(PlacementField.IRO)),
                sen_officer=_text(answers.get(PlacementField.SEN_OFFICER)))
        except VisitRefused as refused:
            ack(response_action="errors", errors={refused.field or PlacementField.PROVISION: said(refused)})
            return
        text = placement_saved_text(visit.child_reference or "", name, [visit])
        ack(response_action="update", view=notice_view("Placement recorded", text))

    @app.view(Callback.PLAN_VISIT_FORM)
    def plan_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        answers = checked_answers(ack, view)
        metadata = metadata_ints(view, 1)
        if answers is None:
            return
        if metadata is None:
            refuse_form(ack, view)
            return
        try:
            planned = plan_visit(services, body["user"]["id"], metadata[0],
                                 picked_day(answers.get(PlanVisitField.DATE)),
                                 _text(answers.get(PlanVisitField.VISITOR)))
        except VisitRefused as refused:
            ack(response_action="errors", errors={refused.field or PlanVisitField.DATE: said(refused)})
            return
        when = planned.planned_on
        ack(response_action="update", view=notice_view(
            "Visit planned", f"The visit to {planned.provision} is planned for {when:%A} {when.day} {when:%B %Y}."))
        deliver_all()

    @app.action(Action.PLAN_VISIT)
    def plan_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                    respond: Respond) -> None:
        ack()
        visit_id = row_id(action.get("value"))
        try:
            if visit_id is None:
                raise VisitRefused(Refusal.VISIT_GONE)
            visit = visit_to_plan(services, body["user"]["id"], visit_id)
        except VisitRefused as refused:
            tell(later, body, client, respond, said(refused))
            return
        open_view(later, client, body.get("trigger_id"), plan_visit_modal(visit), push=bool(body.get("view")))

    @app.action(Action.VISIT_DONE)
    @app.action(Action.STEP_DONE)
    @app.action(Action.ACTION_PLAN_REQUESTED)
    @app.action(Action.ACTION_PLAN_RECEIVED)
    def visit_buttons(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                      respond: Respond) -> None:
        ack()
        user, value = body["user"]["id"], str(action.get("value", ""))
        number, _, step = value.partition(":")
        target = row_id(number)
        try:
            if target is None:
                raise ValueError("not a row id")
            if action["action_id"] == Action.VISIT_DONE:
                visit = visit_done(services, user, target)
                text = f"Recorded: the visit to {visit.provision} took place today. Next: the report to the SQAO."
            elif action["action_id"] == Action.STEP_DONE:
                visit = complete_step(services, user, target, Step(step))
                text = f"Recorded: {step.replace('_', ' ')} for the visit to {visit.provision}."
            else:
                received = action["action_id"] == Action.ACTION_PLAN_RECEIVED
                record_action_plan(services, user, target, received=received)
                text = "Recorded: the action plan is received; the visit is now due." if received else \
                    "Recorded: the action plan is requested."
        except (VisitRefused, ValueError) as refused:
            text = said(refused) if isinstance(refused, VisitRefused) else "That button no longer works."
        tell(later, body, client, respond, text)
        deliver_all()
