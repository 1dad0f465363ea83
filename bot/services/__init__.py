"""Services: one function per user intent, one transaction each, the audit row written there.

Services know nothing of Slack. They get a `Services` bundle (database, policy, outbound seam,
clock) and return small results that a chat surface renders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.policy import Policy
from store.db import database_answers, make_sessions


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    engine: Engine
    policy: Policy
    sessions: sessionmaker[Session] = field(init=False)
    clock: Callable[[], datetime] = utcnow

    def __post_init__(self) -> None:
        self.sessions = make_sessions(self.engine)

    def now(self) -> datetime:
        return self.clock()

    def database_ok(self) -> bool:
        return database_answers(self.engine)
