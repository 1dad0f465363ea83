"""What the benchmarks share: the waitress set-up, a timed keep-alive client, alternating blocks, the report.

Not a benchmark itself. Each benchmark serves panelbot and a bare Bolt floor with `serve_in_background`,
wraps each in a `Target` (how to build a fresh signed request, how to tell a right answer), runs
them with `run_alternating` and prints `environment()`, `print_table` and `print_comparison`.
"""

from __future__ import annotations

import http.client
import os
import platform
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

from waitress.server import create_server

from bot.standin.requests import SignedRequest
from bot.web import EVENTS_PATH, MAX_BODY

TOKEN = "xoxb-bench"  # noqa: S105 (the stand-in accepts any token)
WARMUP = 50
BLOCKS = 10
# The adjustments `bot.web.serve` uses in production, given to both servers alike.
SERVER_OPTIONS: dict[str, Any] = {"threads": 8, "max_request_body_size": MAX_BODY,
                                  "clear_untrusted_proxy_headers": True, "ident": "bench"}
PERCENTILES_NOTE = "percentiles: statistics.quantiles(n=100, method='inclusive')"


class WrongAnswer(Exception):
    """A target answered something other than what it should: the figures would be meaningless."""


@dataclass
class Target:
    """One served app and a keep-alive connection to it; `samples` are milliseconds a request.

    `build` makes a fresh signed request (not timed); `check(status, body)` returns None for a right
    answer, or says what is wrong with it.
    """

    name: str
    port: int
    build: Callable[[], SignedRequest]
    check: Callable[[int, bytes], str | None]
    samples: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def send(self, *, record: bool = True) -> None:
        signed = self.build()  # fresh signature and ids; not timed
        started = time.perf_counter()
        self._conn.request("POST", EVENTS_PATH, body=signed.body, headers=signed.headers)
        response = self._conn.getresponse()
        body = response.read()
        elapsed_ms = (time.perf_counter() - started) * 1000
        problem = self.check(response.status, body)
        if problem is not None:
            raise WrongAnswer(f"{self.name}: {problem}")
        if record:
            self.samples.append(elapsed_ms)

    def close(self) -> None:
        self._conn.close()


def serve_in_background(wsgi: Callable[..., Any]) -> int:
    """Serve `wsgi` with waitress on an ephemeral port in a daemon thread; return the port."""
    server = create_server(wsgi, host="127.0.0.1", port=0, **SERVER_OPTIONS)
    threading.Thread(target=server.run, name=f"waitress-{server.effective_port}", daemon=True).start()
    return int(server.effective_port)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p99) from `statistics.quantiles(n=100, method="inclusive")`: interpolated between samples."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]


def run_alternating(targets: list[Target], requests: int, *, warmup: int = WARMUP, blocks: int = BLOCKS,
                    before_each: Callable[[Target], None] | None = None) -> None:
    """`warmup` untimed requests a target, then `requests` timed ones a target in `blocks` alternating blocks.

    `before_each(target)`, if given, runs (untimed) before every request.
    """
    def send(target: Target, record: bool) -> None:
        if before_each is not None:
            before_each(target)
        target.send(record=record)

    for target in targets:
        for _ in range(warmup):
            send(target, False)
    block = max(1, requests // blocks)
    done = 0
    order = list(targets)
    while done < requests:
        size = min(block, requests - done)
        for target in order:
            for _ in range(size):
                send(target, True)
        order.reverse()  # alternate who goes first, so neither always follows the other
        done += size


def environment() -> str:
    cpus = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    return (f"Python {platform.python_version()} ({platform.python_implementation()}), {cpus} CPUs "
            f"({usable} usable), slack_bolt {version('slack_bolt')}, waitress {version('waitress')}")


Figures = tuple[float, float, float]  # p50, p99, mean (ms)


def print_table(targets: list[Target]) -> dict[str, Figures]:
    """One line a target (n, p50, p99, mean, max); returns {name: (p50, p99, mean)}."""
    print(f"{'target':<10} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'max ms':>8}")
    figures = {}
    for target in targets:
        p50, p99 = percentiles(target.samples)
        mean = statistics.fmean(target.samples)
        figures[target.name] = (p50, p99, mean)
        print(f"{target.name:<10} {len(target.samples):>6} {p50:>8.2f} {p99:>8.2f} {mean:>8.2f} "
              f"{max(target.samples):>8.2f}")
    return figures


def print_comparison(figures: dict[str, Figures], subject: str, floor: str, ratio: float, goal: str) -> bool:
    """The p50 and p99 ratios of `subject` to `floor`, the mean difference, and the target; True on PASS."""
    (p50, p99, mean), (floor_p50, floor_p99, floor_mean) = figures[subject], figures[floor]
    print(f"p50 ratio {subject} / {floor}: {p50 / floor_p50:.2f}x  ({p50 - floor_p50:+.2f} ms)")
    print(f"p99 ratio {subject} / {floor}: {p99 / floor_p99:.2f}x  ({p99 - floor_p99:+.2f} ms)")
    print(f"mean difference: {mean - floor_mean:+.2f} ms a request")
    passed = p99 <= ratio * floor_p99
    print(f"target: {goal}: {'PASS' if passed else 'OVER'}")
    return passed
