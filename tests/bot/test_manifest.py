"""The Slack app manifest is valid for Slack, and every id the bot uses has a listener."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.slack.ids import Action, Callback, Command
from tests.harness import Harness

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "tests" / "vendor" / "slack_manifest_schema"


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_validates_against_slacks_schema() -> None:
    schema = json.loads((SCHEMAS / "manifest.schema.1.0.0.json").read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(manifest()), key=str)
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def test_manifest_routes_everything_to_one_request_url() -> None:
    m = manifest()
    settings = m["settings"]
    urls = {
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *(c["url"] for c in m["features"]["slash_commands"]),
    }
    assert len(urls) == 1 and urls.pop().endswith("/slack/events")
    assert [c["command"] for c in m["features"]["slash_commands"]] == [Command.POSTMORTEM.value]
    shortcuts = {s["callback_id"] for s in m["features"]["shortcuts"]}
    assert Callback.SHORTCUT_TIMELINE.value in shortcuts
    assert "reaction_added" in settings["event_subscriptions"]["bot_events"]
    scopes = set(m["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "reactions:read", "files:write", "users:read"} <= scopes


@pytest.mark.parametrize("action_id", [a.value for a in Action])
def test_every_action_id_has_a_listener(bot: Harness, action_id: str) -> None:
    # Bolt answers 404 for a request no listener matches.
    response = bot.slack.block_action("U0ALICE", action_id, value="999999", channel_id="C0INCIDENT")
    bot.settle()
    assert response.status != 404


@pytest.mark.parametrize(
    "callback_id",
    [c.value for c in Callback if c is not Callback.SHORTCUT_TIMELINE],
)
def test_every_view_callback_has_a_listener(bot: Harness, callback_id: str) -> None:
    view = {
        "id": "VFAKE",
        "hash": "h",
        "callback_id": callback_id,
        "type": "modal",
        "private_metadata": json.dumps({"pm_id": 999999}),
        "blocks": [],
        "title": {"type": "plain_text", "text": "x"},
    }
    response = bot.slack.view_submission("U0ALICE", view, {}, apply_response=False)
    bot.settle()
    assert response.status != 404
