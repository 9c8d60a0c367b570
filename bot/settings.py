"""Configuration from the environment (and a `.env` file beside the process)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///./postmortem.db"


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it in one line."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    config_path: Path | None = None
    templates_dir: Path | None = None
    archive_dir: Path = Path("docs/operations/post-mortems")
    announce_channel: str = "#engineering"
    incidents_channel: str | None = None
    timeline_reaction: str = "pushpin"
    extra: Mapping[str, str] = field(default_factory=dict)

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

        api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
        if not api_url.endswith("/"):
            api_url += "/"
        return cls(
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_app_token=get("SLACK_APP_TOKEN"),
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
        )

    def require_slack(self) -> None:
        """Serving needs the bot token and the signing secret; say which one is missing."""
        for name, value in (
            ("SLACK_BOT_TOKEN", self.slack_bot_token),
            ("SLACK_SIGNING_SECRET", self.slack_signing_secret),
        ):
            if not value:
                raise ConfigError(f"{name} is not set: export it or put it in .env")


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None
