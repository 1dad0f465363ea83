"""The sentences about a case that both surfaces say, as plain text: one definition each.

Slack escapes a sentence for mrkdwn as a whole (messages/slack/cases.py); a Teams card shows it as it
is (messages/teams/cases.py). The sentences hold the policy's names (bodies, offices, roles) and the
case's evidence labels, never anything a person typed.
"""

from __future__ import annotations

from bot.domain.cases import STAGE_LABELS, CaseView, Stage
from messages.words import long_date


def evidence_lines(case: CaseView) -> list[str]:
    """"✅ occupational therapy" for what is attached, "❌ …" for what the policy asks and is missing."""
    attached = set(case.evidence_attached)
    lines = [f"{'✅' if item in attached else '❌'} {item}" for item in case.evidence_required]
    lines += [f"✅ {item}" for item in case.evidence_attached if item not in case.evidence_required]
    return lines


def missing_evidence(case: CaseView) -> list[str]:
    return [item for item in case.evidence_required if item not in case.evidence_attached]


def office(location: str) -> str:
    return location if location.lower().endswith("office") else f"{location} office"


def sitting_words(case: CaseView) -> str | None:
    """"Wednesday 9 December 2026 (North office), papers due Wednesday 25 November 2026"."""
    panel = case.panel
    if panel is None:
        return None
    where = f" ({office(panel.location)})" if panel.location else ""
    return f"{long_date(panel.day)}{where}, papers due {long_date(panel.papers_due)}"


def panel_sentence(case: CaseView) -> str | None:
    sitting = sitting_words(case)
    if not sitting:
        return None
    carried = ""
    if case.panel is not None and case.panel.carried_from is not None:
        carried = f" (carried from {long_date(case.panel.carried_from)}, where it was not heard)"
    return f"Listed for the {case.body_name} on {sitting}{carried}"


def late_sentence(case: CaseView) -> str | None:
    if case.panel is None or case.panel.late_for is None:
        return None
    # The listing does not carry the missed panel's cut-off, only the panel itself.
    return (
        f"Papers for the {long_date(case.panel.late_for)} panel were past their due date, "
        "so this case goes to the next one"
    )


def stage_words(case: CaseView) -> str:
    """The case's stage in words, naming its body where that helps ("listed for the SEND panel")."""
    if case.stage is Stage.LISTED:
        return f"listed for the {case.body_name}"
    if case.stage is Stage.BOOKED:
        return f"booked into the {case.body_name}"
    if case.stage in (Stage.AWAITING_ENDORSEMENT, Stage.AWAITING_RATIFICATION) and case.follow_on_name:
        step = "endorsement" if case.stage is Stage.AWAITING_ENDORSEMENT else "ratification"
        return f"decided, waiting for {step} at the next {case.follow_on_name}"
    return STAGE_LABELS[case.stage]


def tier_words(case: CaseView) -> str:
    return case.tier_role.replace("_", " ") if case.tier_role else "the decider"
