"""An executor that runs the task at once, in the caller's thread.

Bolt runs listeners on a thread pool and returns as soon as they ack. The demo and most tests pass
this instead, so a listener has finished (and its Web API calls are recorded) when dispatch returns.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any


class InlineExecutor(Executor):
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future
