"""The App Home tab, published when a person opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.services import Services
from messages.help import home_view


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def publish_home(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") == "home":
            client.views_publish(user_id=event["user"], view=home_view())
