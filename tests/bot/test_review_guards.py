"""Review at the edges: other workspaces and non-editors are refused with nothing stored, user
text mentions nobody, lists stay within Slack's limits, a double submit saves once."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.slack.ids import Action
from bot.slack.review.views import COMMENT, COMMENT_MAX, OVERRIDE, OVERRIDE_MAX
from storage.tables import ActionItem, AuditEvent, Document, Postmortem, ReviewDecision
from tests.bot.test_review_publish import make_postmortem, open_checklist, publish_via_slack
from tests.harness import Harness

OUTSIDE = "T0OTHER"
BROADCASTS = ("<!channel>", "<!here>", "<!everyone>", "<@U0DAN>")


def typed(value: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


def stored(bot: Harness, pm_id: int) -> tuple[str, int, int, int]:
    """(status, documents, review decisions, audit events) of the post-mortem."""
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        docs = session.exec(select(Document).where(Document.postmortem_id == pm_id)).all()
        decisions = session.exec(select(ReviewDecision)).all()
        events = session.exec(select(AuditEvent).where(AuditEvent.postmortem_id == pm_id)).all()
    return pm.status, len(docs), len(decisions), len(events)


def dms_to(bot: Harness, *users: str) -> list:
    return [c for c in bot.emu.calls_to("chat.postMessage") if c.args.get("channel") in users]


def submitted(bot: Harness, pm_id: int) -> None:
    assert bot.slack.view_submission("U0ALICE", open_checklist(bot, pm_id), {}).status == 200
    bot.settle()


def test_another_workspace_and_a_non_editor_cannot_submit(bot: Harness) -> None:
    pm_id = make_postmortem(bot, team_id="T0001")
    before = stored(bot, pm_id)
    view = open_checklist(bot, pm_id)
    outsider = bot.slack.for_team(OUTSIDE)
    for client, user in ((outsider, "U0ALICE"), (bot.slack, "U0DAN")):
        response = client.view_submission(user, view, {}, apply_response=False)
        assert response.status == 200
        bot.settle()
    assert stored(bot, pm_id) == before == ("draft", 0, 0, 1)
    assert dms_to(bot, "U0BOB", "U0CAROL") == []
    # A form with nothing to mark is closed, and the refusal told in a DM.
    told = [m["text"] for u in ("U0ALICE", "U0DAN") for m in bot.emu.messages(u)]
    assert any("another workspace" in t for t in told)
    assert any("Only the post-mortem" in t for t in told)
    # Nor can they open the checklist.
    opened = len(bot.emu.calls_to("views.open"))
    outsider.block_action("U0ALICE", Action.REVIEW_OPEN, value=str(pm_id),
                          channel_id="C0INCIDENT")
    bot.settle()
    assert len(bot.emu.calls_to("views.open")) == opened


def test_another_workspace_and_a_non_reviewer_cannot_decide(bot: Harness) -> None:
    pm_id = make_postmortem(bot, team_id="T0001")
    submitted(bot, pm_id)
    bot.slack.block_action("U0BOB", Action.REVIEW_REQUEST_CHANGES, value=str(pm_id))
    bot.settle()
    changes = bot.emu.views[bot.emu.wait_for("views.open")[-1].response["view"]["id"]]
    before = stored(bot, pm_id)
    outsider = bot.slack.for_team(OUTSIDE)
    outsider.block_action("U0BOB", Action.REVIEW_APPROVE, value=str(pm_id),
                          channel_id=bot.emu.im_channel("U0BOB"))
    bot.settle()
    for client, user in ((outsider, "U0BOB"), (bot.slack, "U0DAN")):
        body = client.view_submission(user, changes, {COMMENT: typed("Nope")},
                                      apply_response=False).json()
        assert body["response_action"] == "errors" and COMMENT in body["errors"]
    bot.slack.block_action("U0DAN", Action.REVIEW_APPROVE, value=str(pm_id))
    bot.settle()
    assert stored(bot, pm_id) == before
    assert stored(bot, pm_id)[0] == "in_review"
    uploads = len(bot.emu.uploaded_files)
    outsider.block_action("U0ALICE", Action.PREVIEW, value=str(pm_id), channel_id="C0INCIDENT")
    bot.settle()
    assert len(bot.emu.uploaded_files) == uploads


def mrkdwn_texts(message: dict[str, Any]) -> list[str]:
    """The `text` field and every mrkdwn text in the blocks: what Slack parses for mentions."""
    found = [str(message.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(str(node.get("text")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks") or [])
    return found


def test_typed_mentions_reach_nobody(bot: Harness) -> None:
    title = "Checkout <!channel> down <!here> <!everyone> <@U0DAN>"
    pm_id = make_postmortem(bot, title=title)
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        pm.root_cause = "Deploys skip <!channel> load tests"
        session.commit()
    publish_via_slack(bot, pm_id)
    sent = dms_to(bot, "U0BOB", "U0CAROL", "#engineering")
    assert len(sent) == 3
    for call in sent:
        for text in mrkdwn_texts(call.args):
            assert not any(b in text for b in BROADCASTS[:3]), text
    summary = next(c for c in sent if c.args["channel"] == "#engineering").args
    assert "&lt;!channel&gt;" in summary["text"]
    assert "<@U0DAN>" not in summary["text"]


def test_checklist_stays_within_slacks_limits_with_500_findings(bot: Harness) -> None:
    pm_id = make_postmortem(bot, complete=False)
    now = bot.clock()
    with bot.session() as session:
        for n in range(1, 501):
            session.add(ActionItem(postmortem_id=pm_id, number=n, owner_id="U0DAN",
                                   priority="P1", category="Prevention",
                                   title="Improve monitoring", created_at=now, updated_at=now))
        session.commit()
    view = open_checklist(bot, pm_id)  # the emulator refuses a view over 100 blocks
    assert len(view["blocks"]) <= 100
    override = next(b for b in view["blocks"] if b.get("block_id") == OVERRIDE)
    assert override["element"]["max_length"] == OVERRIDE_MAX
    assert f"{OVERRIDE_MAX:,} characters" in override["hint"]["text"]
    bot.slack.view_submission("U0ALICE", view, {OVERRIDE: typed("Comms first; fix later")})
    bot.settle()
    assert stored(bot, pm_id)[:2] == ("in_review", 1)
    requests = dms_to(bot, "U0BOB", "U0CAROL")
    assert len(requests) == 2 and all(c.ok for c in requests)


def test_overlong_comment_is_refused_at_its_field(bot: Harness) -> None:
    pm_id = make_postmortem(bot)
    submitted(bot, pm_id)
    bot.slack.block_action("U0BOB", Action.REVIEW_REQUEST_CHANGES, value=str(pm_id))
    bot.settle()
    view = bot.emu.views[bot.emu.wait_for("views.open")[-1].response["view"]["id"]]
    field = view["blocks"][0]
    assert field["element"]["max_length"] == COMMENT_MAX
    assert f"{COMMENT_MAX:,} characters" in field["hint"]["text"]
    body = bot.slack.view_submission("U0BOB", view, {COMMENT: typed("x" * (COMMENT_MAX + 1))},
                                     apply_response=False).json()
    assert body["response_action"] == "errors" and COMMENT in body["errors"]
    assert stored(bot, pm_id)[0] == "in_review"


def test_a_double_submit_saves_once(bot: Harness) -> None:
    pm_id = make_postmortem(bot)
    view = open_checklist(bot, pm_id)
    for _ in range(2):
        assert bot.slack.view_submission("U0ALICE", view, {}, apply_response=False).status == 200
    bot.settle()
    status, documents, _, _ = stored(bot, pm_id)
    assert (status, documents) == ("in_review", 1)
    assert len(dms_to(bot, "U0BOB", "U0CAROL")) == 2
    assert not [m for m in bot.emu.ephemeral_messages if "went wrong" in m["text"]]


def test_approving_twice_records_one_approval(bot: Harness) -> None:
    pm_id = make_postmortem(bot)
    submitted(bot, pm_id)
    for _ in range(2):
        bot.slack.block_action("U0BOB", Action.REVIEW_APPROVE, value=str(pm_id),
                               channel_id=bot.emu.im_channel("U0BOB"))
        bot.settle()
    with bot.session() as session:
        approvals = session.exec(select(ReviewDecision)).all()
    assert [(d.reviewer_id, d.decision) for d in approvals] == [("U0BOB", "approved")]
