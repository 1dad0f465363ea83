"""A user group's members, as a chat service lists them, kept for a while: Slack's user groups
(handlers/slack/notify.py `SlackDirectory`) and Entra groups (handlers/teams/graph.py `GraphDirectory`).

Who holds a role is asked on the request path, before the ack (who may decide, who is told), so a
group is listed at most once per `ttl` and nobody waits for a listing they need not wait for:

- **Kept.** Members listed are used for `ttl` seconds (5 minutes): a change to the group counts within
  five minutes.
- **One caller asks.** When a group is due to be listed again, one caller lists it; the others use the
  members listed before (if they are not older than `stale_limit`) instead of waiting for the answer.
  Only callers with nothing usable wait, and then for that one listing, not each for its own.
- **Refused for good** (the group does not exist, a permission is missing): it holds nobody, kept as
  such for `ttl`, with one log line each time: a misconfiguration costs one call every five minutes,
  not one per request.
- **No answer for now** (throttled, down, slow): the members last listed are used if they were listed
  within `stale_limit` (an hour), and nobody otherwise; the service is not asked again for
  `failure_backoff` seconds (or its Retry-After, if longer). A passing outage must not lock every
  decider out, nor make every request wait for a timeout; an hour bounds how long someone taken out
  of the group may keep acting while the service cannot say so.

Nothing here logs a member: lines carry the group's id (from the policy) and the service's code.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

GROUP_TTL = 300.0  # seconds a group's members (or the service's refusal of it) are kept
STALE_LIMIT = 3600.0  # seconds the members last listed stand in while the service cannot answer
FAILURE_BACKOFF = 30.0  # seconds before asking again about a group the service could not answer for


class ListingFailed(Exception):
    """The service did not list a group: `code` says why, in the service's own short words;
    `permanent`: asking again soon will not help; `retry_after`: seconds the service asked for."""

    code: str
    permanent: bool
    retry_after: float | None


@dataclass(frozen=True)
class _Known:
    members: frozenset[str]
    listed_at: float | None  # when the service last listed them; None when it never did or refused
    next_read: float  # the service is not asked about the group again before this


class GroupCache:
    """Members per group id, listed through the function each call passes (see the module docstring).
    `service` names the service in the lines `log` gets; `on_refusal(group_id, failed)` logs a refusal
    for good (it knows what to tell an administrator to change)."""

    def __init__(self, service: str, on_refusal: Callable[[str, Any], None], log: logging.Logger, *,
                 ttl: float = GROUP_TTL, stale_limit: float = STALE_LIMIT, failure_backoff: float = FAILURE_BACKOFF,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.service = service
        self.on_refusal = on_refusal
        self.log = log
        self.ttl = ttl
        self.stale_limit = stale_limit
        self.failure_backoff = failure_backoff
        self.clock = clock
        self._known: dict[str, _Known] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def members(self, group_id: str, list_members: Callable[[], frozenset[str]]) -> frozenset[str]:
        known = self._known.get(group_id)
        if known is not None and self.clock() < known.next_read:
            return self._usable(known, self.clock())
        lock = self._lock_of(group_id)
        if known is not None and known.listed_at is not None and self._usable(known, self.clock()):
            # Due again, and members are known: one caller lists the group; the rest do not wait for it.
            if not lock.acquire(blocking=False):
                return self._usable(known, self.clock())
        else:
            lock.acquire()  # nothing usable: wait for the one listing (or make it)
        try:
            now = self.clock()
            known = self._known.get(group_id)
            if known is not None and now < known.next_read:
                return self._usable(known, now)  # listed while this caller waited
            try:
                members = list_members()
            except ListingFailed as failed:
                return self._failed(group_id, failed, known, now)
            self._known[group_id] = _Known(members, now, now + self.ttl)
            return members
        finally:
            lock.release()

    def forget(self) -> None:
        """Ask the service again on the next question about any group."""
        with self._lock:
            self._known.clear()

    def _failed(self, group_id: str, failed: ListingFailed, known: _Known | None, now: float) -> frozenset[str]:
        if failed.permanent:
            self._known[group_id] = _Known(frozenset(), None, now + self.ttl)
            self.on_refusal(group_id, failed)
            return frozenset()
        wait = max(self.failure_backoff, failed.retry_after or 0.0)
        listed = known if known is not None and known.listed_at is not None else _Known(frozenset(), None, 0.0)
        self._known[group_id] = kept = _Known(listed.members, listed.listed_at, now + wait)
        usable = self._usable(kept, now)
        if usable and kept.listed_at is not None:
            outcome = f"using its members as {self.service} listed them {int(now - kept.listed_at)} s ago"
        else:
            outcome = f"it holds nobody until {self.service} answers"
        self.log.warning("%s could not list %s just now (%s): %s", self.service, group_id, failed.code, outcome)
        return usable

    def _usable(self, known: _Known, now: float) -> frozenset[str]:
        if known.listed_at is None or now - known.listed_at >= self.stale_limit:
            return frozenset()
        return known.members

    def _lock_of(self, group_id: str) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(group_id, threading.Lock())


def list_at_start(directory: Any, groups: Iterable[str]) -> threading.Thread:
    """List each group once now, on a thread of its own (`directory` is a bot.notify Directory): the
    first people after a start do not wait for the service, and a group it refuses is logged at once."""
    def read() -> None:
        for group in groups:
            try:
                directory.group_members(group)
            except Exception:  # a start must not fail on it: the group is asked about again when needed
                logging.getLogger("panelbot.groups").warning("could not list %s at start", group, exc_info=True)

    thread = threading.Thread(target=read, name="list-groups", daemon=True)
    thread.start()
    return thread
