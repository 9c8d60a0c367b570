"""The reminder sweep: claim due rows, re-check each against current state, send, settle.

Claiming, deciding and settling are each a short transaction of their own; the Slack call
happens between them with no transaction open, so a slow Slack never holds a lock. A row is
held by a lease: if this process dies mid-sweep, another sweep claims the row again after the
lease, so nothing is lost (a message Slack took just before the crash may go out twice).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlmodel import Session, col, select

from bot.deps import Deps
from bot.slack import blocks as bk
from bot.slack.reminders import views as views
from flows.reminders import (
    DEADLINE,
    DIGEST,
    ESCALATION,
    FOLLOW_UP,
    NUDGE,
    RECURRENCE,
    SNOOZE,
    ensure_nudges,
    follow_up_applies,
    plan_digest,
    week_window,
)
from storage.db import session_scope
from storage.queries import action_items
from storage.queries import reminders as store
from storage.queries.reminders import catch_up_group
from storage.tables import ActionItem, Incident, Postmortem, Reminder

__all__ = ["SweepReport", "default_worker_id", "ensure_digest", "ensure_nudges", "run_sweep"]

log = logging.getLogger(__name__)
DEFAULT_LEASE = timedelta(minutes=10)
CHANNEL_INTERVAL = 1.0  # seconds between posts to one channel (Slack allows about 1/s)
# Errors no retry fixes: the person left. Everything else is retried, capped at hourly.
PERMANENT_ERRORS = frozenset({"account_inactive", "user_not_found", "user_disabled"})
AfterSend = Callable[[Session, datetime], None]


@dataclass(frozen=True)
class Entry:
    reminder_id: int
    kind: str
    target: str | None
    detail: str


@dataclass
class SweepReport:
    dry_run: bool = False
    sent: list[Entry] = field(default_factory=list)
    skipped: list[Entry] = field(default_factory=list)
    failed: list[Entry] = field(default_factory=list)

    def lines(self) -> list[str]:
        verb = "would send" if self.dry_run else "sent"
        out = [
            f"{verb} {len(self.sent)}, skipped {len(self.skipped)}, failed {len(self.failed)}"
        ]
        for label, entries in ((verb, self.sent), ("skipped", self.skipped),
                               ("failed", self.failed)):
            out += [f"  {label} #{e.reminder_id} {e.kind} → {e.target}: {e.detail}"
                    for e in entries]
        return out


@dataclass(frozen=True)
class Outgoing:
    """A message to post. `render` gets the thread permalink (None when there is none)."""

    channel: str
    render: Callable[[str | None], dict[str, Any]]
    thread_ts: str | None = None
    link_of: tuple[str, str] | None = None
    after: AfterSend | None = None


@dataclass(frozen=True)
class Moot:
    """Nothing to send. `done` marks it sent (a snooze that ran out) instead of cancelled."""

    reason: str
    done: bool = False
    after: AfterSend | None = None


Decision = Outgoing | Moot


class ChannelPacer:
    """At most one post per channel per `interval` within a sweep (429s are retried anyway)."""

    def __init__(
        self, interval: float = CHANNEL_INTERVAL, sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval, self.sleep, self.monotonic = interval, sleep, monotonic
        self._next: dict[str, float] = {}

    def wait(self, channel: str) -> None:
        due = self._next.get(channel)
        if due is not None and (pause := due - self.monotonic()) > 0:
            self.sleep(pause)
        self._next[channel] = max(self.monotonic(), due or 0.0) + self.interval


def default_worker_id() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def run_sweep(
    deps: Deps,
    client: WebClient,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    worker_id: str | None = None,
    limit: int = 500,
    lease: timedelta = DEFAULT_LEASE,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> SweepReport:
    """Send every due reminder once. `now` fixes the clock (tests); dry runs claim nothing."""
    clock: Callable[[], datetime] = (lambda: now) if now is not None else deps.now
    if dry_run:
        return _dry_run(deps, clock(), limit)
    worker = worker_id or default_worker_id()
    report = SweepReport()
    with session_scope(deps.sessions) as session:
        rows = store.claim_due_reminders(
            session, now=clock(), worker_id=worker, lease=lease, limit=limit
        )
    pacer = ChannelPacer(sleep=sleep, monotonic=monotonic)
    started = monotonic()
    for i, row in enumerate(rows):
        # Stop well inside the lease, or another sweep may claim and send these rows too.
        if monotonic() - started > lease.total_seconds() * 0.8:
            with session_scope(deps.sessions) as session:
                store.release_reminders(
                    session, reminder_ids=[r.id for r in rows[i:] if r.id], worker_id=worker
                )
            break
        _handle(deps, client, row, worker, clock, pacer, report)
    return report


def _dry_run(deps: Deps, now: datetime, limit: int) -> SweepReport:
    report = SweepReport(dry_run=True)
    with session_scope(deps.sessions) as session:
        rows = store.list_due_reminders(session, now=now, limit=limit)
        latest: dict[tuple[Any, ...], Reminder] = {}
        for row in rows:
            latest[catch_up_group(row)] = row  # rows come oldest first
        for row in rows:
            entry = _entry(row, "")
            if latest[catch_up_group(row)] is not row:
                report.skipped.append(_entry(row, "superseded by a later reminder"))
                continue
            decision = decide(session, row, deps, now)
            if isinstance(decision, Moot):
                report.skipped.append(_entry(row, decision.reason))
            else:
                text = decision.render(None).get("text", "")
                report.sent.append(Entry(entry.reminder_id, entry.kind, decision.channel, text))
        session.rollback()
    return report


def _entry(row: Reminder, detail: str, target: str | None = None) -> Entry:
    return Entry(row.id or 0, row.kind, target or row.target, detail)


def _handle(
    deps: Deps, client: WebClient, row: Reminder, worker: str,
    clock: Callable[[], datetime], pacer: ChannelPacer, report: SweepReport,
) -> None:
    assert row.id is not None
    try:
        with session_scope(deps.sessions) as session:
            decision = decide(session, row, deps, clock())
            if isinstance(decision, Moot):
                _settle_moot(session, row, worker, decision, clock())
                report.skipped.append(_entry(row, decision.reason))
                return
        channel = _deliver(client, decision, pacer)
    except (SlackClientError, OSError) as err:  # SlackApiError included: retried with backoff
        _fail(deps, row, worker, clock(), err, report)
        return
    except Exception as err:
        # One broken row (a bug, bad data) must not stall the rest of the sweep; it is retried
        # with backoff and its last_error says why.
        log.exception("reminder #%s could not be prepared", row.id)
        _fail(deps, row, worker, clock(), err, report)
        return
    with session_scope(deps.sessions) as session:
        held = store.mark_sent(session, reminder_id=row.id, worker_id=worker, now=clock())
        if held and decision.after:
            decision.after(session, clock())
    if not held:
        log.warning("reminder #%s sent after its lease was lost or it was cancelled", row.id)
    report.sent.append(_entry(row, "ok", channel))


def _settle_moot(
    session: Session, row: Reminder, worker: str, decision: Moot, now: datetime
) -> None:
    assert row.id is not None
    if decision.done:
        held = store.mark_sent(session, reminder_id=row.id, worker_id=worker, now=now)
    else:
        held = store.mark_cancelled(
            session, reminder_id=row.id, worker_id=worker, reason=decision.reason
        )
    if held and decision.after:
        decision.after(session, now)


def _fail(
    deps: Deps, row: Reminder, worker: str, now: datetime, err: Exception, report: SweepReport
) -> None:
    assert row.id is not None
    retry_at, permanent = None, False
    if isinstance(err, SlackApiError):
        code = str(err.response.get("error") or err.response.status_code)
        error = f"slack: {code}"
        permanent = code in PERMANENT_ERRORS
        retry_after = err.response.headers.get("Retry-After") or err.response.headers.get(
            "retry-after"
        )
        if retry_after and str(retry_after).isdigit():
            retry_at = now + timedelta(seconds=int(retry_after))
    else:
        error = f"{type(err).__name__}: {err}"
    log.warning("reminder #%s failed: %s", row.id, error)
    with session_scope(deps.sessions) as session:
        store.mark_failed(
            session, reminder_id=row.id, worker_id=worker, now=now, error=error,
            retry_at=retry_at, permanent=permanent,
        )
    report.failed.append(_entry(row, error))


def _deliver(client: WebClient, out: Outgoing, pacer: ChannelPacer) -> str:
    permalink = None
    if out.link_of:
        try:
            link = client.chat_getPermalink(channel=out.link_of[0], message_ts=out.link_of[1])
            permalink = link.get("permalink")
        except SlackApiError:
            permalink = None  # a link is a nicety; the reminder goes out without it
    pacer.wait(out.channel)
    message = out.render(permalink)
    if out.thread_ts:
        message["thread_ts"] = out.thread_ts
    client.chat_postMessage(channel=out.channel, **message)
    return out.channel


def decide(session: Session, row: Reminder, deps: Deps, now: datetime) -> Decision:
    """Re-check a claimed row against the current state: what to send, or why not. Reads only."""
    if row.kind in (DEADLINE, ESCALATION, FOLLOW_UP):
        pm = session.get(Postmortem, row.postmortem_id) if row.postmortem_id else None
        if pm is None:
            return Moot("post-mortem is gone")
        incident = session.get(Incident, pm.incident_id)
        assert incident is not None
        if row.kind == FOLLOW_UP:
            return _follow_up(session, row, pm, incident)
        return _deadline(row, pm, incident, deps, now)
    if row.kind == NUDGE:
        return _nudge(session, row, deps, now)
    if row.kind == DIGEST:
        return _digest(session, row, deps, now)
    if row.kind == SNOOZE:
        return Moot("snooze over", done=True)
    return Moot(f"unknown reminder kind {row.kind!r}")


def _link(pm: Postmortem) -> tuple[str, str] | None:
    return (pm.channel_id, pm.message_ts) if pm.channel_id and pm.message_ts else None


def _deadline(
    row: Reminder, pm: Postmortem, incident: Incident, deps: Deps, now: datetime
) -> Decision:
    if pm.status in ("published", "closed"):
        return Moot(f"post-mortem is {pm.status}")
    if not pm.required or pm.due_at is None:
        return Moot("post-mortem has no deadline any more")
    if row.kind == DEADLINE:
        return Outgoing(
            pm.owner_id, lambda link: views.build_deadline_reminder(
                pm, incident, now=now, permalink=link), link_of=_link(pm),
        )
    stage = int((row.payload or {}).get("stage", 1))

    def render(link: str | None) -> dict[str, Any]:
        return views.build_escalation(pm, incident, stage=stage, now=now, permalink=link)

    if stage > 1:
        return Outgoing(deps.settings.announce_channel, render, link_of=_link(pm))
    recipients = list(dict.fromkeys(r for r in [pm.facilitator_id, *pm.reviewers] if r))
    recipients = recipients or [pm.owner_id]
    if pm.channel_id and pm.message_ts:
        # One reply in the post-mortem's thread mentioning everyone: one message, in context,
        # and no group-DM scope (mpim:write) needed.
        mentions = " ".join(f"<@{u}>" for u in recipients)

        def in_thread(link: str | None) -> dict[str, Any]:
            msg = render(link)
            msg["blocks"] = [bk.section(mentions), *msg["blocks"]]
            return msg

        return Outgoing(pm.channel_id, in_thread, thread_ts=pm.message_ts)
    return Outgoing(recipients[0], render)


def _follow_up(session: Session, row: Reminder, pm: Postmortem, incident: Incident) -> Decision:
    payload = row.payload or {}
    scope, days = str(payload.get("scope", "progress")), int(payload.get("days", 0))
    if pm.status != "published":
        return Moot(f"post-mortem is {pm.status}")
    if not follow_up_applies(scope, incident.severity):
        return Moot(f"{scope} check-in does not apply to SEV{incident.severity}")
    stmt = select(ActionItem).where(ActionItem.postmortem_id == pm.id).order_by(
        col(ActionItem.number)
    )
    items = list(session.exec(stmt).all())
    if scope != RECURRENCE and not any(a.status in ("open", "in_progress") for a in items):
        return Moot("no open action items")
    assert row.id is not None
    reminder_id = row.id
    return Outgoing(
        pm.owner_id,
        lambda link: views.build_follow_up(
            pm, incident, items, scope=scope, days=days, reminder_id=reminder_id,
            permalink=link,
        ),
        link_of=_link(pm),
    )


def _nudge(session: Session, row: Reminder, deps: Deps, now: datetime) -> Decision:
    owner = row.target
    if not owner:
        return Moot("nudge without an owner")
    tz = (row.payload or {}).get("tz")

    def plan_next(s: Session, at: datetime) -> None:
        # Only while something is open: finishing the last item ends the weekly nudges.
        ensure_nudges(s, owner_id=owner, owner_tz=tz, policy=deps.policy, now=at)

    items = action_items.open_items_of(session, owner_id=owner)
    snoozed = store.snoozed_items(session, item_ids=[a.id for a, _, _ in items if a.id], now=now)
    items = [row_ for row_ in items if row_[0].id not in snoozed]
    if not items:
        return Moot("no open action items to nudge about", after=plan_next)
    today = now.astimezone(ZoneInfo(tz or "UTC")).date()
    return Outgoing(
        owner, lambda _link: views.build_nudge(owner, items, today=today), after=plan_next
    )


def _digest(session: Session, row: Reminder, deps: Deps, now: datetime) -> Decision:
    channel = row.target or deps.policy.digest_channel or deps.settings.announce_channel

    def plan_next(s: Session, at: datetime) -> None:
        store.add_reminders(s, [plan_digest(channel, deps.policy, at)])

    first, last = week_window(now, deps.policy.deadline.timezone)
    items = action_items.items_due_between(session, first=first, last=last)
    if not items:
        return Moot("no action items due this week", after=plan_next)
    return Outgoing(
        channel, lambda _link: views.build_digest(items, first=first, last=last),
        after=plan_next,
    )


def ensure_digest(deps: Deps, now: datetime) -> None:
    """Plan the next weekly channel digest (idempotent); the sweep keeps the chain going."""
    channel = deps.policy.digest_channel or deps.settings.announce_channel
    with session_scope(deps.sessions) as session:
        store.add_reminders(session, [plan_digest(channel, deps.policy, now)])
