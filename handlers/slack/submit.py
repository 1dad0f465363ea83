"""Submitting a case: `/panel submit` and the global shortcut open the form; its submission is
validated in the ack (inline errors keep what was typed), stored by one service call, and the
form turns into a confirmation. The card and DMs go out right after, from the outbox."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.domain.submission import FormErrors, parse_submission
from bot.services import Services
from bot.services.cases import SubmissionProblem, submit_case
from handlers.slack.errors import new_incident_id
from handlers.slack.forms import checked_answers
from handlers.slack.replies import AfterAck, after_ack, deliver, open_view
from messages.slack.format import said, said_each
from messages.slack.ids import Callback, Subcommand, SubmitField
from messages.slack.submit import submit_modal, submitted_view

logger = logging.getLogger("panelbot.submit")

NOT_SAVED = ("panelbot could not save this just now, so nothing was saved. Press Submit again in a moment "
             "(incident {incident}).")


def open_form(ack: Ack, client: WebClient, services: Services, later: AfterAck, trigger_id: str | None) -> None:
    ack()
    open_view(later, client, trigger_id, submit_modal(services.policy))


def submit_subcommand(ack: Ack, command: dict[str, Any], client: WebClient, services: Services, later: AfterAck,
                      **_: Any) -> None:
    open_form(ack, client, services, later, command.get("trigger_id"))


SUBCOMMANDS = {Subcommand.SUBMIT.value: submit_subcommand}


def register(app: App, services: Services) -> None:
    later = after_ack(app)

    @app.shortcut(Callback.SUBMIT_SHORTCUT)
    def submit_shortcut(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        open_form(ack, client, services, later, body.get("trigger_id"))

    @app.view(Callback.SUBMIT_FORM)
    def submit_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        submitter = body["user"]["id"]
        answers = checked_answers(ack, view)
        if answers is None:
            return
        try:
            submission = parse_submission(answers, policy=services.policy, submitter=submitter)
            result = submit_case(services, submission, key=f"submit:{view.get('id')}")
        except FormErrors as problems:
            ack(response_action="errors", errors=said_each(problems.errors))
            return
        except SubmissionProblem as problem:
            ack(response_action="errors", errors={problem.field: said(problem)})
            return
        except SQLAlchemyError:
            incident = new_incident_id()
            logger.exception("incident %s: could not store a submission", incident)
            ack(response_action="errors", errors={SubmitField.REFERENCE: NOT_SAVED.format(incident=incident)})
            return
        ack(response_action="update", view=submitted_view(result.case, corrected=result.corrected))
        deliver(later, services, result.case.id)  # what is not sent stays in the outbox for the worker
