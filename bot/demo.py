"""`panelbot demo`: a scripted conversation through the real app.

The same signed requests Slack would send go through the real Bolt app, with its real handlers,
services and a throwaway SQLite database; Slack's Web API is the local stand-in. What each person
would see (ephemeral answers, DMs, channel posts, modals) is printed as readable text.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from slack_bolt.request import BoltRequest

from bot.runtime import build_services
from bot.services import Services
from bot.settings import load_settings
from bot.slack_app import PanelbotApp, create_app
from bot.standin.inline import InlineExecutor
from bot.standin.requests import RequestSigner, SignedRequest
from bot.standin.webapi import SlackStandIn
from messages.text import render_message, render_view

# The demo's cast: Slack user IDs and who they are.
PEOPLE = {
    "U0PRIYA": "Priya (social worker)",
    "U0TOMAS": "Tomás (team manager)",
    "U0CHAIR": "Sam (forum chair)",
}


@dataclass
class Conversation:
    """The real app wired to the stand-in; `say` sends a signed request and prints what people see."""

    out: IO[str]
    standin: SlackStandIn
    app: PanelbotApp
    services: Services
    signer: RequestSigner
    seen: int = field(default=0)
    speaker: str = ""

    def _print(self, line: str = "") -> None:
        self.out.write(line + "\n")

    def step(self, title: str) -> None:
        self._print()
        self._print(f"── {title} " + "─" * max(0, 66 - len(title)))

    def send(self, who: str, signed: SignedRequest, doing: str) -> int:
        """Dispatch a signed request as Slack would; print the answer and every Web API effect."""
        self._print(f"{PEOPLE.get(who, who)} {doing}")
        self.speaker = who
        response = self.app.dispatch(BoltRequest(body=signed.body, headers=signed.headers))
        if response.status != 200:
            self._print(f"    (panelbot refuses the request: HTTP {response.status})")
        elif response.body:
            self._show(who, "only you can see this", _json(response.body))
        self._show_calls()
        return response.status

    def command(self, who: str, text: str) -> int:
        return self.send(who, self.signer.command(who, text), f"types `/panel {text}`")

    def _show(self, who: str, where: str, message: dict[str, Any]) -> None:
        self._print(f"  {PEOPLE.get(who, who)} sees ({where}):")
        for line in render_message(message):
            self._print(f"    │ {line}")

    def _show_calls(self) -> None:
        calls = self.standin.calls[self.seen:]
        self.seen = len(self.standin.calls)
        for call in calls:
            args = call.args
            if call.method == "chat.postMessage":
                channel = str(args.get("channel", ""))
                person = channel if channel in PEOPLE else None
                where = "a DM from panelbot" if person else f"in channel {channel}"
                message = {"text": args.get("text", ""), "blocks": _json(args.get("blocks"))}
                self._show(person or channel, where, message)
            elif call.method == "chat.update":
                self._show(str(args.get("channel")), "the card, updated in place",
                           {"text": args.get("text", ""), "blocks": _json(args.get("blocks"))})
            elif call.method in ("views.open", "views.push", "views.update"):
                self._print("  a form opens:")
                for line in render_view(_json(args.get("view")) or {}):
                    self._print(f"    {line}")
            elif call.method == "response_url":
                self._show(self.speaker, "only you can see this", args)


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return {"text": value}
    return value or []


def open_conversation(out: IO[str], workdir: Path) -> Conversation:
    standin = SlackStandIn().start()
    for user_id, name in PEOPLE.items():
        standin.add_user(user_id, name.split(" ")[0])
    secret = secrets.token_hex(16)
    settings = load_settings(
        env_file=None,
        slack_bot_token="xoxb-demo-token",  # noqa: S106 (the stand-in accepts any token)
        slack_signing_secret=secret,
        slack_api_url=standin.api_url,
        database_url=f"sqlite:///{workdir / 'demo.db'}",
    )
    services = build_services(settings)
    app = create_app(settings, services, listener_executor=InlineExecutor())
    signer = RequestSigner(secret, response_url_base=standin.base_url + "response/")
    standin.reset()  # start-up's auth.test is not part of the conversation
    return Conversation(out, standin, app, services, signer)


def run_demo(out: IO[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="panelbot-demo-") as tmp:
        talk = open_conversation(out, Path(tmp))
        try:
            out.write("panelbot demo: the real app, signed requests, a stand-in for Slack, a throwaway database.\n")
            talk.step("Asking for help")
            talk.command("U0PRIYA", "help")
            talk.step("A mistyped subcommand gets usage, not an error")
            talk.command("U0PRIYA", "sumbit")
            talk.step("A forged request (signed with the wrong secret) is refused")
            forged = RequestSigner("not-the-signing-secret").command("U0PRIYA", "help")
            talk.send("U0PRIYA", forged, "(or someone pretending to be Priya) sends a forged `/panel help`")
        finally:
            talk.standin.stop()
            talk.services.engine.dispose()
