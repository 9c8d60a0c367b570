"""`postmortem-bot demo --out DIR`: one complete post-mortem, offline.

The real bot (HTTP server, Bolt listeners, database) talks to the built-in Slack emulator;
a scripted team clicks through every step — start, details, timeline from channel messages
with their milestones, 5 Whys and contributing factors, impact, learnings, action items, the
"More" menu's sections, review, sign-off and the ARB checklist. What no modal asks yet (the
impact's wider effects, and the names the bot resolved) is written through storage, as the
bot will once one does.

DIR keeps the database (`DIR/postmortem.db`, so `postmortem-bot render` works on it) and the
document in every built-in template (`DIR/<template>.md`)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.demo_inputs import CHANNEL, CHANNELS, TEAM, inputs_without_modals, write_documents
from bot.demo_sections import (
    arb_step,
    details_extras,
    more_step,
    pick,
    plain,
    timeline_step,
    when,
)
from bot.deps import build_deps
from bot.http.server import HttpServer
from bot.http.wsgi import create_wsgi_app
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.background import Background
from bot.slack.forms import at_inputs
from bot.slack.ids import Action, Block, DetailsField
from bot.slack.ids import ActionItemField as Field
from bot.slack.modals import impact, learnings, whys
from bot.slack.review.views import OVERRIDE
from flows.policy import Policy
from slack_emulator.server import SlackEmulator
from slack_emulator.signing import SignedSlackClient
from storage.db import SessionFactory, migrate

DB_NAME = "postmortem.db"
# The archive folder the publishing step writes to, inside DIR.
ARCHIVE = "archive"


class Demo:
    def __init__(
        self, emu: SlackEmulator, slack: SignedSlackClient, pool: Background,
        sessions: SessionFactory,
    ):
        self.emu, self.slack, self.pool, self.sessions = emu, slack, pool, sessions

    def settle(self) -> None:
        if not self.pool.wait_idle(timeout=20):
            raise RuntimeError("the bot did not finish what a click set off")

    def click(self, user: str, action: str, value: str, **kw: Any) -> None:
        self.slack.block_action(user, action, value=value, **kw)
        self.settle()

    def opened_view(self) -> dict[str, Any]:
        call = self.emu.calls_to("views.open")[-1]
        return self.emu.views[call.response["view"]["id"]]

    def submit(self, user: str, view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        # Typed into the inputs the view has now: some are renewed at each add.
        now = self.emu.views.get(view["id"], view)
        response = self.slack.view_submission(user, view, at_inputs(now, values)).json() or {}
        self.settle()
        if response.get("response_action") == "errors":
            raise RuntimeError(f"the demo's input was refused: {response['errors']}")
        return response


def run_demo(out: str, say: Callable[[str], None] = print) -> int:
    """Run the scripted post-mortem; DIR gets the database and one document per template."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm"):
        (folder / stale).unlink(missing_ok=True)
    database_url = f"sqlite:///{(folder / DB_NAME).resolve()}"
    started = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=3)
    with SlackEmulator(post_burst=50) as emu:
        for user_id, name, tz in TEAM:
            emu.add_user(user_id, name, tz=tz)
        emu.add_channel(CHANNEL, CHANNELS[CHANNEL], members=[u for u, _, _ in TEAM])
        emu.add_channel("C0ENG", CHANNELS["C0ENG"], members=[u for u, _, _ in TEAM])
        settings = Settings(
            slack_bot_token=emu.bot_token,
            slack_signing_secret=secrets.token_hex(16),
            slack_api_url=emu.api_url,
            database_url=database_url,
            archive_dir=folder / ARCHIVE,
        )
        deps = build_deps(settings)
        deps.policy = Policy(roles={"engineering_manager": "U0CAROL"})
        migrate(deps.engine)
        pool = deps.background
        app = create_app(deps)
        server = HttpServer(create_wsgi_app(deps, app), host="127.0.0.1", port=0).start()
        try:
            slack = SignedSlackClient(server.url, settings.slack_signing_secret or "", emu)
            pm_id = script(Demo(emu, slack, pool, deps.sessions), started, say)
            written = write_documents(deps.sessions, pm_id, folder, now=deps.now())
        finally:
            server.stop()
            pool.shutdown(wait=True)
            deps.engine.dispose()
    say(f"\nThe database is {folder / DB_NAME}; the published version is archived in "
        f"{folder / ARCHIVE}; the post-mortem in every built-in template: "
        + ", ".join(str(p) for p in written) + ".")
    say(f"Render it again: DATABASE_URL={database_url} postmortem-bot render {pm_id}")
    return 0


def script(demo: Demo, started: datetime, say: Callable[[str], None]) -> int:
    """The team's clicks, in order; returns the post-mortem's id."""
    emu, slack = demo.emu, demo.slack
    say("1. alice types `/postmortem start Checkout API returned 500s`")
    slack.command(
        "/postmortem",
        text="start Checkout API returned 500s",
        user_id="U0ALICE",
        channel_id=CHANNEL,
    )
    demo.settle()
    demo.submit(
        "U0ALICE",
        demo.opened_view(),
        {
            Block.TITLE: plain("Checkout API returned 500s"),
            Block.SEVERITY: pick("SEV1"),
            Block.SERVICES: plain("payment-api, postgres"),
            Block.CHANNEL: {
                "value": {"type": "conversations_select", "selected_conversation": CHANNEL}
            },
            Block.STARTED_AT: when(started),
            Block.RESOLVED_AT: when(started + timedelta(minutes=52)),
        },
    )
    control = next(m for m in emu.messages(CHANNEL) if m.get("blocks"))
    pm_id = next(
        e["value"]
        for b in control["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.OPEN_DETAILS
    )
    say(f"   → post-mortem #{pm_id} opened; control message posted in #inc-checkout-500s")
    details_step(demo, pm_id, started, say)
    timeline_step(demo, pm_id, started, say)
    whys_step(demo, pm_id, say)
    impact_and_learnings_step(demo, pm_id, say)
    action_items_step(demo, pm_id, say)
    more_step(demo, pm_id, say)
    say("   what no modal asks yet goes in through storage: the impact's wider effects and "
        "the names the bot resolved")
    inputs_without_modals(demo.sessions, int(pm_id))
    review_step(demo, pm_id, say)
    arb_step(demo, pm_id, say)
    return int(pm_id)


def details_step(demo: Demo, pm_id: str, started: datetime, say: Callable[[str], None]) -> None:
    say("2. alice fills in the details: roles, reviewers, key timestamps, the alert, the "
        "summary, how recovery was verified and the review meeting")
    demo.click("U0ALICE", Action.OPEN_DETAILS, pm_id, channel_id=CHANNEL)
    demo.submit(
        "U0ALICE",
        demo.opened_view(),
        {
            Block.TITLE: plain("Checkout API returned 500s"),
            Block.SEVERITY: pick("SEV1"),
            Block.SERVICES: plain("payment-api, postgres"),
            DetailsField.REFERENCE: plain(f"INC-{started:%Y-%m-%d}-001"),
            DetailsField.COMMANDER: {"value": {"type": "users_select", "selected_user": "U0BOB"}},
            DetailsField.FACILITATOR: {
                "value": {"type": "users_select", "selected_user": "U0ALICE"}
            },
            DetailsField.REVIEWERS: {
                "value": {"type": "multi_users_select", "selected_users": ["U0CAROL"]}
            },
            DetailsField.ATTENDEES: {
                "value": {"type": "multi_users_select",
                          "selected_users": ["U0ALICE", "U0BOB", "U0CAROL", "U0DAN"]}
            },
            DetailsField.DETECTION: pick("Automated alert"),
            Block.STARTED_AT: when(started),
            Block.DETECTED_AT: when(started + timedelta(minutes=3)),
            Block.ACKNOWLEDGED_AT: when(started + timedelta(minutes=5)),
            Block.MITIGATED_AT: when(started + timedelta(minutes=31)),
            Block.RESOLVED_AT: when(started + timedelta(minutes=52)),
            DetailsField.SUMMARY: plain(
                "A deploy of payment-api raised its database connection count past the pool "
                "limit; checkout failed for about half an hour for roughly 4,800 customers "
                "until the deploy was rolled back and the pool was resized."
            ),
            DetailsField.MITIGATION: plain("Rolled back payment-api and raised the pool to 200."),
            DetailsField.FIX: plain(
                "PgBouncer in front of postgres with per-service pool budgets."
            ),
            **details_extras(started),
        },
    )


def whys_step(demo: Demo, pm_id: str, say: Callable[[str], None]) -> None:
    say("4. bob works through the 5 Whys and the contributing factors")
    emu = demo.emu
    demo.click("U0BOB", Action.OPEN_WHYS, pm_id, channel_id=CHANNEL)
    view = demo.opened_view()
    # Each why worded by bob; left empty, the bot would quote the answer before it.
    chain = [
        ("Why did checkout return 500s?", "The database connection pool was exhausted"),
        ("Why was the pool exhausted?",
         "The new deploy opened twice as many connections per pod"),
        ("Why was the limit that low?",
         "The pool limit was a legacy setting sized for ten services"),
        ("Why did staging not catch it?",
         "Staging does not mirror production traffic, so the limit was never hit there"),
        ("Why does nothing keep each service within a budget?",
         "The golden-path Postgres template has no connection pooler or pool budget"),
    ]
    for n, (question, answer) in enumerate(chain, start=1):
        values = {whys.QUESTION: plain(question), whys.ANSWER: plain(answer)}
        if n == len(chain):
            values |= {
                whys.ROOT_CAUSE: plain(
                    "Our golden-path Postgres template lacks dynamic connection pooling "
                    "(PgBouncer) and per-service pool budgets."),
                whys.CAUSE_WHAT: plain(
                    "payment-api v2.14 opened 2 connections per worker instead of 1, so 50 pods "
                    "needed 200 connections against a pool limit of 100."),
                whys.CAUSE_WHY: plain(
                    "The pool limit dates from when ten services shared the cluster; nothing "
                    "budgets connections per service, and staging traffic never reaches it."),
                whys.CAUSE_HOW: plain(
                    "Checkout requests waited 30 seconds for a connection, then failed with "
                    "HTTP 500."),
            }
        response = demo.submit("U0BOB", view, values)
        view = (response.get("view") and emu.views[view["id"]]) or view
    for text, category, severity in [
        ("Retries in payment-api doubled the load on the pool once it saturated", "Code",
         "High"),
        ("No alert on connection pool saturation, only on errors", "Infrastructure", "Med"),
    ]:
        demo.slack.block_action("U0BOB", Action.WHYS_ADD_FACTOR, value=pm_id, view=view)
        demo.settle()
        pushed = emu.calls_to("views.push")[-1].response["view"]["id"]
        demo.submit("U0BOB", emu.views[pushed], {
            whys.FACTOR_TEXT: plain(text),
            whys.FACTOR_CATEGORY: pick(category),
            whys.FACTOR_SEVERITY: pick(severity),
        })


def impact_and_learnings_step(demo: Demo, pm_id: str, say: Callable[[str], None]) -> None:
    say("5. alice records the impact and the learnings")
    emu = demo.emu
    demo.click("U0ALICE", Action.OPEN_IMPACT, pm_id, channel_id=CHANNEL)
    demo.submit(
        "U0ALICE",
        demo.opened_view(),
        {
            impact.SLO: plain("99.9"),
            **{
                block: plain(value)
                for block, value in {
                    "pm.impact.users": "~4,800 customers (18% of checkout traffic)",
                    "pm.impact.requests": "~21,000 checkout requests",
                    "pm.impact.customer": "“Payment failed, please try again” at checkout",
                    "pm.impact.data": "None: failed checkouts wrote nothing",
                    "pm.impact.revenue": "≈ €38k in delayed orders, most retried later",
                    "pm.impact.sla": "No: the contractual SLA is monthly and still met",
                    "pm.impact.tickets": "41 tickets",
                    "pm.impact.regulatory": "No: no personal data was exposed",
                }.items()
            },
        },
    )
    demo.click("U0ALICE", Action.OPEN_LEARNINGS, pm_id, channel_id=CHANNEL)
    view = demo.opened_view()
    for kind, lines in [
        ("went_well",
         "Alert fired 3 minutes after the first errors\nRollback runbook worked the first time"),
        ("went_poorly",
         "No alert on connection pool saturation\n"
         "Staging traffic is too low to catch pool limits"),
        ("lucky", "It happened outside the evening peak"),
        ("surprise", "Each payment-api worker opens its own pool: pods × workers connections"),
        ("lesson_technical", "Pool saturation is a leading indicator; errors are lagging"),
        ("lesson_process", "Releases that change connection handling need a load test"),
        ("lesson_culture", "Calling in the database engineer early cut the diagnosis short"),
    ]:
        demo.submit("U0DAN", view, {learnings.KIND: pick(kind), learnings.ITEMS: plain(lines)})
        view = emu.views[view["id"]]


def action_items_step(demo: Demo, pm_id: str, say: Callable[[str], None]) -> None:
    say("6. action items, each with a single owner, due date and success criteria")
    emu = demo.emu
    items = [
        (
            "Add an alert when the postgres connection pool is over 80% for 5 minutes",
            "U0DAN",
            "P1",
            "Detection",
            "Alert fires in a staging load test at 85% pool use",
        ),
        (
            "Put PgBouncer in the golden-path Postgres template with per-service budgets",
            "U0BOB",
            "P2",
            "Prevention",
            "Template deployed for payment-api and two more services",
        ),
        (
            "Add a 2x-traffic load test step to the release checklist",
            "U0ALICE",
            "P2",
            "Process",
            "Checklist updated and used in the next payment-api release",
        ),
        (
            "Document pool sizing per service in the Postgres runbook",
            "U0DAN",
            "P3",
            "Documentation",
            "Runbook section reviewed by two on-call engineers",
        ),
    ]
    demo.click("U0ALICE", Action.OPEN_ACTION_ITEMS, pm_id, channel_id=CHANNEL)
    for title, owner, priority, category, criteria in items:
        list_view = demo.opened_view()
        demo.slack.block_action("U0ALICE", Action.ACTION_ITEM_ADD, value=pm_id, view=list_view)
        demo.settle()
        pushed = emu.calls_to("views.push")[-1].response["view"]["id"]
        demo.submit(
            "U0ALICE",
            emu.views[pushed],
            {
                Field.TITLE: plain(title),
                Field.OWNER: {"value": {"type": "users_select", "selected_user": owner}},
                Field.PRIORITY: pick(priority),
                Field.CATEGORY: pick(category),
                Field.CRITERIA: plain(criteria),
            },
        )


def review_step(demo: Demo, pm_id: str, say: Callable[[str], None]) -> None:
    emu = demo.emu
    say("8. alice submits for review; the quality checks run first")
    demo.click("U0ALICE", Action.REVIEW_OPEN, pm_id, channel_id=CHANNEL)
    checklist = demo.opened_view()
    needs_reason = any(b.get("block_id") == OVERRIDE for b in checklist["blocks"])
    demo.submit(
        "U0ALICE", checklist, {OVERRIDE: plain("Demo: reviewed by hand")} if needs_reason else {}
    )
    say("   bob (incident commander) and carol (engineering manager) sign off from their DMs")
    for reviewer in ("U0BOB", "U0CAROL"):
        demo.click(reviewer, Action.REVIEW_APPROVE, pm_id, channel_id=emu.im_channel(reviewer))
    upload = emu.uploaded_files[-1]
    summary = [
        c for c in emu.calls_to("chat.postMessage") if c.args.get("channel") == "#engineering"
    ]
    rejected = [f"{c.method}: {c.response.get('error')}" for c in emu.calls if not c.ok]
    say(
        f"   → published: {upload['filename']} uploaded to the thread; executive summary "
        f"posted to #engineering ({len(summary)} message); {len(emu.calls)} Slack API calls, "
        f"{len(rejected)} rejected by the emulator" + (f": {rejected}" if rejected else "")
    )
