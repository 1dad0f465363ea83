"""The App Home tab: each person's own, published when they open it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.services import Services
from bot.services.home import home_of
from handlers.slack.replies import after_ack
from messages.slack.home import home_view


def register(app: App, services: Services) -> None:
    later = after_ack(app)

    @app.event("app_home_opened")
    def publish_home(event: dict[str, Any], client: WebClient) -> None:
        user = event.get("user")
        if event.get("tab") == "home" and isinstance(user, str):
            later.slack("views.publish", lambda: client.views_publish(user_id=user, view=home_view(home_of(services,
                                                                                                          user))))
