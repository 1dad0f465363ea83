"""Monitoring visits (seed 002): the provision, placement and plan-visit forms, `/panel visits`, the
DMs that ask for a post-visit step, for feedback before a visit and for Ofsted's action plan, and the
short answers when a provision, placement or concern is saved.

Privacy (DESIGN.md §4): a provision is an organisation and may be named; a child may not. A
placement is shown by the child's case reference alone, and the views these builders take carry
nothing else about the child. Names, contacts and `why` texts pass through `escape` before they go
into mrkdwn, so a stray `<` cannot turn into a mention.

Dates are shown with the day's name ("Wednesday 9 December 2026"); datepickers take ISO dates.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from messages.slack.format import cut, escape, long_date, mention
from messages.slack.ids import (
    VALUE,
    Action,
    Callback,
    Command,
    PlacementField,
    PlanVisitField,
    ProvisionField,
    Subcommand,
)

__all__ = [
    "CHILD_REFERENCE_MAX_LENGTH",
    "CONTACT_MAX_LENGTH",
    "MAX_PROVISION_OPTIONS",
    "MAX_STEPS_SHOWN",
    "MAX_VISITS_SHOWN",
    "NAME_MAX_LENGTH",
    "action_plan_needed_dm",
    "concern_raised_text",
    "placement_modal",
    "placement_saved_text",
    "plan_visit_modal",
    "provision_modal",
    "provision_saved_text",
    "step_assigned_dm",
    "step_value",
    "visit_planned_dm",
    "visits_message",
]

NAME_MAX_LENGTH = 200
CONTACT_MAX_LENGTH = 300
CHILD_REFERENCE_MAX_LENGTH = 50
MAX_PROVISION_OPTIONS = 100  # Slack's most options in one select
# `/panel visits`: a header, the SQAO's summary, two headings, 20 + 20 lines and two "and N more"
# lines make 47 of Slack's 50 blocks.
MAX_VISITS_SHOWN = 20
MAX_STEPS_SHOWN = 20
_SECTION_TEXT = 3000
_OPTION_TEXT = 75
_TEXT_FALLBACK = 3000

# Short names of the steps for the SQAO's one-line summary; STEP_LABELS are too long to list six of.
_STEP_SHORT = {
    Step.REPORT_TO_SQAO: "report to SQAO",
    Step.SQAO_RETURNS: "SQAO returns",
    Step.ACTIONS_DONE: "actions done",
    Step.SENT_FOR_COMMENTS: "sent for comments",
    Step.COMMENTS_BACK: "comments back",
    Step.UPLOADED: "uploaded",
}


# --- Block pieces -----------------------------------------------------------------------------------


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _section(text: str, accessory: dict[str, Any] | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, _SECTION_TEXT)}}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, _SECTION_TEXT)}]}


def _button(text: str, action: Action, value: str, **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": _plain(text), "action_id": action.value, "value": value, **extra}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(cut(text, _OPTION_TEXT)), "value": value}


def _input(
    field: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str | None = None
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field,
        "label": _plain(label),
        "element": {**element, "action_id": VALUE},
    }
    if hint:
        block["hint"] = _plain(hint)
    if optional:
        block["optional"] = True
    return block


def _modal(callback: Callback, title: str, blocks: list[dict[str, Any]], *, submit: str | None,
           private_metadata: str = "") -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback.value,
        "private_metadata": private_metadata,
        "title": _plain(title),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }
    if submit:
        view["submit"] = _plain(submit)
    return view


def _message(text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"text": cut(text, _TEXT_FALLBACK), "blocks": blocks}


def step_value(visit: VisitView, step: StepView) -> str:
    """The Done button's value for a step: "<visit id>:<step>", e.g. "12:report_to_sqao"."""
    return f"{visit.id}:{step.step.value}"


def _step_done_button(visit: VisitView, step: StepView) -> dict[str, Any]:
    return _button("Done", Action.STEP_DONE, step_value(visit, step), style="primary")


# --- Words ------------------------------------------------------------------------------------------




def _placement(visit: VisitView) -> str:
    """" — placement of case 1234567", or nothing for a visit to the provision as a whole."""
    return escape(visit_words.placement(visit))


def _why(visit: VisitView) -> str:
    """"Why: within 10 days of the issue or concern raised on …"."""
    return f"Why: {escape(visit.why)}"








# --- The provision form ------------------------------------------------------------------------------


def provision_modal(provision: ProvisionView | None) -> dict[str, Any]:
    """The form to add a provision (None) or edit one. `private_metadata` is the provision's id when
    editing, else ""; each input's block id is its ProvisionField and its action id VALUE. The type
    and rating selects' values are ProvisionType and OfstedRating values; the rating and its date
    are optional, as a new provision may not have been inspected yet."""
    type_options = [_option(label, kind.value) for kind, label in PROVISION_LABELS.items()]
    rating_options = [_option(label, rating.value) for rating, label in RATING_LABELS.items()]
    name: dict[str, Any] = {"type": "plain_text_input", "max_length": NAME_MAX_LENGTH}
    kind: dict[str, Any] = {"type": "static_select", "placeholder": _plain("Choose the type"),
                            "options": type_options}
    rating: dict[str, Any] = {"type": "static_select", "placeholder": _plain("Choose the judgement"),
                              "options": rating_options}
    rated_on: dict[str, Any] = {"type": "datepicker"}
    contact: dict[str, Any] = {"type": "plain_text_input", "max_length": CONTACT_MAX_LENGTH}
    if provision is not None:
        name["initial_value"] = cut(provision.name, NAME_MAX_LENGTH)
        kind["initial_option"] = type_options[list(PROVISION_LABELS).index(provision.provision_type)]
        if provision.rating is not None:
            rating["initial_option"] = rating_options[list(RATING_LABELS).index(OfstedRating(provision.rating))]
        if provision.rated_on is not None:
            rated_on["initial_date"] = provision.rated_on.isoformat()
        if provision.contact:
            contact["initial_value"] = cut(provision.contact, CONTACT_MAX_LENGTH)
    blocks = [
        _context("A provision is an organisation, so it may be named here. Children never are."),
        _input(ProvisionField.NAME, "Name", name),
        _input(ProvisionField.TYPE, "Type", kind),
        _input(ProvisionField.RATING, "Ofsted rating", rating, optional=True,
               hint="A new rating works out the visit it calls for."),
        _input(ProvisionField.RATED_ON, "Rated on", rated_on, optional=True,
               hint="The date of the Ofsted judgement."),
        _input(ProvisionField.CONTACT, "Provider contact", contact, optional=True,
               hint="The provider's contact: an organisation's, such as its office email or phone."),
    ]
    if provision is None:
        return _modal(Callback.PROVISION_FORM, "Add a provision", blocks, submit="Save")
    return _modal(Callback.PROVISION_FORM, "Edit a provision", blocks, submit="Save",
                  private_metadata=str(provision.id))


# --- The placement form ------------------------------------------------------------------------------


def placement_modal(provisions: Sequence[ProvisionView]) -> dict[str, Any]:
    """The form to record a placement: the provision (value: its id; the first MAX_PROVISION_OPTIONS
    in the order given), the child's case reference, the start date and, optionally, the child's
    social worker, IRO and SEN officer, who are asked for feedback before each visit. With no
    provision at all the form says to add one first and has no submit button."""
    shown = provisions[:MAX_PROVISION_OPTIONS]
    blocks: list[dict[str, Any]] = []
    if shown:
        options = [_option(provision.name, str(provision.id)) for provision in shown]
        blocks.append(_input(PlacementField.PROVISION, "Provision",
                             {"type": "static_select", "placeholder": _plain("Choose the provision"),
                              "options": options}))
        if len(provisions) > len(shown):
            blocks.append(_context(f"Showing the first {len(shown)} of {len(provisions)} provisions."))
    else:
        blocks.append(_section(
            f"There are no provisions yet: add one with `{Command.PANEL} {Subcommand.PROVISION}` first."
        ))
        return _modal(Callback.PLACEMENT_FORM, "Add a placement", blocks, submit=None)
    feedback = "Asked for feedback before each visit."
    blocks += [
        _input(PlacementField.CHILD_REFERENCE, "Child's case reference",
               {"type": "plain_text_input", "max_length": CHILD_REFERENCE_MAX_LENGTH},
               hint="The child's case reference — never their name."),
        _input(PlacementField.STARTS_ON, "Placement starts on", {"type": "datepicker"}),
        _input(PlacementField.SOCIAL_WORKER, "Child's social worker",
               {"type": "users_select", "placeholder": _plain("Choose the social worker")},
               optional=True, hint=feedback),
        _input(PlacementField.IRO, "Independent reviewing officer (IRO)",
               {"type": "users_select", "placeholder": _plain("Choose the IRO")}, optional=True, hint=feedback),
        _input(PlacementField.SEN_OFFICER, "SEN officer",
               {"type": "users_select", "placeholder": _plain("Choose the SEN officer")},
               optional=True, hint=feedback),
    ]
    return _modal(Callback.PLACEMENT_FORM, "Add a placement", blocks, submit="Save")


# --- The plan-visit form -----------------------------------------------------------------------------


def _visit_summary(visit: VisitView) -> str:
    """"*Sunrise House* (Residential home) — placement of case 1234567\\n*Initial visit*, due by …"."""
    return (
        f"*{escape(visit.provision)}* ({PROVISION_LABELS[visit.provision_type]}){_placement(visit)}\n"
        f"*{VISIT_LABELS[visit.kind]}*, due by {long_date(visit.due_on)}"
    )


def plan_visit_modal(visit: VisitView) -> dict[str, Any]:
    """The form to plan a visit: the provision, the kind of visit, why and when it is due, then the
    date (starting at the planned date, else the due date) and the visitor. `private_metadata` is
    the visit's id."""
    date_element = {"type": "datepicker", "initial_date": (visit.planned_on or visit.due_on).isoformat()}
    visitor: dict[str, Any] = {"type": "users_select", "placeholder": _plain("Choose who visits")}
    if visit.visitor:
        visitor["initial_user"] = visit.visitor
    blocks = [_section(_visit_summary(visit))]
    if visit.why.strip():
        blocks.append(_context(_why(visit)))
    blocks += [
        _input(PlanVisitField.DATE, "Date of the visit", date_element,
               hint="You will be reminded to confirm it with the provider beforehand."),
        _input(PlanVisitField.VISITOR, "Visitor", visitor,
               hint="For a placement, the child's social worker, IRO and SEN officer send them feedback."),
    ]
    return _modal(Callback.PLAN_VISIT_FORM, "Plan a visit", blocks, submit="Plan",
                  private_metadata=str(visit.id))


# --- /panel visits -----------------------------------------------------------------------------------


def _visit_line(visit: VisitView, today: date, can_plan: bool) -> dict[str, Any]:
    lines = [_visit_summary(visit)]
    if flag := visit_words.overdue(visit.due_on, today):
        lines[-1] += f" — {flag}"
    if visit.planned_on is not None:
        who = f" with {mention(visit.visitor)}" if visit.visitor else ""
        lines.append(f"Planned for {long_date(visit.planned_on)}{who}")
    if visit.state == "planned":
        button = _button("Visit done", Action.VISIT_DONE, str(visit.id))
    elif visit.state == "due" and can_plan:
        button = _button("Plan", Action.PLAN_VISIT, str(visit.id), style="primary")
    else:
        return _section("\n".join(lines))
    return _section("\n".join(lines), button)




def _step_line(visit: VisitView, step: StepView, today: date, everything: bool) -> dict[str, Any]:
    text = (
        f"*{STEP_LABELS[step.step]}* — visit to {escape(visit.provision)} "
        f"on {long_date(visit_words.visit_date(visit))} "
        f"— due {long_date(step.due_on)}{visit_words.counted(step)}"
    )
    if flag := visit_words.overdue(step.due_on, today):
        text += f" — {flag}"
    if everything:
        text += f"\nFor {mention(step.assignee)}"
    return _section(text, _step_done_button(visit, step))


def _summary(overview: VisitsOverview) -> str:
    """"Visits on time: 83%; steps on time: report to SQAO 90%, SQAO returns 100%, …"."""
    visits = visit_words.percent(overview.visits_on_time, "no visits done yet")
    shares = overview.steps_on_time or {}
    if any(share is not None for share in shares.values()):
        steps = ", ".join(
            f"{_STEP_SHORT[step]} {visit_words.percent(shares[step], 'none yet')}" for step in Step if step in shares
        )
    else:
        steps = "no steps done yet"
    return f"Visits on time: {visits}; steps on time: {steps}"


def _more(n: int, what: str) -> dict[str, Any]:
    return _context(f"and {n} more {what}")


def visits_message(overview: VisitsOverview) -> dict[str, Any]:
    """`/panel visits` (the handler adds `response_type: ephemeral`): the visits not yet done, in the
    order given, each flagged when overdue, with Plan (a due visit, in the officers' view: only they
    plan) or Visit done (a planned one);
    then the open steps after visits, each with Done. The SQAO's view (`overview.everything`) starts
    with the share of visits and of each step done on time, and names whose each step is. At most
    MAX_VISITS_SHOWN visits and MAX_STEPS_SHOWN steps are listed, then "and N more"."""
    today = overview.today
    blocks: list[dict[str, Any]] = [{"type": "header", "text": _plain("Monitoring visits")}]
    if overview.everything:
        blocks.append(_section(_summary(overview)))
    if not overview.visits and not overview.steps:
        text = "Nothing due for anyone." if overview.everything else "Nothing due for you."
        blocks.append(_section(text))
        return _message(text, blocks)

    if overview.visits:
        overdue = sum(1 for visit in overview.visits if visit.due_on < today)
        heading = f"*Visits due ({len(overview.visits)}"
        heading += f", {overdue} overdue)*" if overdue else ")*"
        blocks.append(_section(heading))
        blocks += [_visit_line(visit, today, overview.everything) for visit in overview.visits[:MAX_VISITS_SHOWN]]
        if len(overview.visits) > MAX_VISITS_SHOWN:
            blocks.append(_more(len(overview.visits) - MAX_VISITS_SHOWN, "visits"))
    if overview.steps:
        blocks.append(_section(f"*Steps after visits ({len(overview.steps)})*"))
        blocks += [
            _step_line(visit, step, today, overview.everything) for visit, step in overview.steps[:MAX_STEPS_SHOWN]
        ]
        if len(overview.steps) > MAX_STEPS_SHOWN:
            blocks.append(_more(len(overview.steps) - MAX_STEPS_SHOWN, "steps"))

    counts = []
    if overview.visits:
        counts.append("1 visit" if len(overview.visits) == 1 else f"{len(overview.visits)} visits")
    if overview.steps:
        counts.append("1 step" if len(overview.steps) == 1 else f"{len(overview.steps)} steps")
    text = " and ".join(counts) + (" due" if overview.everything else " due for you")
    return _message(text, blocks)


# --- DMs ---------------------------------------------------------------------------------------------


def step_assigned_dm(visit: VisitView, step: StepView) -> dict[str, Any]:
    """The DM to whoever a post-visit step now belongs to: the step, its deadline and a Done button
    (value "<visit id>:<step>")."""
    text = (
        f"Next for the monitoring visit to {escape(visit.provision)} ({long_date(visit_words.visit_date(visit))}): "
        f"{STEP_LABELS[step.step]} — due {long_date(step.due_on)}{visit_words.counted(step)}"
    )
    blocks = [_section(text)]
    if visit.child_reference:
        blocks.append(_context(f"Placement of case {escape(visit.child_reference)}"))
    blocks.append({"type": "actions", "elements": [_step_done_button(visit, step)]})
    return _message(text, blocks)


def visit_planned_dm(visit: VisitView, *, to: str, confirm_by: date | None = None) -> dict[str, Any]:
    """The DM when a visit is planned. To the visitor (`to == visit.visitor`): confirm the visit with
    the provider by `confirm_by` (or now, without it). To anyone else (the child's social worker,
    IRO or SEN officer): send feedback about the placement to the visitor before the visit.

    Raises ValueError for a visit that is not planned (no date or no visitor)."""
    if visit.planned_on is None or visit.visitor is None:
        raise ValueError(f"visit {visit.id} is not planned: it needs a date and a visitor")
    provision, on = escape(visit.provision), long_date(visit.planned_on)
    if to == visit.visitor:
        by = f"by {long_date(confirm_by)}" if confirm_by else "now"
        text = (
            f"You are visiting {provision} on {on} ({VISIT_LABELS[visit.kind]}). "
            f"Please confirm the visit with the provider {by}."
        )
        details = (
            "Send the date and time of the visit, who is visiting and the documents and files needed, "
            "and ask for the pre-visit provider form."
        )
        blocks = [_section(text)]
        if visit.child_reference:
            blocks.append(_context(f"Placement of case {escape(visit.child_reference)}"))
        blocks.append(_context(details))
        if visit.why.strip():
            blocks.append(_context(_why(visit)))
        return _message(text, blocks)
    about = f"the placement of case {escape(visit.child_reference)}" if visit.child_reference else "the placement"
    text = (
        f"A monitoring visit to {provision} is planned for {on}. Please send your feedback about "
        f"{about} to {mention(visit.visitor)} before then."
    )
    return _message(text, [_section(text)])


def action_plan_needed_dm(provision: ProvisionView, why: str) -> dict[str, Any]:
    """The DM to the SQAO when a provision is judged Inadequate or Requires improvement: request
    Ofsted's action plan, with Requested and Received buttons (value: the provision's id). Once the
    request is recorded only Received is left; once the plan is received, no button."""
    name = escape(provision.name)
    rated = visit_words.rating_words(provision)
    text = f"Please request Ofsted's action plan for {name}" + (f" ({rated})." if rated else ".")
    blocks = [_section(f"*{text}*")]
    if why.strip():
        blocks.append(_section(visit_words.sentence(escape(why))))
    value = str(provision.id)
    buttons = []
    if provision.action_plan_received_on is not None:
        blocks.append(_context(f"Action plan received {long_date(provision.action_plan_received_on)}."))
    elif provision.action_plan_requested_on is not None:
        blocks.append(_context(f"Action plan requested {long_date(provision.action_plan_requested_on)}."))
        buttons = [_button("Received", Action.ACTION_PLAN_RECEIVED, value, style="primary")]
    else:
        buttons = [
            _button("Requested", Action.ACTION_PLAN_REQUESTED, value, style="primary"),
            _button("Received", Action.ACTION_PLAN_RECEIVED, value),
        ]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return _message(text, blocks)


# --- Answers -----------------------------------------------------------------------------------------


def provision_saved_text(provision: ProvisionView, due: Sequence[VisitView]) -> str:
    """"Sunrise House is saved: Residential home, rated Good on Monday 2 November 2026. Visit after a
    Good or Outstanding Ofsted judgement due by Monday 16 November 2026." — with each visit the
    change made due, or "No visit is due from this."."""
    about = [PROVISION_LABELS[provision.provision_type]]
    if rated := visit_words.rating_words(provision):
        about.append(rated)
    return f"{escape(provision.name)} is saved: {', '.join(about)}.{visit_words.due_words(due)}"


def placement_saved_text(child_reference: str, provision: str, due: Sequence[VisitView]) -> str:
    """"Placement recorded: case 1234567 at Sunrise House. Initial visit due by Thursday 3 December
    2026." — the child by case reference only."""
    return f"Placement recorded: case {escape(child_reference)} at {escape(provision)}.{visit_words.due_words(due)}"


def concern_raised_text(provision: str, visit: VisitView, joined: bool, *, raised_on: date | None = None) -> str:
    """The answer to `/panel concern <provision>`. A second concern while one is open joins it
    (`joined`); `raised_on` is when the open one was raised (ProvisionView.open_concern_since)."""
    name, due = escape(provision), long_date(visit.due_on)
    if not joined:
        return f"Concern recorded for {name}: a visit is due by {due}."
    raised = f" (raised {long_date(raised_on)})" if raised_on else ""
    return f"There is already an open concern for {name}{raised}: this one joins it; the visit is still due by {due}."
