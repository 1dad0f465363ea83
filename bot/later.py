"""Work a listener does after its ack, run off the request threads on a bounded pool.

A listener runs in its request's thread, and Slack gets the ack when the listener returns
(handlers.slack.app). Bolt's default ran listeners on a small thread pool instead. A listener
that then calls Slack (views.open, respond, views.publish, delivering the messages a change owes)
kept its thread for as long as Slack took: five calls taking 8 s held every thread, and everyone
else's request got 404 after 3 s. Listeners now hand that work to a `Later`: a fixed number of
threads and a fixed number of waiting tasks. When it is full the task is dropped with a log line
(deliveries stay in the outbox for the worker's next tick; a modal whose trigger would have expired
could not be opened anyway), so a slow Slack can never hold a request thread or grow a queue
without limit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from store.db import BACKGROUND

logger = logging.getLogger("panelbot.later")


class Later:
    """Run `fn()` soon on one of `workers` threads; at most `limit` tasks running or waiting.

    `executor` replaces the pool (tests pass one that runs the task at once, in the caller's thread).
    """

    def __init__(self, name: str, workers: int, limit: int, executor: Executor | None = None) -> None:
        self.name = name
        self._executor = executor or ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"later-{name}")
        self._slots = threading.BoundedSemaphore(limit)

    def __call__(self, what: str, fn: Callable[[], Any], *, within: float | None = None) -> bool:
        """Queue `fn`; False (and nothing queued) when full. `what` names the task in logs: our words only.

        With `within`, the task is skipped if it cannot start within that many seconds (a trigger_id
        lives 3 s: views.open after that fails anyway, and would only hold a thread).
        """
        if not self._slots.acquire(blocking=False):
            logger.warning("%s: %s not run: %d tasks already waiting", self.name, what, self._limit())
            return False
        queued = time.monotonic()

        def run() -> None:
            try:
                if within is not None and time.monotonic() - queued > within:
                    logger.warning("%s: %s skipped: it waited %.1f s", self.name, what, time.monotonic() - queued)
                    return
                marked = BACKGROUND.set(True)  # nobody waits on this: people's changes go first (store.db)
                try:
                    fn()
                finally:
                    BACKGROUND.reset(marked)
            except Exception:
                logger.exception("%s: %s failed", self.name, what)
            finally:
                self._slots.release()

        try:
            self._executor.submit(run)
        except RuntimeError:  # shut down
            self._slots.release()
            return False
        return True

    def _limit(self) -> int:
        return int(getattr(self._slots, "_initial_value", 0))

    def shutdown(self, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait)


class InlineExecutor(Executor):
    """Runs the task at once, in the caller's thread: the demo and most tests give it to Bolt's listeners
    and to `Later`, so a listener and what it starts have finished when dispatch returns."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future
