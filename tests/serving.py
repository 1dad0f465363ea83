"""`panelbot serve` in a process of its own, for tests that go over real HTTP and read its log."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import SIGNING_SECRET, TEST_AUDIT_KEY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, body: str | bytes = "", headers: dict[str, str] | None = None,
            timeout: float = 10) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body.encode() if isinstance(body, str) else body,
                           headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def wait_until_healthy(port: int, process: subprocess.Popen, limit: float = 30) -> bool:
    """Ask `GET /healthz` until it answers 200 (True), or until the process ends or `limit` seconds pass."""
    deadline = time.monotonic() + limit
    while True:
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                return True
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.1)


class Served:
    """A running `panelbot serve`: its port, and its log (stdout and stderr) as a file."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self._mark = 0

    def mark(self) -> None:
        """Forget the log so far: `new_log` returns what is written after this."""
        self._mark = self.log.stat().st_size

    def new_log(self, settle: float = 0.3) -> str:
        time.sleep(settle)  # the server writes its request line just after answering
        with self.log.open("rb") as stream:
            stream.seek(self._mark)
            return stream.read().decode("utf-8", errors="replace")


@contextmanager
def panelbot_serve(api_url: str, folder: Path, **extra_env: str) -> Iterator[Served]:
    """`panelbot serve` on 127.0.0.1 against the Slack stand-in at `api_url` and a fresh SQLite file."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(SLACK_BOT_TOKEN="xoxb-http-test", SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=api_url,
               DATABASE_URL=f"sqlite:///{folder}/serve.db", PORT=str(port), LOG_LEVEL="DEBUG",
               PANELBOT_AUDIT_KEY=TEST_AUDIT_KEY, **extra_env)
    log = folder / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"], env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        if not wait_until_healthy(port, process):
            raise RuntimeError("panelbot serve did not start:\n" + log.read_text(errors="replace"))
        yield Served(port, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
