"""Services: one function per user intent, one transaction each, the audit row written there.

Services know nothing of Slack. They get a `Services` bundle (database, policy, outbound seam,
directory of user groups, clock) and return small results that a chat surface renders.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

from sqlalchemy import Engine

from bot.addresses import is_group
from bot.domain.calendar import WorkingCalendar
from bot.notify import Directory, Notifier
from bot.policy import Policy
from store.db import Sessions, database_answers, make_sessions

COVER_CACHE_SECONDS = 15.0  # cover set in another process counts here within this long
# False while a permission is asked without cover (to tell whether someone acts for another).
_COVER_COUNTS: ContextVar[bool] = ContextVar("cover_counts", default=True)


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
    sessions: Sessions = field(init=False)
    _cover_cache: tuple[date, float, dict[str, tuple[str, ...]]] | None = field(default=None, init=False, repr=False)
    _cover_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

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
        """The people in a list of people and groups (bot.addresses): groups expanded, each person once."""
        found: list[str] = []
        for member in members:
            found.extend(sorted(self.directory.group_members(member)) if is_group(member) else [member])
        return list(dict.fromkeys(found))

    def holds_role(self, user: str, role: str) -> bool:
        """True when `user` is listed in the policy role directly or through one of its user groups, or
        covers today for someone who holds it (never a tier's role: limits are not lent by cover)."""
        if self._holds_itself(user, role):
            return True
        if not _COVER_COUNTS.get() or role in self._tier_roles:
            return False
        return any(self._holds_itself(absent, role) for absent in self.covering(user))

    def _holds_itself(self, user: str, role: str) -> bool:
        members = self.policy.members(role)
        if user in members:
            return True
        return any(user in self.directory.group_members(member) for member in members if is_group(member))

    @cached_property
    def _tier_roles(self) -> frozenset[str]:
        return frozenset(tier.role for body in self.policy.bodies.values() for tier in body.tiers)

    def covering(self, user: str) -> tuple[str, ...]:
        """The people `user` covers for today (read from the database at most every few seconds)."""
        from bot.services.cover import active_covers  # services import this module

        stamp = time.monotonic()
        today = self.calendar.local_date(self.now())
        cached = self._cover_cache
        if cached is None or cached[0] != today or stamp - cached[1] > COVER_CACHE_SECONDS:
            # One thread reads while the others use what was read before: a permission is often asked
            # inside a transaction, and threads each waiting for a second pooled connection would
            # starve the pool.
            if self._cover_lock.acquire(blocking=False):
                try:
                    cached = (today, stamp, active_covers(self, today))
                    self._cover_cache = cached
                finally:
                    self._cover_lock.release()
            elif cached is None or cached[0] != today:
                return ()
        return cached[2].get(user, ())

    def forget_cover(self) -> None:
        """Read cover again on the next question (after it changed in this process)."""
        self._cover_cache = None

    def acting_for(self, user: str, allowed: Callable[[], bool]) -> str | None:
        """Whom `user` acts for when `allowed()` holds only through cover: the person they cover, or None."""
        token = _COVER_COUNTS.set(False)
        try:
            if allowed():
                return None
        finally:
            _COVER_COUNTS.reset(token)
        for absent in self.covering(user):
            return absent
        return None
