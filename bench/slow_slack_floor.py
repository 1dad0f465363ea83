"""The floor for bench_slow_slack.py: a bare Bolt app doing the same Slack work, the way Bolt's samples do it.

Five listeners answer the five requests of the benchmark (the case form, `/panel book`, the booking
form, a decision button, the decision form). Each acks at once with what panelbot acks (a small
modal update, or nothing) and then, on Bolt's listener thread as Bolt's samples do, makes the Web
API calls panelbot makes for that step: the case card, the receipt and the team manager's DM; the
booking modal; the booking confirmation and the card's thread; the decision modal; the card update,
the thread post and two DMs. Served by waitress with panelbot's production settings
(`bot.web.SERVER_SETTINGS`), in a process of its own, like `panelbot serve`.

    python bench/slow_slack_floor.py PORT API_URL SIGNING_SECRET
"""

from __future__ import annotations

import sys

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress import serve

from bot.web import SERVER_SETTINGS
from messages.slack.ids import DECIDE_PREFIX, Callback, Command

SMALL_VIEW = {"type": "modal", "title": {"type": "plain_text", "text": "Done"},
              "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Done."}}]}


def floor_app(secret: str, api_url: str) -> App:
    app = App(signing_secret=secret, client=WebClient(token="xoxb-floor", base_url=api_url))  # noqa: S106

    @app.view(Callback.SUBMIT_FORM.value)
    def submitted(ack: Ack, client: WebClient, body: dict) -> None:
        ack(response_action="update", view=SMALL_VIEW)
        for channel in ("C0FORUM001", body["user"]["id"], "U0TOMAS"):
            client.chat_postMessage(channel=channel, text="Case 0000000: a card, a receipt or a notice")

    @app.command(Command.PANEL.value)
    def book(ack: Ack, client: WebClient, command: dict) -> None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=SMALL_VIEW)

    @app.view(Callback.BOOK_FORM.value)
    def booked(ack: Ack, client: WebClient, body: dict) -> None:
        ack(response_action="update", view=SMALL_VIEW)
        client.chat_postMessage(channel=body["user"]["id"], text="Booked")
        client.chat_postMessage(channel="C0FORUM001", thread_ts="1.1", text="Booked")

    @app.action(f"{DECIDE_PREFIX}approved")
    def decide_button(ack: Ack, client: WebClient, body: dict) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=SMALL_VIEW)

    @app.view(Callback.DECISION_FORM.value)
    def decided(ack: Ack, client: WebClient, body: dict) -> None:
        ack()
        client.chat_update(channel="C0FORUM001", ts="1.1", text="Approved")
        client.chat_postMessage(channel="C0FORUM001", thread_ts="1.1", text="Approved")
        for channel in (body["user"]["id"], "U0ANNAAP"):
            client.chat_postMessage(channel=channel, text="Approved")

    return app


if __name__ == "__main__":
    port, api_url, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    serve(SlackRequestHandler(floor_app(secret, api_url)), host="127.0.0.1", port=port,
          **{**SERVER_SETTINGS, "ident": "floor"})
