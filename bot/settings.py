"""Settings from the environment (and a `.env` file), validated once at start-up.

`load_settings()` turns any problem into one `ConfigError` line that names the setting and says how
to fix it; commands then ask `require(...)` for what they need (Socket Mode needs the app token,
HTTP mode does not).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.errors import ConfigError

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

SLACK_API_URL = "https://slack.com/api/"
# Microsoft's Bot Framework: where its signing keys are published, and where a multi-tenant bot gets its token.
TEAMS_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
TEAMS_TOKEN_URL = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"  # noqa: S105 (a URL)
# Microsoft Graph (Entra groups' members, people's display names) and where its app-only tokens come from.
TEAMS_GRAPH_URL = "https://graph.microsoft.com/"
TEAMS_LOGIN_URL = "https://login.microsoftonline.com/"
DEFAULT_DATABASE_URL = "sqlite:///panelbot.db"

# How to fix each setting, shown when it is missing or malformed.
HOW_TO_FIX = {
    "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page",
    "SLACK_SIGNING_SECRET": "the Signing Secret from your Slack app's Basic Information page",
    "SLACK_APP_TOKEN": "an App-Level Token (xapp-…) with connections:write, from Basic Information",
    "SLACK_API_URL": "the Web API base URL, e.g. https://slack.com/api/ (GovSlack: https://slack-gov.com/api/)",
    "TEAMS_APP_ID": "the bot's Microsoft App ID (a GUID) from its Azure Bot resource, Configuration page",
    "TEAMS_APP_PASSWORD": "a client secret of that app registration (Certificates & secrets)",
    "TEAMS_TOKEN_URL": "https://login.microsoftonline.com/<tenant id>/oauth2/v2.0/token for a single-tenant bot "
                       "(the default is the multi-tenant botframework.com one)",
    "TEAMS_METADATA_URL": "the Bot Framework's OpenID metadata URL (leave unset)",
    "TEAMS_TENANT_ID": "your council's Microsoft Entra tenant ID (a GUID: Entra admin centre, Overview): panelbot "
                       "answers people of that organisation only, and reads Entra groups' members and people's "
                       "names from Microsoft Graph",
    "TEAMS_GRAPH_URL": "Microsoft Graph's root, https://graph.microsoft.com/ (leave unset; a national cloud has "
                       "its own)",
    "TEAMS_LOGIN_URL": "Microsoft Entra ID's sign-in root, https://login.microsoftonline.com/ (leave unset; a "
                       "national cloud has its own)",
    "DATABASE_URL": "e.g. sqlite:///panelbot.db or postgresql://user@host/panelbot",
    "DATABASE_MIGRATION_URL": "the URL of the PostgreSQL role that owns the tables, used only by `panelbot db "
                              "upgrade` (e.g. postgresql://panelbot_owner@host/panelbot); unset means DATABASE_URL",
    "PANELBOT_AUDIT_KEY": "a random secret of at least 32 characters kept outside the database (e.g. the output "
                          "of `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`); it signs the audit "
                          "chain, so keep it and never change it",
    "PANELBOT_POLICY": "the path of your council's policy file (TOML); unset means the shipped default",
    "PANELBOT_DELIVERY": "worker (the worker sends what changes queue, woken by PostgreSQL at once; the default "
                         "on PostgreSQL) or web (the web process sends them after its answer; the default on SQLite)",
    "PANELBOT_CLAIM_TIMEOUT": "seconds a claimed message or reminder is held before another process may take it "
                              "over (after looking in Slack), e.g. 120",
    "PORT": "the HTTP port for `panelbot serve`, 1-65535",
    "LOG_LEVEL": "one of DEBUG, INFO, WARNING, ERROR",
    "LOG_FORMAT": "text or json",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = SLACK_API_URL
    teams_app_id: str | None = None
    teams_app_password: SecretStr | None = None
    teams_token_url: str = TEAMS_TOKEN_URL
    teams_metadata_url: str = TEAMS_METADATA_URL
    teams_tenant_id: str | None = None
    teams_graph_url: str = TEAMS_GRAPH_URL
    teams_login_url: str = TEAMS_LOGIN_URL
    database_url: str = DEFAULT_DATABASE_URL
    database_migration_url: str | None = None
    panelbot_audit_key: SecretStr | None = None
    panelbot_policy: Path | None = None
    panelbot_delivery: Literal["web", "worker"] | None = None
    panelbot_claim_timeout: float = Field(default=120.0, gt=0, le=86_400)
    port: int = Field(default=3000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("teams_app_id", "teams_tenant_id")
    @classmethod
    def _teams_guid(cls, value: str | None) -> str | None:
        if value is not None and not _GUID.fullmatch(value.strip()):
            raise ValueError("is not a GUID")
        return value.strip() if value is not None else None

    @field_validator("teams_token_url", "teams_metadata_url")
    @classmethod
    def _https_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("teams_graph_url", "teams_login_url")
    @classmethod
    def _root_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None

    @property
    def teams_enabled(self) -> bool:
        return self.teams_app_id is not None

    @property
    def worker_delivers(self) -> bool:
        """Whether the worker, not the web process, sends what changes queue (bot.deliveries):
        PANELBOT_DELIVERY, by default the worker on PostgreSQL and the web process on SQLite."""
        if self.panelbot_delivery is not None:
            return self.panelbot_delivery == "worker"
        return make_url(self.database_url).get_backend_name() == "postgresql"

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token", "teams_app_password")
    @classmethod
    def _not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty signing secret would make every signature "valid" for an empty key.
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("is set but empty")
        return value

    @field_validator("panelbot_audit_key")
    @classmethod
    def _audit_key_strength(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < 32:
            raise ValueError("is shorter than 32 characters")
        return value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must start with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must start with xapp-")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url", "database_migration_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants a driver name.
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("is not a database URL") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("panelbot_policy")
    @classmethod
    def _policy_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    def require(self, *names: str) -> None:
        """Raise one ConfigError listing every named setting that is not set."""
        missing = [name.upper() for name in names if getattr(self, name) is None]
        if missing:
            raise ConfigError("missing setting(s): " + "; ".join(f"{n} ({HOW_TO_FIX[n]})" for n in missing))

    def secret(self, name: str) -> str:
        value = getattr(self, name)
        return value.get_secret_value() if value is not None else ""


def load_settings(env_file: str | os.PathLike[str] | None = ".env", **overrides: Any) -> Settings:
    """Read and validate the settings; any problem becomes one ConfigError line naming the setting.
    `overrides` are raw values (a str for a secret, say), validated like the environment's."""
    try:
        # pydantic's dataclass_transform shows mypy only the fields, not BaseSettings' own `_env_file`.
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "settings"
        reason = error["msg"].removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{name} {reason}{more}: set it to {HOW_TO_FIX.get(name, 'a valid value')}") from None
