"""`/postmortem start`: the modal that opens a post-mortem for a resolved incident.

Opening is one unit: the incident, the post-mortem, its audit event, its deadline reminders
and its control message (an outbox row) commit together. The message is sent right after the
ack; when Slack refuses it, the user is told how to get it posted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.slack import blocks as bk
from bot.slack.context import Ctx
from bot.slack.delivery import deliver_now
from bot.slack.forms import text, timestamp
from bot.slack.ids import Block, Callback
from bot.slack.meta import Meta
from bot.slack.modals.text_fields import limit_hint, text_field
from bot.slack.outbox import post_control
from bot.slack.router import Reply, Router
from flows import lifecycle
from flows.errors import FieldErrors
from flows.lifecycle import TITLE_MAX, IncidentFacts
from flows.permissions import require_member
from flows.severity import LABELS, parse_severity

SEVERITY_CHOICES = [(f"SEV{n} / P{n} — {label}", f"SEV{n}") for n, label in LABELS.items()]
SERVICES_MAX = 1000
CHANNEL_ID_MAX = 32


def build_start_modal(title: str, channel_id: str | None, now: datetime) -> dict[str, Any]:
    channel_select: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": "value",
        "default_to_current_conversation": True,
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if channel_id and channel_id.startswith(("C", "G")):
        channel_select["initial_conversation"] = channel_id
    form = [
        bk.text_input(Block.TITLE, "Incident title", initial=title[:TITLE_MAX] or None,
                      max_length=TITLE_MAX, placeholder="Checkout API returned 500s",
                      hint=limit_hint(TITLE_MAX)),
        bk.select(Block.SEVERITY, "Severity", SEVERITY_CHOICES),
        text_field(Block.SERVICES, "Services affected", max_length=SERVICES_MAX,
                   placeholder="payment-api, postgres", hint="Separate with commas."),
        bk.input_block(Block.CHANNEL, "Incident channel", channel_select,
                       hint="The post-mortem's thread starts here."),
        bk.datetime_picker(Block.STARTED_AT, "Incident started", initial=now),
        bk.datetime_picker(Block.RESOLVED_AT, "Incident resolved", initial=now),
    ]
    return bk.modal("Start a post-mortem", form, callback_id=Callback.START, submit="Start",
                    private_metadata=Meta(channel_id=channel_id).dump())


def read_start_form(values: dict[str, Any]) -> IncidentFacts:
    """The form as incident facts; every problem is reported at its field at once."""
    errors: dict[str, str] = {}
    severity = 0
    try:
        severity = parse_severity(values.get(Block.SEVERITY) or "", Block.SEVERITY)
    except FieldErrors as err:
        errors.update(err.errors)
    times: dict[str, datetime | None] = {}
    for block in (Block.STARTED_AT, Block.RESOLVED_AT):
        try:
            times[block] = timestamp(values, block)
        except FieldErrors as err:
            errors.update(err.errors)
    typed: dict[str, str] = {}
    for block, limit in ((Block.TITLE, TITLE_MAX), (Block.SERVICES, SERVICES_MAX)):
        try:
            typed[block] = text(values, block, limit)
        except FieldErrors as err:
            errors.update(err.errors)
    channel = values.get(Block.CHANNEL)
    if not isinstance(channel, str) or not 0 < len(channel) <= CHANNEL_ID_MAX:
        errors[Block.CHANNEL] = "Pick the incident channel."
    facts = IncidentFacts(
        title=typed.get(Block.TITLE, ""), severity=severity,
        services=[s for s in typed.get(Block.SERVICES, "").split(",") if s.strip()],
        channel_id=channel if isinstance(channel, str) else None,
        started_at=times.get(Block.STARTED_AT), resolved_at=times.get(Block.RESOLVED_AT),
    )
    try:
        facts.validate()
    except FieldErrors as err:
        mapping = {"title": Block.TITLE, "resolved_at": Block.RESOLVED_AT}
        errors = {str(mapping.get(k, k)): v for k, v in err.errors.items()} | errors
    if errors:
        raise FieldErrors(errors)
    return facts


def register_listeners(router: Router) -> None:
    router.view(Callback.START)(submit_start)


def submit_start(ctx: Ctx) -> Reply:
    facts = read_start_form(ctx.values())
    require_member(ctx.team_id, ctx.actor)
    with ctx.unit() as session:
        opened = lifecycle.create_postmortem(
            session, facts, owner_id=ctx.user_id, team_id=ctx.team_id, policy=ctx.deps.policy,
            now=ctx.now(),
        )
        ids = post_control(session, opened.postmortem, now=ctx.now())
    pm_id = opened.postmortem.id
    assert pm_id is not None
    ctx.later(lambda: post_opened(ctx, pm_id, facts, ids))
    return None


def post_opened(ctx: Ctx, pm_id: int, facts: IncidentFacts, ids: list[int]) -> None:
    """Send the control message now; if Slack refuses, say how to get it posted."""
    report = deliver_now(ctx.deps, ids)
    if not report.failed:
        return
    code = report.failed[0].detail.removeprefix("slack: ")
    ctx.tell(
        f":warning: Post-mortem #{pm_id} for “{bk.escape(facts.title)}” is saved, but I could "
        f"not post in <#{facts.channel_id}>: `{bk.escape(code)}`. Invite me to the channel "
        f"(`/invite @postmortem-bot`) and run `/postmortem post {pm_id}`."
    )
