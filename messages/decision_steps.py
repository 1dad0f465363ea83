"""The next steps after a decision that both surfaces say, as plain text with commands as tokens
(bot.markup): Slack escapes and words them (messages/slack/decisions.py), Teams words them in a card
(messages/teams/decisions.py). The information a decider asked for is the only typed text here; it goes
to the worker's own messages, never to a channel.
"""

from __future__ import annotations

from bot.domain.cases import STAGE_LABELS, CaseView, Stage
from bot.domain.decisions import DecisionView, Outcome
from bot.domain.routing import Service
from bot.domain.text import MAX_TEXT
from bot.markup import command
from messages.words import cut, weekly


def stage_after(case: CaseView, decision: DecisionView) -> Stage:
    return Stage(decision.stage_after or case.stage)


def next_steps(case: CaseView, decision: DecisionView, *, limit: int = MAX_TEXT) -> list[str]:
    """What the worker does now (seed 000, stage 4 and 5), as plain sentences with the command as a token
    (bot.markup); `limit` shortens the information a decider asked for."""
    outcome = Outcome(decision.outcome)
    stage = stage_after(case, decision)
    if outcome in (Outcome.APPROVED, Outcome.APPROVED_WITH_CHANGES):
        budget = decision.amended_weekly if decision.amended_weekly is not None else case.proposed_weekly
        if case.service is Service.CHILDREN_SEND:  # seed 000, stage 4
            steps = [
                "Support planning may start now.",
                f"The practice lead signs off the support plan against the agreed budget of {weekly(budget)}.",
                "Tell the child's family the decision and update the case record.",
            ]
        else:
            steps = [
                f"Support planning may start now, within the agreed budget of {weekly(budget)}.",
                "Tell the person the decision and update the case record.",
            ]
        where = case.follow_on_name or "panel"
        if stage is Stage.AWAITING_ENDORSEMENT:
            steps.append(f"It goes to the next {where} for endorsement.")
        elif stage is Stage.AWAITING_RATIFICATION:
            steps.append(f"It goes to the next {where} for ratification.")
        return steps
    if outcome is Outcome.DEFERRED:
        steps = [f"What is needed: {cut(decision.info_needed, limit)}"] if decision.info_needed else []
        return [*steps, f"Resubmit the same case with {command('submit')} (same case reference) when you have it: "
                        "its history is kept."]
    if outcome is Outcome.DECLINED:
        return ["Talk to your team manager about next steps."]
    if outcome is Outcome.ENDORSED:
        steps = ["The panel endorsed the decision made out of panel: nothing more is needed from you."]
        if stage is Stage.RATIFIED:
            steps.append("The endorsement ratifies the change to the package too.")
        elif stage is Stage.AWAITING_RATIFICATION:
            steps.append("It goes to the next panel for ratification.")
        return steps
    if outcome is Outcome.RATIFIED:
        return ["The panel ratified the change to the package: nothing more is needed from you."]
    if outcome is Outcome.NOT_ENDORSED:
        return ["The panel did not endorse the decision made out of panel.",
                "Talk to your team manager about next steps."]
    if outcome is Outcome.NOT_RATIFIED:
        return ["The panel did not ratify the change to the package.", "Talk to your team manager about next steps."]
    return [f"The case is closed: {STAGE_LABELS[stage]}."]
