"""After the ack: Slack calls off the request threads (`bot.later`), and answering a button wherever it was.

Every listener gets its `AfterAck` from `after_ack(app)`. `open_view` calls views.open (or views.push)
on the Slack pool within the trigger's 3 s life; `tell` answers the person who pressed a button:
in the channel or DM through its response_url, in a modal pushed over theirs when the button was in a
modal (Slack sends no response_url there), or else by DM; `deliver` sends what a change owes from the
outbox (whatever is not sent stays for the worker's next tick): first its channel posts on the
channel pool, then its DMs and Home tabs on the delivery pool (bot.deliveries); with
PANELBOT_DELIVERY=worker it sends nothing, and the worker, woken by the commit, sends instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.deliveries import send_soon
from bot.later import InlineExecutor, Later
from bot.services import Services
from handlers.slack.forms import form_error_ack
from messages.slack.help import notice_view

# A trigger_id lives 3 s from Slack's click; leave half a second for the call itself.
TRIGGER_LIFE = 2.5


@dataclass(frozen=True)
class AfterAck:
    slack: Later  # views.open / push / update / publish, respond, chat.postMessage for one person
    deliveries: Later  # outbox DMs and Home tabs right after a change (the worker retries what is left)
    channel: Later  # outbox channel posts right after a change: case cards, their updates and threads
    # False when the worker sends what changes queue (PANELBOT_DELIVERY=worker, bot.deliveries)
    deliver_here: bool = True

    def shutdown(self) -> None:
        for pool in (self.slack, self.channel, self.deliveries):
            pool.shutdown()


def inline_after_ack() -> AfterAck:
    inline = InlineExecutor()
    return AfterAck(Later("slack", 1, 1_000_000, inline), Later("deliveries", 1, 1_000_000, inline),
                    Later("channel", 1, 1_000_000, inline))


def after_ack(app: App) -> AfterAck:
    """The app's pools (set by `handlers.slack.app.create_app`); inline for a plain Bolt app."""
    found = getattr(app, "after_ack", None)
    return found if isinstance(found, AfterAck) else inline_after_ack()


def user_of(body: dict[str, Any]) -> str | None:
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    return user if isinstance(user, str) and user else None


def ack_with_sentence(body: dict[str, Any], text: str) -> dict[str, Any] | None:
    """An ack that carries `text`: ephemeral for a slash command, an inline error on a submitted form;
    None for requests whose ack cannot carry words (buttons, shortcuts, events)."""
    if "command" in body:
        return {"response_type": "ephemeral", "text": text}
    if body.get("type") == "view_submission" and isinstance(body.get("view"), dict):
        return form_error_ack(body["view"], text)
    return None


def open_view(later: AfterAck, client: WebClient, trigger_id: str | None, view: dict[str, Any], *,
              push: bool = False) -> None:
    """views.open (or views.push, over a modal) with `trigger_id`, within its life, off the request thread."""
    if not trigger_id:
        return
    if push:
        later.slack("views.push", lambda: client.views_push(trigger_id=trigger_id, view=view), within=TRIGGER_LIFE)
    else:
        later.slack("views.open", lambda: client.views_open(trigger_id=trigger_id, view=view), within=TRIGGER_LIFE)


def tell(later: AfterAck, body: dict[str, Any], client: WebClient, respond: Callable[..., Any] | None,
         text: str, *, title: str = "panelbot") -> None:
    """Say `text` to the person who pressed a button: only to them, wherever the button was."""
    if respond is not None and (body.get("response_url") or body.get("response_urls")):
        later.slack("respond", lambda: respond(text=text, response_type="ephemeral", replace_original=False))
    elif body.get("type") == "block_actions" and body.get("view") and body.get("trigger_id"):
        open_view(later, client, body["trigger_id"], notice_view(title, text), push=True)
    elif (user := user_of(body)) is not None:
        later.slack("chat.postMessage", lambda: client.chat_postMessage(channel=user, text=text))


def deliver(later: AfterAck, services: Services, case_id: int | None = None) -> None:
    """Send what is due from the outbox (for `case_id`, or everything), off the request thread: the
    channel posts first, then the rest (bot.deliveries.send_soon). Nothing when the worker sends."""
    if later.deliver_here:
        send_soon(later.channel, later.deliveries, services, case_id)
