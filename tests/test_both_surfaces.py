"""One deployment, both surfaces: `panelbot serve` with Slack and Teams settings answers Slack on
/slack/events and Teams on /api/messages, against one database, each checking its own signatures."""

import json
import time

import pytest

from handlers.teams.standin import APP_SECRET, BOT_APP_ID, TeamsStandIn
from tests.serving import panelbot_serve, request


@pytest.fixture
def teams_standin():
    standin = TeamsStandIn().start()
    yield standin
    standin.stop()


def test_one_serve_answers_slack_and_teams_and_refuses_each_ones_forgeries(slack, signer, teams_standin, tmp_path):
    person = teams_standin.add_user("Priya Shah")
    with panelbot_serve(slack.api_url, tmp_path, TEAMS_APP_ID=BOT_APP_ID, TEAMS_APP_PASSWORD=APP_SECRET,
                        TEAMS_TOKEN_URL=teams_standin.token_url(),
                        TEAMS_METADATA_URL=teams_standin.metadata_url) as served:
        # Slack: a signed /panel help is answered; Teams: a signed "help" typed to the bot is answered.
        help_command = signer.command("U0PRIYA", "help")
        assert request(served.port, "POST", "/slack/events", help_command.body, help_command.headers)[0] == 200
        activity = teams_standin.message_from(person, "help")
        status, _ = request(served.port, "POST", "/api/messages", json.dumps(activity),
                            {**teams_standin.sign_activity(activity), "Content-Type": "application/json"})
        assert status == 200
        deadline = time.monotonic() + 10  # the reply goes after the answer, as in Slack
        while not teams_standin.sent_to(person) and time.monotonic() < deadline:
            time.sleep(0.05)
        replies = teams_standin.sent_to(person)
        assert replies and "submit" in json.dumps(replies).lower()
        # Each surface refuses what the other (or nobody) signed, and nothing more is sent.
        assert request(served.port, "POST", "/api/messages", json.dumps(activity),
                       {"Authorization": "Bearer not-a-token", "Content-Type": "application/json"})[0] in (401, 403)
        assert request(served.port, "POST", "/slack/events", json.dumps(activity),
                       teams_standin.sign_activity(activity))[0] == 401
        assert len(teams_standin.sent_to(person)) == len(replies)
        assert request(served.port, "GET", "/healthz")[0] == 200
        assert request(served.port, "GET", "/nowhere")[0] == 404
        log = served.new_log()
        assert "serving /api/messages and /slack/events" in log
        assert "Priya" not in log and "Shah" not in log  # names never reach the log; known command words do
        assert "kind=teams:message id=help outcome=200" in log
