"""Subject access: everything panelbot holds about one case reference, as data and as a readable text.

`export_reference` collects, table by table, every row that refers to the reference: its cases and
what hangs off them (decisions, bookings, follow-ups, reviews, reminders, messages, Slack deletions),
its placements and their visits and steps (and the reminders about them), and the audit rows about
any of these. `tests/test_export.py` walks the schema to prove no table that can refer to a case is
left out. A reference already pseudonymised under retention is found through its pseudonym.
The export itself is audited (who, when, how many rows of each kind); its rows carry no free text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from bot.services import Services
from store.audit import is_pseudonym, pseudonym, record_audit, session_key
from store.models import (
    Audit,
    Base,
    Case,
    CaseCard,
    Decision,
    FollowUp,
    ForumBooking,
    MessageDeletion,
    Outbox,
    Placement,
    Provision,
    Reminder,
    Review,
    SpotCheck,
    Visit,
    VisitStep,
)

# Each table an export covers, with the words the summary uses for it, in the summary's order.
TITLES = {
    "cases": "Cases",
    "decision": "Decisions",
    "forum_booking": "Forum bookings",
    "follow_up": "Reviews and resubmissions due",
    "review": "Reviews",
    "spot_check": "Spot checks of decisions",
    "reminder": "Reminders",
    "outbox": "Messages sent or owed",
    "case_cards": "Case cards posted in channels",
    "message_deletion": "Slack messages deleted under retention",
    "placement": "Placements",
    "provision": "Provisions placed at (organisations)",
    "visit": "Monitoring visits",
    "visit_step": "Steps after a visit",
    "audit": "Audit trail",
}


@dataclass(frozen=True)
class SubjectExport:
    reference: str
    exported_at: datetime
    exported_by: str
    tables: dict[str, list[dict[str, Any]]]

    def as_json(self) -> str:
        document = {"reference": self.reference, "exported_at": self.exported_at.isoformat(),
                    "exported_by": self.exported_by, "tables": self.tables}
        return json.dumps(document, indent=2, ensure_ascii=False, default=_plain) + "\n"

    def as_text(self) -> str:
        return summary(self)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot export {type(value).__name__}")


def _row(row: Base) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def _all(session: Session, query: Select[Any]) -> list[Any]:
    return list(session.scalars(query))


def collect(session: Session, reference: str) -> dict[str, list[Base]]:
    """Every row held about `reference`, by table name."""
    key = session_key(session)
    # After retention only the pseudonym is left; a pseudonym given is looked up as it is.
    names = [reference, reference if is_pseudonym(reference) else pseudonym(key, reference)]
    cases = _all(session, select(Case).where(Case.reference.in_(names)).order_by(Case.id))
    case_ids = [row.id for row in cases]
    placements = _all(session, select(Placement).where(Placement.child_reference.in_(names)).order_by(Placement.id))
    placement_ids = [row.id for row in placements]
    visits = _all(session, select(Visit).where(Visit.placement_id.in_(placement_ids)).order_by(Visit.id))
    visit_ids = [row.id for row in visits]
    provision_ids = sorted({row.provision_id for row in placements})
    found: dict[str, list[Base]] = {
        "cases": cases,
        "decision": _all(session, select(Decision).where(Decision.case_id.in_(case_ids)).order_by(Decision.id)),
        "forum_booking": _all(session, select(ForumBooking).where(ForumBooking.case_id.in_(case_ids))
                              .order_by(ForumBooking.id)),
        "follow_up": _all(session, select(FollowUp).where(FollowUp.case_id.in_(case_ids)).order_by(FollowUp.id)),
        "review": _all(session, select(Review).where(Review.case_id.in_(case_ids)).order_by(Review.id)),
        "spot_check": _all(session, select(SpotCheck).where(SpotCheck.case_id.in_(case_ids)).order_by(SpotCheck.id)),
        "reminder": _all(session, select(Reminder).where(or_(Reminder.case_id.in_(case_ids),
                                                              Reminder.visit_id.in_(visit_ids))).order_by(Reminder.id)),
        "outbox": _all(session, select(Outbox).where(Outbox.case_id.in_(case_ids)).order_by(Outbox.id)),
        "case_cards": _all(session, select(CaseCard).where(CaseCard.case_id.in_(case_ids)).order_by(CaseCard.id)),
        "message_deletion": _all(session, select(MessageDeletion).where(MessageDeletion.case_id.in_(case_ids))
                                 .order_by(MessageDeletion.id)),
        "placement": placements,
        "provision": _all(session, select(Provision).where(Provision.id.in_(provision_ids)).order_by(Provision.id)),
        "visit": visits,
        "visit_step": _all(session, select(VisitStep).where(VisitStep.visit_id.in_(visit_ids))
                           .order_by(VisitStep.id)),
        "audit": _all(session, select(Audit).where(or_(
            Audit.subject_id == names[1],
            (Audit.subject_type == "placement") & Audit.subject_id.in_([str(i) for i in placement_ids]),
            (Audit.subject_type == "visit") & Audit.subject_id.in_([str(i) for i in visit_ids]),
        )).order_by(Audit.id)),
    }
    return found


def export_reference(services: Services, reference: str, exported_by: str) -> SubjectExport:
    """Everything held about `reference`, and an audit row saying who exported it and when."""
    reference = reference.strip()
    now = services.now()
    with services.sessions.begin() as session:
        found = collect(session, reference)
        tables = {name: [_row(row) for row in rows] for name, rows in found.items()}
        record_audit(session, at=now, actor=exported_by, action="subject.exported", subject_type="case",
                     subject_id=reference, after={"rows": {name: len(rows) for name, rows in tables.items()}})
    return SubjectExport(reference=reference, exported_at=now, exported_by=exported_by, tables=tables)


def summary(export: SubjectExport) -> str:
    """The export as plain text a person can read: each kind of record, each row's fields."""
    lines = [
        f"Everything panelbot holds about case reference {export.reference}",
        f"Exported {export.exported_at:%d %B %Y at %H:%M} UTC by {export.exported_by}.",
        "",
    ]
    total = sum(len(rows) for rows in export.tables.values())
    if total == 0:
        lines.append("panelbot holds nothing about this reference.")
    for name, rows in export.tables.items():
        lines.append(f"{TITLES.get(name, name)}: {len(rows) or 'none'}")
        for row in rows:
            lines.append(f"  - {name.removesuffix('s').replace('_', ' ')} {row.get('id', '')}".rstrip())
            for field, value in row.items():
                if field in ("id", "prev_hash", "row_hash") or value is None or value == [] or value == {}:
                    continue
                shown = json.dumps(value, ensure_ascii=False, default=_plain) if isinstance(value, dict | list) \
                    else _plain(value) if isinstance(value, datetime | date | Decimal) else value
                lines.append(f"      {field.replace('_', ' ')}: {shown}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
