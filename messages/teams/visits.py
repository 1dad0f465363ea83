"""Monitoring visits (seed 002) in Teams: "visits", the message asking for a post-visit step, the
visit-planned messages, the request for Ofsted's action plan, the provision, placement and plan-visit
forms, and the short answers when they are saved. The Teams counterpart of messages/slack/visits.py.

Privacy (DESIGN.md §4): a provision is an organisation and may be named; a child may not. A placement
is shown by the child's case reference alone, and the views these builders take carry nothing else
about the child.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.domain.visits import (
    PROVISION_LABELS,
    RATING_LABELS,
    STEP_LABELS,
    VISIT_LABELS,
    OfstedRating,
    ProvisionView,
    Step,
    StepView,
    VisitsOverview,
    VisitView,
)
from messages import visit_words
from messages.teams.elements import (
    NO_NAMES,
    Card,
    Names,
    action_set,
    bold,
    card,
    choice_input,
    date_input,
    execute,
    fit,
    heading,
    para,
    person,
    person_input,
    separator,
    text_input,
)
from messages.teams.help import typed
from messages.teams.ids import Command, Key, PlacementInput, PlanVisitInput, ProvisionInput, Verb
from messages.words import long_date

__all__ = [
    "CHILD_REFERENCE_MAX_LENGTH",
    "CONTACT_MAX_LENGTH",
    "MAX_PROVISION_CHOICES",
    "MAX_SHOWN",
    "NAME_MAX_LENGTH",
    "action_plan_needed",
    "action_plan_text",
    "concern_raised_text",
    "placement_form",
    "placement_saved_text",
    "plan_visit_form",
    "provision_form",
    "provision_saved_text",
    "step_assigned",
    "step_done_text",
    "visit_done_text",
    "visit_planned",
    "visit_planned_text",
    "visits_card",
]

NAME_MAX_LENGTH = 200
CONTACT_MAX_LENGTH = 300
CHILD_REFERENCE_MAX_LENGTH = 50
MAX_PROVISION_CHOICES = 100
MAX_SHOWN = 20  # visits, and steps, "visits" lists before "and N more" (fewer if they do not fit)

_STEP_SHORT = {
    Step.REPORT_TO_SQAO: "report to SQAO",
    Step.SQAO_RETURNS: "SQAO returns",
    Step.ACTIONS_DONE: "actions done",
    Step.SENT_FOR_COMMENTS: "sent for comments",
    Step.COMMENTS_BACK: "comments back",
    Step.UPLOADED: "uploaded",
}


# --- Words ------------------------------------------------------------------------------------------






def _summary_blocks(visit: VisitView) -> list[dict[str, Any]]:
    return [
        para(bold(visit.provision), f" ({PROVISION_LABELS[visit.provision_type]}){visit_words.placement(visit)}"),
        para(bold(VISIT_LABELS[visit.kind]), f", due by {long_date(visit.due_on)}", tight=True),
    ]


def _step_done(visit: VisitView, step: StepView) -> dict[str, Any]:
    return execute("Done", Verb.STEP_DONE, {Key.VISIT: visit.id, Key.STEP: step.step.value}, style="positive")


# --- "visits" --------------------------------------------------------------------------------------------


def _visit_blocks(visit: VisitView, today: date, can_plan: bool, names: Names) -> list[dict[str, Any]]:
    blocks = _summary_blocks(visit)
    if flag := visit_words.overdue(visit.due_on, today):
        blocks.append(para(flag, color="attention", tight=True))
    if visit.planned_on is not None:
        who = f" with {person(visit.visitor, names)}" if visit.visitor else ""
        blocks.append(para(f"Planned for {long_date(visit.planned_on)}{who}", tight=True))
    if visit.state == "planned":
        blocks.append(action_set([execute("Visit done", Verb.VISIT_DONE, {Key.VISIT: visit.id})]))
    elif visit.state == "due" and can_plan:
        blocks.append(action_set([execute("Plan", Verb.PLAN_VISIT, {Key.VISIT: visit.id}, style="positive")]))
    return blocks


def _step_blocks(visit: VisitView, step: StepView, today: date, everything: bool,
                 names: Names) -> list[dict[str, Any]]:
    text = (f" — visit to {visit.provision} on {long_date(visit_words.visit_date(visit))} "
            f"— due {long_date(step.due_on)}{visit_words.counted(step)}")
    blocks = [para(bold(STEP_LABELS[step.step]), text)]
    if flag := visit_words.overdue(step.due_on, today):
        blocks.append(para(flag, color="attention", tight=True))
    if everything:
        blocks.append(para(f"For {person(step.assignee, names)}", tight=True))
    blocks.append(action_set([_step_done(visit, step)]))
    return blocks


def _summary(overview: VisitsOverview) -> str:
    visits = visit_words.percent(overview.visits_on_time, "no visits done yet")
    shares = overview.steps_on_time or {}
    if any(share is not None for share in shares.values()):
        steps = ", ".join(
            f"{_STEP_SHORT[step]} {visit_words.percent(shares[step], 'none yet')}" for step in Step if step in shares
        )
    else:
        steps = "no steps done yet"
    return f"Visits on time: {visits}; steps on time: {steps}"


def visits_card(overview: VisitsOverview, names: Names = NO_NAMES, *, notice: str | None = None) -> Card:
    """"visits": the visits not yet done, in the order given, each flagged when overdue, with Plan (a
    due visit, in the officers' view) or Visit done (a planned one); then the open steps after visits,
    each with Done. The SQAO's view (`overview.everything`) starts with the share of visits and steps
    done on time, and names whose each step is. At most MAX_SHOWN of each, then "and N more".
    `notice`: what a button just recorded, shown first (the card is the answer to the press)."""
    today = overview.today
    head: list[dict[str, Any]] = [heading("Monitoring visits")]
    if notice:
        head.append(para("✓ ", notice, color="good"))
    if overview.everything:
        head.append(para(_summary(overview)))
    if not overview.visits and not overview.steps:
        text = "Nothing due for anyone." if overview.everything else "Nothing due for you."
        return card([*head, para(text)], summary=text)
    counts = []
    if overview.visits:
        counts.append("1 visit" if len(overview.visits) == 1 else f"{len(overview.visits)} visits")
    if overview.steps:
        counts.append("1 step" if len(overview.steps) == 1 else f"{len(overview.steps)} steps")
    text = " and ".join(counts) + (" due" if overview.everything else " due for you")

    def build(most: int) -> Card:
        body = list(head)
        if overview.visits:
            overdue = sum(1 for visit in overview.visits if visit.due_on < today)
            body.append(para(bold(f"Visits due ({len(overview.visits)}" + (f", {overdue} overdue)" if overdue
                                                                            else ")"))))
            for visit in overview.visits[:most]:
                body += _visit_blocks(visit, today, overview.everything, names)
            if len(overview.visits) > most:
                body.append(para(f"and {len(overview.visits) - most} more visits", subtle=True))
        if overview.steps:
            body += [separator(), para(bold(f"Steps after visits ({len(overview.steps)})"))]
            for visit, step in overview.steps[:most]:
                body += _step_blocks(visit, step, today, overview.everything, names)
            if len(overview.steps) > most:
                body.append(para(f"and {len(overview.steps) - most} more steps", subtle=True))
        return card(body, summary=text)

    return fit(build, MAX_SHOWN)


# --- Personal chat --------------------------------------------------------------------------------------


def step_assigned(visit: VisitView, step: StepView) -> Card:
    """To whoever a post-visit step now belongs to: the step, its deadline and Done."""
    text = (f"Next for the monitoring visit to {visit.provision} ({long_date(visit_words.visit_date(visit))}): "
            f"{STEP_LABELS[step.step]} — due {long_date(step.due_on)}{visit_words.counted(step)}")
    body = [para(text)]
    if visit.child_reference:
        body.append(para(f"Placement of case {visit.child_reference}", subtle=True))
    return card(body, [_step_done(visit, step)], summary=text)


def visit_planned(visit: VisitView, *, to: str, confirm_by: date | None = None, names: Names = NO_NAMES) -> Card:
    """When a visit is planned. To the visitor (`to == visit.visitor`): confirm the visit with the
    provider by `confirm_by` (or now). To anyone else (the child's social worker, IRO or SEN officer):
    send feedback about the placement to the visitor before the visit.

    Raises ValueError for a visit that is not planned (no date or no visitor)."""
    if visit.planned_on is None or visit.visitor is None:
        raise ValueError(f"visit {visit.id} is not planned: it needs a date and a visitor")
    on = long_date(visit.planned_on)
    if to == visit.visitor:
        by = f"by {long_date(confirm_by)}" if confirm_by else "now"
        text = (f"You are visiting {visit.provision} on {on} ({VISIT_LABELS[visit.kind]}). "
                f"Please confirm the visit with the provider {by}.")
        body = [para(text)]
        if visit.child_reference:
            body.append(para(f"Placement of case {visit.child_reference}", subtle=True))
        body.append(para("Send the date and time of the visit, who is visiting and the documents and files needed, "
                         "and ask for the pre-visit provider form.", subtle=True))
        if visit.why.strip():
            body.append(para(f"Why: {visit.why}", subtle=True))
        return card(body, summary=text)
    about = f"the placement of case {visit.child_reference}" if visit.child_reference else "the placement"
    text = (f"A monitoring visit to {visit.provision} is planned for {on}. Please send your feedback about "
            f"{about} to {person(visit.visitor, names)} before then.")
    return card([para(text)], summary=text)


def action_plan_needed(provision: ProvisionView, why: str) -> Card:
    """To the SQAO when a provision is judged Inadequate or Requires improvement: request Ofsted's
    action plan, with Requested and Received (data: the provision's id). Once the request is recorded
    only Received is left; once the plan is received, no button."""
    rated = visit_words.rating_words(provision)
    text = f"Please request Ofsted's action plan for {provision.name}" + (f" ({rated})." if rated else ".")
    body = [para(bold(text))]
    if why.strip():
        body.append(para(visit_words.sentence(why)))
    data = {Key.PROVISION_ID: provision.id}
    actions = []
    if provision.action_plan_received_on is not None:
        body.append(para(f"Action plan received {long_date(provision.action_plan_received_on)}.", subtle=True))
    elif provision.action_plan_requested_on is not None:
        body.append(para(f"Action plan requested {long_date(provision.action_plan_requested_on)}.", subtle=True))
        actions = [execute("Received", Verb.ACTION_PLAN_RECEIVED, data, style="positive")]
    else:
        actions = [execute("Requested", Verb.ACTION_PLAN_REQUESTED, data, style="positive"),
                   execute("Received", Verb.ACTION_PLAN_RECEIVED, data)]
    return card(body, actions, summary=text)


# --- Forms ------------------------------------------------------------------------------------------------


def _form_actions(submit: str, verb: Verb, data: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [execute(submit, verb, data, style="positive"), execute("Cancel", Verb.CLOSE_FORM)]


def provision_form(provision: ProvisionView | None, *, errors: Mapping[str, str] | None = None,
                   answers: Mapping[str, str] | None = None, editing: int | None = None) -> Card:
    """The form to add a provision (None) or edit one. Submit: Verb.SAVE_PROVISION (with the
    provision's id when editing); the inputs are ProvisionInput, the type and rating answering
    ProvisionType and OfstedRating values. The rating and its date are optional: a new provision may
    not have been inspected yet. A form refused comes back with `answers` (what was typed, by input
    id) in place of the provision's values, and `editing` (the provision's id) when it edits one."""
    errors = errors or {}
    kinds = [(label, kind.value) for kind, label in PROVISION_LABELS.items()]
    ratings = [(label, rating.value) for rating, label in RATING_LABELS.items()]
    p = provision
    if answers is None:
        answers = {ProvisionInput.NAME.value: p.name, ProvisionInput.TYPE.value: p.provision_type.value,
                   ProvisionInput.RATING.value: OfstedRating(p.rating).value if p.rating is not None else "",
                   ProvisionInput.RATED_ON.value: p.rated_on.isoformat() if p.rated_on else "",
                   ProvisionInput.CONTACT.value: p.contact or ""} if p else {}
    editing = p.id if p else editing
    body = [
        heading("Edit a provision" if editing else "Add a provision"),
        para("A provision is an organisation, so it may be named here. Children never are.", subtle=True),
        *text_input(ProvisionInput.NAME, "Name", required=True, max_length=NAME_MAX_LENGTH,
                    value=answers.get(ProvisionInput.NAME), error=errors.get(ProvisionInput.NAME)),
        *choice_input(ProvisionInput.TYPE, "Type", kinds, required=True, placeholder="Choose the type",
                      value=answers.get(ProvisionInput.TYPE), error=errors.get(ProvisionInput.TYPE)),
        *choice_input(ProvisionInput.RATING, "Ofsted rating", ratings, required=False,
                      placeholder="Choose the judgement", value=answers.get(ProvisionInput.RATING),
                      hint="A new rating works out the visit it calls for.", error=errors.get(ProvisionInput.RATING)),
        *date_input(ProvisionInput.RATED_ON, "Rated on", required=False, value=answers.get(ProvisionInput.RATED_ON),
                    hint="The date of the Ofsted judgement.", error=errors.get(ProvisionInput.RATED_ON)),
        *text_input(ProvisionInput.CONTACT, "Provider contact", required=False, max_length=CONTACT_MAX_LENGTH,
                    value=answers.get(ProvisionInput.CONTACT),
                    hint="The provider's contact: an organisation's, such as its office email or phone.",
                    error=errors.get(ProvisionInput.CONTACT)),
    ]
    data = {Key.PROVISION_ID: editing} if editing else {}
    return card(body, _form_actions("Save", Verb.SAVE_PROVISION, data),
                summary="Edit a provision" if editing else "Add a provision")


def placement_form(provisions: Sequence[ProvisionView], *, people: Sequence[str] = (), names: Names = NO_NAMES,
                   errors: Mapping[str, str] | None = None, answers: Mapping[str, str] | None = None) -> Card:
    """The form to record a placement: the provision (value: its id; the first MAX_PROVISION_CHOICES in
    the order given), the child's case reference, the start date and, optionally, the child's social
    worker, IRO and SEN officer (from `people`, or by work e-mail), who are asked for feedback before
    each visit. Submit: Verb.SAVE_PLACEMENT. With no provision at all the form says to add one first
    and cannot be saved. A form refused comes back with `answers`: what was typed, by input id."""
    errors, answers = errors or {}, answers or {}
    shown = provisions[:MAX_PROVISION_CHOICES]
    if not shown:
        return card([heading("Add a placement"),
                     para(f"There are no provisions yet: add one with {typed(Command.PROVISION)} first.")],
                    [execute("Close", Verb.CLOSE_FORM)], summary="Add a placement")
    feedback = "Asked for feedback before each visit."
    body: list[dict[str, Any]] = [
        heading("Add a placement"),
        *choice_input(PlacementInput.PROVISION, "Provision", [(p.name, str(p.id)) for p in shown], required=True,
                      placeholder="Choose the provision", value=answers.get(PlacementInput.PROVISION),
                      error=errors.get(PlacementInput.PROVISION)),
    ]
    if len(provisions) > len(shown):
        body.append(para(f"Showing the first {len(shown)} of {len(provisions)} provisions.", subtle=True))
    body += [
        *text_input(PlacementInput.CHILD_REFERENCE, "Child's case reference", required=True,
                    max_length=CHILD_REFERENCE_MAX_LENGTH, hint="The child's case reference — never their name.",
                    value=answers.get(PlacementInput.CHILD_REFERENCE),
                    error=errors.get(PlacementInput.CHILD_REFERENCE)),
        *date_input(PlacementInput.STARTS_ON, "Placement starts on", required=True,
                    value=answers.get(PlacementInput.STARTS_ON), error=errors.get(PlacementInput.STARTS_ON)),
        *person_input(PlacementInput.SOCIAL_WORKER, "Child's social worker", people, names, required=False,
                      value=answers.get(PlacementInput.SOCIAL_WORKER), hint=feedback,
                      error=errors.get(PlacementInput.SOCIAL_WORKER)),
        *person_input(PlacementInput.IRO, "Independent reviewing officer (IRO)", people, names, required=False,
                      value=answers.get(PlacementInput.IRO), hint=feedback, error=errors.get(PlacementInput.IRO)),
        *person_input(PlacementInput.SEN_OFFICER, "SEN officer", people, names, required=False,
                      value=answers.get(PlacementInput.SEN_OFFICER), hint=feedback,
                      error=errors.get(PlacementInput.SEN_OFFICER)),
    ]
    return card(body, _form_actions("Save", Verb.SAVE_PLACEMENT, {}), summary="Add a placement")


def plan_visit_form(visit: VisitView, *, visitors: Sequence[str] = (), names: Names = NO_NAMES,
                    errors: Mapping[str, str] | None = None, answers: Mapping[str, str] | None = None) -> Card:
    """The form to plan a visit: the provision, the kind of visit, why and when it is due, then the
    date (starting at the planned date, else the due date) and the visitor (from `visitors`, the
    placement commissioning officers, or by work e-mail). Submit: Verb.SAVE_VISIT_PLAN with the visit.
    A form refused comes back with `answers`: what was typed, by input id."""
    errors = errors or {}
    if answers is None:
        answers = {PlanVisitInput.DATE.value: (visit.planned_on or visit.due_on).isoformat(),
                   PlanVisitInput.VISITOR.value: visit.visitor or ""}
    body = [heading("Plan a visit"), *_summary_blocks(visit)]
    if visit.why.strip():
        body.append(para(f"Why: {visit.why}", subtle=True))
    body += [
        *date_input(PlanVisitInput.DATE, "Date of the visit", required=True, value=answers.get(PlanVisitInput.DATE),
                    hint="You will be reminded to confirm it with the provider beforehand.",
                    error=errors.get(PlanVisitInput.DATE)),
        *person_input(PlanVisitInput.VISITOR, "Visitor", visitors, names, required=True,
                      value=answers.get(PlanVisitInput.VISITOR),
                      hint="For a placement, the child's social worker, IRO and SEN officer send them feedback.",
                      error=errors.get(PlanVisitInput.VISITOR), needed="Choose who visits."),
    ]
    return card(body, _form_actions("Plan", Verb.SAVE_VISIT_PLAN, {Key.VISIT: visit.id}),
                summary=f"Plan a visit to {visit.provision}")


# --- Answers -----------------------------------------------------------------------------------------


def provision_saved_text(provision: ProvisionView, due: Sequence[VisitView]) -> str:
    """"Sunrise House is saved: Residential home, rated Good on …. Visit after … due by …."."""
    about = [PROVISION_LABELS[provision.provision_type]]
    if rated := visit_words.rating_words(provision):
        about.append(rated)
    return f"{provision.name} is saved: {', '.join(about)}.{visit_words.due_words(due)}"


def placement_saved_text(child_reference: str, provision: str, due: Sequence[VisitView]) -> str:
    """"Placement recorded: case 1234567 at Sunrise House. Initial visit due by …." — the child by case
    reference only."""
    return f"Placement recorded: case {child_reference} at {provision}.{visit_words.due_words(due)}"


def concern_raised_text(provision: str, visit: VisitView, joined: bool, *, raised_on: date | None = None) -> str:
    """The answer to "concern <provision>"; a second concern while one is open joins it."""
    due = long_date(visit.due_on)
    if not joined:
        return f"Concern recorded for {provision}: a visit is due by {due}."
    raised = f" (raised {long_date(raised_on)})" if raised_on else ""
    return (f"There is already an open concern for {provision}{raised}: this one joins it; the visit is still due "
            f"by {due}.")


def _next_step(visit: VisitView) -> str:
    """" Next: <step>, due <date>." for the visit's open step, or nothing when the chain is finished."""
    open_steps = [step for step in visit.steps if step.finished_on is None]
    if not open_steps:
        return " That was the last step after the visit."
    step = open_steps[-1]
    return f" Next: {STEP_LABELS[step.step]}, due {long_date(step.due_on)}{visit_words.counted(step)}."


def visit_done_text(visit: VisitView) -> str:
    """"Recorded: the visit to Sunrise House took place on …. Next: …" — what Visit done recorded."""
    on = long_date(visit.done_on) if visit.done_on else "today"
    return f"Recorded: the visit to {visit.provision} took place on {on}.{_next_step(visit)}"


def step_done_text(visit: VisitView, step: Step) -> str:
    """"Recorded: <step> for the visit to Sunrise House. Next: …" — what a step's Done recorded."""
    return f"Recorded: {STEP_LABELS[step]} for the visit to {visit.provision}.{_next_step(visit)}"


def visit_planned_text(visit: VisitView, names: Names = NO_NAMES) -> str:
    """"The visit to Sunrise House is planned for … with Lee Morgan." — what the plan-visit form saved."""
    on = long_date(visit.planned_on) if visit.planned_on else "the date given"
    who = f" with {person(visit.visitor, names)}" if visit.visitor else ""
    return f"The visit to {visit.provision} is planned for {on}{who}."


def action_plan_text(visit: VisitView | None, *, received: bool) -> str:
    """What Requested or Received recorded about Ofsted's action plan (`visit`: the visit receiving it
    made due)."""
    if not received:
        return "Recorded: the action plan is requested. Press Received when it comes."
    if visit is None:
        return "Recorded: the action plan is received."
    return f"Recorded: the action plan for {visit.provision} is received; the visit after it is due by " \
           f"{long_date(visit.due_on)}."
