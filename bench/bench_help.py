"""Request-to-response latency of `/panel help` over HTTP: panelbot against a bare Bolt app (the floor).

Both apps are served by the same kind of waitress server (same adjustments, 8 threads) on 127.0.0.1,
both talk to the same local Slack Web API stand-in, and both ack the same help message. The floor
is the least any Bolt app can do for this request (signature check, routing, one listener, the
listener thread pool); the difference is panelbot's own overhead: its WSGI wrapper, its header
checks and request log in `PanelbotApp.dispatch`, its error handler and command table.

With Bolt's default thread-pool executor (as in production) dispatch polls for the ack every 10 ms
(`ThreadListenerRunner`: `time.sleep(0.01)`), so both targets sit just above 10 ms and the ratio
hides small overheads. `--inline-listeners` runs both apps' listeners in the request thread
instead (`bot.standin.inline.InlineExecutor`), which removes the poll and shows the overhead as a ratio.

Each request is signed fresh (signing is not timed), then timed from just before it is sent to
just after the whole response body is read, over one keep-alive connection per target. The two
targets run in alternating blocks so that machine noise falls on both. Every answer must be a 200
carrying the help text, or the run aborts with exit status 1. Otherwise it exits 0: this is a
measurement, not a gate.

    .venv/bin/python bench/bench_help.py [--requests 1000] [--log-level WARNING|INFO] [--inline-listeners]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress.server import create_server

from bot.logs import configure_logging
from bot.runtime import build_services
from bot.settings import load_settings
from bot.slack_app import create_app
from bot.standin.inline import InlineExecutor
from bot.standin.requests import RequestSigner
from bot.standin.webapi import SlackStandIn
from bot.web import EVENTS_PATH, MAX_BODY, SlackWsgi
from messages.help import help_message
from messages.ids import Command

TOKEN = "xoxb-bench"  # noqa: S105 (the stand-in accepts any token)
USER = "U0BENCH"
WARMUP = 50
BLOCKS = 10
TARGET_RATIO = 1.5  # panelbot's p99 should be within 1.5x the bare app's
# The adjustments `bot.web.serve` uses in production, given to both servers alike.
SERVER_OPTIONS: dict[str, Any] = {"threads": 8, "max_request_body_size": MAX_BODY,
                                  "clear_untrusted_proxy_headers": True, "ident": "bench"}


class WrongAnswer(Exception):
    """A target answered something other than a 200 with the help text: the figures would be meaningless."""


@dataclass
class Target:
    """One served app and a keep-alive connection to it; `samples` are milliseconds a request."""

    name: str
    port: int
    signer: RequestSigner
    samples: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        self._expected = help_message()["text"]

    def send(self, *, record: bool = True) -> None:
        signed = self.signer.command(USER, "help")  # fresh signature and trigger; not timed
        started = time.perf_counter()
        self._conn.request("POST", EVENTS_PATH, body=signed.body, headers=signed.headers)
        response = self._conn.getresponse()
        body = response.read()
        elapsed_ms = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise WrongAnswer(f"{self.name}: HTTP {response.status}: {body[:200]!r}")
        try:
            text = json.loads(body).get("text")
        except ValueError:
            text = None
        if text != self._expected:
            raise WrongAnswer(f"{self.name}: the answer is not the help message: {body[:200]!r}")
        if record:
            self.samples.append(elapsed_ms)

    def close(self) -> None:
        self._conn.close()


def serve_in_background(wsgi: Callable[..., Any]) -> int:
    """Serve `wsgi` with waitress on an ephemeral port in a daemon thread; return the port."""
    server = create_server(wsgi, host="127.0.0.1", port=0, **SERVER_OPTIONS)
    threading.Thread(target=server.run, name=f"waitress-{server.effective_port}", daemon=True).start()
    return int(server.effective_port)


def bare_bolt_app(secret: str, api_url: str, executor: Executor | None) -> SlackRequestHandler:
    """The floor: a plain Bolt app with one `/panel` listener that acks the help, via Bolt's WSGI adapter."""
    app = App(signing_secret=secret, client=WebClient(token=TOKEN, base_url=api_url), listener_executor=executor)

    @app.command(Command.PANEL)
    def panel(ack: Ack) -> None:
        ack(help_message())

    return SlackRequestHandler(app)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p99) from `statistics.quantiles(n=100, method="inclusive")`: interpolated between samples."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]


def run(targets: list[Target], requests: int) -> None:
    for target in targets:
        for _ in range(WARMUP):
            target.send(record=False)
    block = max(1, requests // BLOCKS)
    done = 0
    order = list(targets)
    while done < requests:
        size = min(block, requests - done)
        for target in order:
            for _ in range(size):
                target.send()
        order.reverse()  # alternate who goes first, so neither always follows the other
        done += size


def report(targets: list[Target], log_level: str, inline: bool, log_lines: int | None) -> None:
    cpus = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), {cpus} CPUs ({usable} usable), "
          f"slack_bolt {version('slack_bolt')}, waitress {version('waitress')}")
    executor = "inline (no 10 ms ack poll)" if inline else "Bolt's default thread pool (10 ms ack poll)"
    print(f"log level {log_level}; listeners: {executor}")
    print("percentiles: statistics.quantiles(n=100, method='inclusive')")
    if log_lines is not None:
        print(f"request log lines written: {log_lines} (warm-up included)")
    print()
    print(f"{'target':<10} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'max ms':>8}")
    figures = {}
    for target in targets:
        p50, p99 = percentiles(target.samples)
        mean = statistics.fmean(target.samples)
        figures[target.name] = (p50, p99, mean)
        print(f"{target.name:<10} {len(target.samples):>6} {p50:>8.2f} {p99:>8.2f} {mean:>8.2f} "
              f"{max(target.samples):>8.2f}")
    (p50, p99, mean), (floor_p50, floor_p99, floor_mean) = figures["panelbot"], figures["bare-bolt"]
    print()
    print(f"p50 ratio panelbot / bare-bolt: {p50 / floor_p50:.2f}x  ({p50 - floor_p50:+.2f} ms)")
    print(f"p99 ratio panelbot / bare-bolt: {p99 / floor_p99:.2f}x  ({p99 - floor_p99:+.2f} ms)")
    print(f"mean difference: {mean - floor_mean:+.2f} ms a request")
    verdict = "PASS" if p99 <= TARGET_RATIO * floor_p99 else "OVER"
    print(f"target: p99 within {TARGET_RATIO}x of the bare app: {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="timed requests per target (default 1000)")
    parser.add_argument("--log-level", choices=["WARNING", "INFO"], default="WARNING",
                        help="WARNING (default) keeps logging out of the figures; INFO adds panelbot's "
                             "one line a request, as in production")
    parser.add_argument("--inline-listeners", action="store_true",
                        help="run both apps' listeners in the request thread, removing Bolt's 10 ms ack poll")
    args = parser.parse_args(argv)
    if args.requests < 100:
        parser.error("--requests must be at least 100 for a p99 to mean anything")

    with tempfile.TemporaryDirectory(prefix="panelbot-bench-", ignore_cleanup_errors=True) as tmp:
        # The request log goes to a file, as it would to a log pipe in production, not over the table.
        log_path = Path(tmp) / "bench.log"
        with log_path.open("w", encoding="utf-8") as log_stream:
            configure_logging(args.log_level, stream=log_stream)
            standin = SlackStandIn().start()
            secret = secrets.token_hex(16)
            settings = load_settings(env_file=None, slack_bot_token=TOKEN, slack_signing_secret=secret,
                                     slack_api_url=standin.api_url, database_url=f"sqlite:///{tmp}/bench.db")
            services = build_services(settings)
            inline = InlineExecutor() if args.inline_listeners else None
            app = create_app(settings, services, listener_executor=inline)
            panelbot_port = serve_in_background(SlackWsgi(app, services, secret))
            floor_port = serve_in_background(bare_bolt_app(secret, standin.api_url, inline))
            signer = RequestSigner(secret, response_url_base=standin.base_url + "response/")
            targets = [Target("panelbot", panelbot_port, signer), Target("bare-bolt", floor_port, signer)]
            try:
                run(targets, args.requests)
            except WrongAnswer as exc:
                print(f"aborted: {exc}", file=sys.stderr)
                return 1
            finally:
                for target in targets:
                    target.close()
                standin.stop()
                services.engine.dispose()
        log_lines = None
        if args.log_level == "INFO":
            log_lines = sum("request kind=command" in line for line in log_path.read_text("utf-8").splitlines())
        report(targets, args.log_level, args.inline_listeners, log_lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
