"""Which mode the environment asks for: one bot token, or OAuth for many workspaces."""

from __future__ import annotations

import pytest

from bot.settings import DEFAULT_SCOPES, ConfigError, Settings


def settings(**env: str) -> Settings:
    return Settings.from_env({"SLACK_SIGNING_SECRET": "s", **env})


def test_client_credentials_without_a_bot_token_mean_oauth() -> None:
    s = settings(SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="cs",
                 SLACK_API_URL="http://127.0.0.1:9/api")
    assert s.oauth and s.slack_scopes == DEFAULT_SCOPES
    assert s.slack_authorize_url == "http://127.0.0.1:9/oauth/v2/authorize"
    s.require_slack()
    assert "cs" in s.secret_values()


def test_a_bot_token_keeps_the_single_workspace_default() -> None:
    s = settings(SLACK_BOT_TOKEN="xoxb-1", SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="cs")
    assert not s.oauth
    s.require_slack()


def test_half_of_the_client_credentials_is_named() -> None:
    with pytest.raises(ConfigError, match="SLACK_CLIENT_SECRET"):
        settings(SLACK_CLIENT_ID="1.2").require_slack()
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        settings().require_slack()
    assert settings(SLACK_SCOPES="chat:write, commands").slack_scopes == ("chat:write",
                                                                          "commands")


def test_a_webhooks_workspace_per_tool_or_by_default() -> None:
    from types import SimpleNamespace
    from typing import Any

    from bot.http.webhooks.base import Rejected
    from bot.http.webhooks.intake import webhook_team

    def deps(installed: bool, **extra: str) -> Any:
        return SimpleNamespace(settings=Settings(extra=extra),
                               installs=object() if installed else None)

    both = {"INCIDENT_WEBHOOK_TEAM": "T0001", "INCIDENT_WEBHOOK_TEAM_INCIDENT_IO": "T0ACME"}
    assert webhook_team(deps(True, **both), "incident.io") == "T0ACME"
    assert webhook_team(deps(True, **both), "pagerduty") == "T0001"
    assert webhook_team(deps(False), "pagerduty") is None  # one workspace: none needed
    with pytest.raises(Rejected):
        webhook_team(deps(True), "pagerduty")
