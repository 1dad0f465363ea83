"""How long closed cases are kept, and when a person's records are past it. Pure: `today` is passed in.

The policy's `[retention]` table gives years per service, counted from the last thing that happened
about the person in panelbot (see `bot.services.retention.last_activity`). The defaults follow the
Records Management Code of Practice for Health and Social Care (2021):

- adults' social care records: 8 years after the end of care → `adults = 8`;
- children's records: until the person's 25th birthday, or 8 years after the case closed if that is
  longer. panelbot holds no dates of birth, so it keeps children's records for the longest the rule
  can require of anyone: a child whose case closed when they were newborn reaches 25 twenty-five years
  later, and 25 years is always at least 8 → `children_send = 25`;
- placements (children placed with providers, seed 002) are children's records → `placements = 25`.
  Looked-after children's files are often kept far longer (many councils' schedules say until the
  75th birthday); a council whose placements are of looked-after children should set its own figure.

A council may set longer periods, or shorter ones its records policy allows; never fewer than 1 year.
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field

Years = int


class Retention(BaseModel):
    """The policy's `[retention]` table: years a person's closed records are kept, per service."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    adults: Years = Field(default=8, ge=1, le=100)  # after the end of care
    children_send: Years = Field(default=25, ge=1, le=100)  # 25th birthday or 8 years, with no date of birth
    placements: Years = Field(default=25, ge=1, le=100)  # children placed with providers

    def years_for(self, service: str) -> Years:
        """The years for a service; for one the table does not name, the longest of them (keep, not lose)."""
        value = getattr(self, service, None) if service in type(self).model_fields else None
        return value if isinstance(value, int) else max(self.adults, self.children_send, self.placements)


def kept_until(retention: Retention, services: list[str], last_activity: date) -> date:
    """The first day a person's records may be pseudonymised: the longest period of any of their services."""
    years = max((retention.years_for(service) for service in services), default=retention.years_for(""))
    return last_activity + relativedelta(years=years)


def is_past_retention(retention: Retention, services: list[str], last_activity: date, today: date) -> bool:
    return today >= kept_until(retention, services, last_activity)


def tombstone(today: date) -> str:
    """What an erased free-text field holds afterwards."""
    return f"[erased {today.isoformat()} under retention]"
