"""Configuration from the environment (and a `.env` file beside the process)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///./postmortem.db"
# What the bot asks for on install (the manifest's bot scopes).
DEFAULT_SCOPES = (
    "app_mentions:read", "channels:history", "channels:read", "chat:write", "commands",
    "files:write", "groups:history", "groups:read", "im:write", "reactions:read", "users:read",
)
LOG_FORMATS = ("text", "json")
# Variables whose values are credentials, by name: never to be logged (bot/observability/logs).
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|CREDENTIAL")


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it in one line."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    # OAuth (multi-workspace) mode: set both, and no SLACK_BOT_TOKEN (bot/slack/installs.py).
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_scopes: tuple[str, ...] = DEFAULT_SCOPES
    # Where Slack sends the browser back; unset: the app's first configured Redirect URL.
    slack_redirect_uri: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    config_path: Path | None = None
    templates_dir: Path | None = None
    archive_dir: Path = Path("docs/operations/post-mortems")
    announce_channel: str = "#engineering"
    incidents_channel: str | None = None
    timeline_reaction: str = "pushpin"
    extra: Mapping[str, str] = field(default_factory=dict)
    log_format: str = "text"
    log_level: str | None = None
    # Credential values found in the environment by variable name (see SECRET_NAME).
    named_secrets: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
        """Read the process environment; values from `.env` fill what the environment lacks."""
        values: dict[str, str] = {}
        dotenv_path = dotenv if dotenv is not None else Path(".env")
        if dotenv_path.is_file():
            from dotenv import dotenv_values

            values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        values.update(os.environ if env is None else env)

        def get(name: str) -> str | None:
            value = values.get(name, "").strip()
            return value or None

        log_format = (get("LOG_FORMAT") or "text").lower()
        if log_format not in LOG_FORMATS:
            raise ConfigError(f"LOG_FORMAT must be text or json, not {log_format!r}")
        api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
        if not api_url.endswith("/"):
            api_url += "/"
        return cls(
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_app_token=get("SLACK_APP_TOKEN"),
            slack_client_id=get("SLACK_CLIENT_ID"),
            slack_client_secret=get("SLACK_CLIENT_SECRET"),
            slack_scopes=tuple(
                s.strip() for s in (get("SLACK_SCOPES") or "").split(",") if s.strip()
            ) or DEFAULT_SCOPES,
            slack_redirect_uri=get("SLACK_REDIRECT_URI"),
            slack_api_url=api_url,
            database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            config_path=_path(get("POSTMORTEM_CONFIG")),
            templates_dir=_path(get("POSTMORTEM_TEMPLATES_DIR")),
            archive_dir=_path(get("POSTMORTEM_ARCHIVE_DIR"))
            or Path("docs/operations/post-mortems"),
            announce_channel=get("POSTMORTEM_ANNOUNCE_CHANNEL") or "#engineering",
            incidents_channel=get("POSTMORTEM_INCIDENTS_CHANNEL"),
            timeline_reaction=(get("POSTMORTEM_TIMELINE_REACTION") or "pushpin").strip(":"),
            extra={
                k: v
                for k, v in values.items()
                if k.startswith(
                    ("GITHUB_", "JIRA_", "PAGERDUTY_", "OPSGENIE_", "INCIDENT_WEBHOOK_",
                     "POSTMORTEM_ARCHIVE_REPO", "POSTMORTEM_ARCHIVE_BRANCH")
                )
            },
            log_format=log_format,
            log_level=get("LOG_LEVEL"),
            named_secrets=tuple(
                v.strip() for k, v in values.items() if SECRET_NAME.search(k) and v.strip()
            ),
        )

    def secret_values(self) -> set[str]:
        """Every credential this process holds: tokens, signing and webhook secrets, the
        database password. Logging redacts them (bot/observability/logs.py)."""
        values = {self.slack_bot_token, self.slack_signing_secret, self.slack_app_token,
                  self.slack_client_secret}
        values.update(v for k, v in self.extra.items() if SECRET_NAME.search(k))
        values.update(self.named_secrets)
        values.add(_url_password(self.database_url))
        return {v for v in values if v}

    @property
    def oauth(self) -> bool:
        """Many workspaces, each installed through /slack/install with its own token. A bot
        token, when set, keeps the simple single-workspace mode."""
        return bool(self.slack_client_id and self.slack_client_secret and not self.slack_bot_token)

    @property
    def slack_authorize_url(self) -> str:
        """Slack's OAuth page, beside its Web API (so SLACK_API_URL aims both elsewhere)."""
        return self.slack_api_url.removesuffix("api/") + "oauth/v2/authorize"

    def require_slack(self) -> None:
        """Serving needs a bot token (or OAuth client credentials) and the signing secret;
        say which one is missing."""
        credentials = (
            [("SLACK_CLIENT_ID", self.slack_client_id),
             ("SLACK_CLIENT_SECRET", self.slack_client_secret)]
            if (self.slack_client_id or self.slack_client_secret) and not self.slack_bot_token
            else [("SLACK_BOT_TOKEN", self.slack_bot_token)]
        )
        for name, value in (
            *credentials,
            ("SLACK_SIGNING_SECRET", self.slack_signing_secret),
        ):
            if not value:
                raise ConfigError(f"{name} is not set: export it or put it in .env")


def _url_password(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).password
    except Exception:  # not a URL SQLAlchemy reads; make_engine will say so
        return None


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None
