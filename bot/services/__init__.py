"""Services: one function per user intent, one transaction each, the audit row written there.

Services know nothing of Slack. They get a `Services` bundle (database, policy, outbound seam,
directory of user groups, clock) and return small results that a chat surface renders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.calendar import WorkingCalendar
from bot.notify import Directory, Notifier
from bot.policy import Policy
from store.db import database_answers, make_sessions


def utcnow() -> datetime:
    return datetime.now(UTC)


class NoDirectory:
    """A directory that knows no user groups: roles then hold only the user IDs listed directly."""

    def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset()


@dataclass
class Services:
    engine: Engine
    policy: Policy
    notifier: Notifier | None = None
    directory: Directory = field(default_factory=NoDirectory)
    clock: Callable[[], datetime] = utcnow
    # A message or reminder claimed longer ago than this was abandoned by a process that died.
    claim_timeout: timedelta = timedelta(minutes=2)
    # PANELBOT_AUDIT_KEY: signs the audit chain and pseudonymises references; never stored in the database.
    audit_key: str | None = field(default=None, repr=False)
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = make_sessions(self.engine, self.audit_key)

    def now(self) -> datetime:
        return self.clock()

    def database_ok(self) -> bool:
        return database_answers(self.engine)

    @cached_property
    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(tz=self.policy.council.tz, closures=frozenset(self.policy.working_days.closures))

    def people(self, members: Iterable[str]) -> list[str]:
        """Slack user IDs for a list of user and user-group IDs: groups expanded, each person once."""
        found: list[str] = []
        for member in members:
            found.extend(sorted(self.directory.group_members(member)) if member.startswith("S") else [member])
        return list(dict.fromkeys(found))

    def holds_role(self, user: str, role: str) -> bool:
        """True when `user` is listed in the policy role directly or through one of its user groups."""
        members = self.policy.members(role)
        if user in members:
            return True
        return any(user in self.directory.group_members(member) for member in members if member.startswith("S"))
