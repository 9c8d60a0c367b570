"""Where people meet the trackers in Slack: buttons in the action-item list, the "always"
command."""

from __future__ import annotations

from sqlmodel import select

from bot.slack.ids import Action
from storage.tables import Postmortem
from storage.workspace_tables import WorkspaceSetting
from tests.fakes.bot import INCIDENT_CHANNEL, WebhookBot


def test_action_item_list_offers_a_button_per_configured_tracker(
    hooks: WebhookBot, pm_id: int, item_id: int
) -> None:
    bot = hooks.bot
    with bot.session() as session:
        session.get(Postmortem, pm_id).owner_id = "U0ALICE"
        session.commit()
    bot.slack.block_action(
        "U0ALICE", Action.OPEN_ACTION_ITEMS, value=str(pm_id), channel_id=INCIDENT_CHANNEL
    )
    bot.settle()
    view = bot.emu.views[bot.emu.wait_for("views.open")[-1].response["view"]["id"]]
    buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    filing = {(e["action_id"], e["value"]) for e in buttons if e["action_id"].startswith("ai.")}
    assert filing == {(Action.TRACKER_GITHUB, str(item_id)), (Action.TRACKER_JIRA, str(item_id))}


def test_always_command_sets_and_clears_the_workspace_setting(hooks: WebhookBot) -> None:
    bot = hooks.bot

    def say(text: str) -> str:
        reply = bot.slack.command(
            "/postmortem", text=text, user_id="U0ALICE", channel_id=INCIDENT_CHANNEL
        )
        return reply.json()["text"]

    assert "Every new action item will be filed in github" in say("tracker always github")
    with bot.session() as session:
        row = session.exec(select(WorkspaceSetting)).one()
    assert (row.team_id, row.name, row.value) == ("T0001", "tracker.always", "github")
    assert "no longer" in say("tracker always off")
    assert "Usage" in say("tracker sometimes")
    with bot.session() as session:
        assert session.exec(select(WorkspaceSetting)).all() == []
