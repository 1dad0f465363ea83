"""Deciding in the thread: the decision buttons (on the card, and in the team manager's DM), the
decision form, and the refusals. Permission is checked by the service both when the form opens
and when it is submitted."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.domain.decisions import DecisionFormError, Outcome, read_decision
from bot.services import Services
from bot.services.decisions import AlreadyDecided, DecisionRefused, NotAllowed, decide, start_decision
from handlers.slack.forms import checked_answers, metadata_ints, refuse_form, row_id
from handlers.slack.replies import after_ack, deliver, open_view, tell
from messages.slack.decisions import already_decided, decision_modal, not_allowed
from messages.slack.format import said, said_each
from messages.slack.ids import DECIDE_PREFIX, Callback, DecisionField

logger = logging.getLogger("panelbot.decisions")


def _already(refused: AlreadyDecided) -> str:
    if refused.decision is None:
        return f"Case {refused.reference} has moved on since this was shown: open it again to see where it is."
    return already_decided(refused.reference, refused.decision)


def _decision_metadata(raw: object) -> tuple[int, int, Outcome] | None:
    """"<case id>:<round>:<outcome>" as `decision_modal` writes it; None for anything else."""
    parts = raw.split(":") if isinstance(raw, str) else []
    case_id, round_ = (row_id(parts[0]), row_id(parts[1])) if len(parts) == 3 else (None, None)
    if case_id is None or round_ is None or parts[2] not in set(Outcome):
        return None
    return case_id, round_, Outcome(parts[2])


def register(app: App, services: Services) -> None:
    later = after_ack(app)

    @app.action(re.compile(f"^{DECIDE_PREFIX}"))
    def decision_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                        respond: Respond) -> None:
        ack()
        user = body["user"]["id"]
        written = metadata_ints({"private_metadata": action.get("value")}, 2)  # "<case id>:<round>"
        outcome = action["action_id"].removeprefix(DECIDE_PREFIX)
        if written is None or outcome not in set(Outcome):
            tell(later, body, client, respond, "That button is out of date: open the case again.")
            return
        (case_id, round_), outcome = written, Outcome(outcome)
        try:
            case = start_decision(services, case_id, round_, outcome, user)
        except NotAllowed as refused:
            tell(later, body, client, respond, not_allowed(said(refused)))
            return
        except AlreadyDecided as refused:
            tell(later, body, client, respond, _already(refused))
            return
        except DecisionRefused as refused:
            tell(later, body, client, respond, said(refused))
            return
        open_view(later, client, body.get("trigger_id"), decision_modal(case, outcome), push=bool(body.get("view")))

    @app.view(Callback.DECISION_FORM)
    def decision_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        answers = checked_answers(ack, view)
        if answers is None:
            return
        written = _decision_metadata(view.get("private_metadata"))
        if written is None:
            refuse_form(ack, view)
            return
        case_id, round_, outcome = written
        try:
            form = read_decision(outcome, answers)
            decided = decide(services, case_id, round_, form, body["user"]["id"])
        except DecisionFormError as problems:
            ack(response_action="errors", errors=said_each(problems.errors))
            return
        except (NotAllowed, DecisionRefused) as refused:
            ack(response_action="errors", errors={DecisionField.REASON: said(refused)})
            return
        except AlreadyDecided as refused:
            ack(response_action="errors", errors={DecisionField.REASON: _already(refused)})
            return
        ack()
        deliver(later, services, decided.case.id)
