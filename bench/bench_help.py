"""Request-to-response latency of `/panel help` over HTTP: panelbot against a bare Bolt app (the floor).

Both apps are served by the same kind of waitress server (same adjustments, 8 threads) on 127.0.0.1,
both talk to the same local Slack Web API stand-in, and both ack the same help message. The floor
is the least any Bolt app can do for this request (signature check, routing, one listener, the
listener thread pool); the difference is panelbot's own overhead: its WSGI wrapper, its header
checks and request log in `PanelbotApp.dispatch`, its error handler and command table.

With Bolt's default thread-pool executor (as in production) dispatch polls for the ack every 10 ms
(`ThreadListenerRunner`: `time.sleep(0.01)`), so both targets sit just above 10 ms and the ratio
hides small overheads. `--inline-listeners` runs both apps' listeners in the request thread
instead (`bot.later.InlineExecutor`), which removes the poll and shows the overhead as a ratio.

Each request is signed fresh (signing is not timed), then timed from just before it is sent to
just after the whole response body is read, over one keep-alive connection per target. The two
targets run in alternating blocks so that machine noise falls on both. Every answer must be a 200
carrying the help text, or the run aborts with exit status 1. Otherwise it exits 0: this is a
measurement, not a gate.

    .venv/bin/python bench/bench_help.py [--requests 1000] [--log-level WARNING|INFO] [--inline-listeners]
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
from concurrent.futures import Executor
from pathlib import Path

from common import (
    BENCH_AUDIT_KEY,
    PERCENTILES_NOTE,
    TOKEN,
    Target,
    WrongAnswer,
    environment,
    print_comparison,
    print_table,
    run_alternating,
    serve_in_background,
)
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.later import InlineExecutor
from bot.logs import configure_logging
from bot.runtime import build_services
from bot.settings import load_settings
from handlers.slack.app import create_app
from handlers.slack.standin.requests import RequestSigner, SignedRequest
from handlers.slack.standin.webapi import SlackStandIn
from handlers.slack.web import SlackWsgi
from messages.slack.help import help_message
from messages.slack.ids import Command

USER = "U0BENCH"
TARGET_RATIO = 1.5  # panelbot's p99 should be within 1.5x the bare app's


def help_target(name: str, port: int, signer: RequestSigner) -> Target:
    """A target sent a freshly signed `/panel help`, whose answer must be a 200 carrying the help text."""
    expected = help_message()["text"]

    def build() -> SignedRequest:
        return signer.command(USER, "help")

    def check(status: int, body: bytes) -> str | None:
        if status != 200:
            return f"HTTP {status}: {body[:200]!r}"
        try:
            text = json.loads(body).get("text")
        except ValueError:
            text = None
        return None if text == expected else f"the answer is not the help message: {body[:200]!r}"

    return Target(name, port, build, check)


def bare_bolt_app(secret: str, api_url: str, executor: Executor | None) -> SlackRequestHandler:
    """The floor: a plain Bolt app with one `/panel` listener that acks the help, via Bolt's WSGI adapter."""
    app = App(signing_secret=secret, client=WebClient(token=TOKEN, base_url=api_url), listener_executor=executor)

    @app.command(Command.PANEL)
    def panel(ack: Ack) -> None:
        ack(help_message())

    return SlackRequestHandler(app)


def report(targets: list[Target], log_level: str, inline: bool, log_lines: int | None) -> None:
    print(environment())
    executor = "inline (no 10 ms ack poll)" if inline else "Bolt's default thread pool (10 ms ack poll)"
    print(f"log level {log_level}; listeners: {executor}")
    print(PERCENTILES_NOTE)
    if log_lines is not None:
        print(f"request log lines written: {log_lines} (warm-up included)")
    print()
    figures = print_table(targets)
    print()
    print_comparison(figures, "panelbot", "bare-bolt", TARGET_RATIO,
                     f"p99 within {TARGET_RATIO}x of the bare app")


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
                                     slack_api_url=standin.api_url, database_url=f"sqlite:///{tmp}/bench.db",
                                     panelbot_audit_key=BENCH_AUDIT_KEY)
            services = build_services(settings)
            inline = InlineExecutor() if args.inline_listeners else None
            app = create_app(settings, services, listener_executor=inline)
            panelbot_port = serve_in_background(SlackWsgi(app, services, secret))
            floor_port = serve_in_background(bare_bolt_app(secret, standin.api_url, inline))
            signer = RequestSigner(secret, response_url_base=standin.base_url + "response/")
            targets = [help_target("panelbot", panelbot_port, signer), help_target("bare-bolt", floor_port, signer)]
            try:
                run_alternating(targets, args.requests)
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
