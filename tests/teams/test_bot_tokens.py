"""panelbot's bot token for the Bot Connector: fetched by client credentials, kept until shortly before it
expires, fetched once however many threads ask at the same time, and its failures say whether to retry."""

import threading
from datetime import UTC, datetime

import pytest

from handlers.teams.auth import BotTokenError, BotTokens
from handlers.teams.standin import APP_SECRET, BOT_APP_ID, TENANT_ID, TeamsStandIn

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC).timestamp()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def teams(clock):
    server = TeamsStandIn(clock=clock).start()
    yield server
    server.stop()


@pytest.fixture
def tokens(teams, clock):
    return BotTokens(BOT_APP_ID, APP_SECRET, token_url=teams.token_url(), clock=clock)


def test_the_token_is_fetched_once_and_reused(tokens, teams):
    first = tokens.token()
    assert tokens.token() == first
    [call] = teams.calls_to("token")
    assert call.body == {"grant_type": "client_credentials", "client_id": BOT_APP_ID, "client_secret": APP_SECRET,
                         "scope": "https://api.botframework.com/.default"}


def test_a_token_is_replaced_five_minutes_before_it_expires(tokens, teams, clock):
    first = tokens.token()  # the stand-in's tokens live 3,599 seconds
    clock.now += 3599 - 301
    assert tokens.token() == first
    clock.now += 2
    second = tokens.token()
    assert second != first
    assert len(teams.calls_to("token")) == 2


def test_a_short_lived_token_is_kept_for_half_its_life(tokens, teams, clock):
    teams.token_lifetime = 120
    first = tokens.token()
    clock.now += 59
    assert tokens.token() == first
    clock.now += 2
    assert tokens.token() != first


def test_after_the_connector_refuses_a_token_it_is_forgotten(tokens, teams):
    first = tokens.token()
    tokens.forget()
    assert tokens.token() != first
    assert len(teams.calls_to("token")) == 2


def test_threads_asking_at_once_share_one_fetch(tokens, teams):
    teams.delays["token"] = 0.2
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(tokens.token())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(got)) == 1 and len(got) == 8
    assert len(teams.calls_to("token")) == 1


def test_a_single_tenant_bot_uses_its_tenants_token_url(teams, clock):
    tokens = BotTokens(BOT_APP_ID, APP_SECRET, token_url=teams.token_url(TENANT_ID), clock=clock)
    assert tokens.token()
    assert teams.calls_to("token")[0].path == f"/{TENANT_ID}/oauth2/v2.0/token"


def test_a_wrong_secret_is_permanent_and_the_secret_is_not_in_the_error(teams, clock):
    tokens = BotTokens(BOT_APP_ID, "not-the-secret", token_url=teams.token_url(), clock=clock)
    with pytest.raises(BotTokenError) as refused:
        tokens.token()
    assert refused.value.permanent
    assert "invalid_client" in str(refused.value) and "401" in str(refused.value)
    assert "not-the-secret" not in str(refused.value)


def test_an_unknown_app_or_tenant_is_permanent(teams, clock):
    for tokens in (BotTokens("11111111-2222-3333-4444-555555555555", APP_SECRET, token_url=teams.token_url(),
                             clock=clock),
                   BotTokens(BOT_APP_ID, APP_SECRET, token_url=teams.token_url("no-such-tenant"), clock=clock)):
        with pytest.raises(BotTokenError) as refused:
            tokens.token()
        assert refused.value.permanent


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_busy_or_failing_token_endpoint_is_worth_retrying(tokens, teams, status):
    teams.fail_next("token", status=status)
    with pytest.raises(BotTokenError) as refused:
        tokens.token()
    assert not refused.value.permanent
    assert tokens.token()


def test_a_dropped_connection_is_worth_retrying(tokens, teams):
    teams.drop_next("token")
    with pytest.raises(BotTokenError) as refused:
        tokens.token()
    assert not refused.value.permanent


def test_an_unreachable_token_endpoint_is_worth_retrying(clock):
    teams = TeamsStandIn(clock=clock).start()
    url = teams.token_url()
    teams.stop()
    with pytest.raises(BotTokenError) as refused:
        BotTokens(BOT_APP_ID, APP_SECRET, token_url=url, clock=clock, timeout=2).token()
    assert not refused.value.permanent


def test_credentials_and_an_http_token_url_are_required():
    with pytest.raises(ValueError, match="app_secret"):
        BotTokens(BOT_APP_ID, "")
    with pytest.raises(ValueError, match="token_url"):
        BotTokens(BOT_APP_ID, APP_SECRET, token_url="file:///tmp/token")
