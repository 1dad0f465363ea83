"""The App Home tab."""

import json

from tests.conftest import dispatch


def test_opening_the_home_tab_publishes_how_to_use_panelbot(app, signer, slack):
    response = dispatch(app, signer.event({"type": "app_home_opened", "user": "U0PRIYA", "tab": "home"}))
    assert response.status == 200
    [call] = slack.calls_to("views.publish")
    assert call.args["user_id"] == "U0PRIYA"
    view = json.loads(call.args["view"]) if isinstance(call.args["view"], str) else call.args["view"]
    assert view["type"] == "home"
    assert "/panel help" in json.dumps(view)


def test_opening_the_messages_tab_publishes_nothing(app, signer, slack):
    assert dispatch(app, signer.event({"type": "app_home_opened", "user": "U0PRIYA", "tab": "messages"})).status == 200
    assert slack.calls_to("views.publish") == []
