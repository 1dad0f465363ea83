"""`panelbot serve` keeps answering while idle and slowly trickling clients hold connections."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest

from handlers.slack.standin.requests import RequestSigner
from tests.conftest import SIGNING_SECRET
from tests.serving import panelbot_serve, request

IDLE, TRICKLING = 120, 80  # 200 connections held, on 127.0.0.1 only
HOLD_SECONDS = 8.0  # nothing here outlives this


@pytest.fixture(scope="module")
def served(standin, tmp_path_factory):
    with panelbot_serve(standin.api_url, tmp_path_factory.mktemp("slow")) as running:
        yield running


def _open(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=2)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def test_help_is_answered_within_3_seconds_while_200_idle_and_trickling_connections_are_held(served):
    sockets: list[socket.socket] = []
    stop = threading.Event()
    try:
        for _ in range(IDLE):
            sockets.append(_open(served.port))  # connected, never a byte sent
        trickling = [_open(served.port) for _ in range(TRICKLING)]
        sockets.extend(trickling)
        line = b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200

        def trickle() -> None:  # one byte a connection every 0.2 s, never finishing the headers
            position = 0
            while not stop.wait(0.2) and position < len(line):
                for sock in trickling:
                    with contextlib.suppress(OSError):
                        sock.send(line[position:position + 1])
                position += 1

        threading.Thread(target=trickle, daemon=True).start()
        time.sleep(1.0)  # let the server take them all in
        deadline = time.monotonic() + HOLD_SECONDS - 1.0
        answered = []
        while time.monotonic() < deadline and len(answered) < 4:
            signed = RequestSigner(SIGNING_SECRET).command("U0PRIYA", "help")
            started = time.monotonic()
            try:
                status, body = request(served.port, "POST", "/slack/events", signed.body, signed.headers, timeout=3)
            except OSError as exc:
                status, body = type(exc).__name__, ""
            answered.append((status, time.monotonic() - started, "/panel help" in body))
            time.sleep(0.5)
        assert len(answered) == 4
        assert all(status == 200 and seconds < 3.0 and helpful for status, seconds, helpful in answered), answered
    finally:
        stop.set()
        for sock in sockets:
            sock.close()


def test_the_procfile_web_process_is_panelbot_serve_with_its_production_settings():
    from pathlib import Path

    from bot.web import SERVER_SETTINGS

    lines = Path(__file__).resolve().parent.parent.joinpath("Procfile").read_text().splitlines()
    assert "web: panelbot serve" in lines
    assert SERVER_SETTINGS["connection_limit"] >= 5 * (IDLE + TRICKLING)
    assert SERVER_SETTINGS["asyncore_use_poll"] is True
