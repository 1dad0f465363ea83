"""A monotonic clock a test moves on by hand, for the caches (user groups, tokens) that take one."""

from __future__ import annotations


class Ticks:
    """Monotonic seconds a test moves on by hand: `ticks.now += 300`."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
