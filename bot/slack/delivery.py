"""Sending the outbox exactly once: announcements right after their change commits, reminders
when the sweep finds them due.

Every row is claimed before it is sent and settled after. Slack's `chat.postMessage` is not
idempotent, so a post is never retried blindly: each carries message metadata naming its row
(`event_payload.key`), and a row that may already have reached Slack (`unsure`: the worker died
after claiming it, or the connection dropped before Slack answered) is first looked up in the
channel's recent history. Found: it is marked sent, not sent again. Only an answer from Slack
(ok, an error, a 429) settles the question the other way.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlmodel import Session

from bot.deps import Deps
from bot.slack.delivery_lookup import EVENT_TYPE, already_sent, conversation_id
from bot.slack.delivery_plans import (
    After,
    Plan,
    Post,
    Publish,
    Redraw,
    Skip,
    Upload,
    prepare,
)
from storage.db import read_scope, session_scope
from storage.kinds import REPORT
from storage.queries import reminders as store
from storage.tables import Reminder

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=10)
CHANNEL_INTERVAL = 1.0  # seconds between posts to one channel (Slack allows about 1/s)
# Errors no retry fixes: the person left. Everything else is retried, capped at hourly.
PERMANENT_ERRORS = frozenset({"account_inactive", "user_not_found", "user_disabled"})


@dataclass(frozen=True)
class Entry:
    reminder_id: int
    kind: str
    target: str | None
    detail: str


@dataclass
class Report:
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


class ChannelPacer:
    """At most one post per channel per `interval` within a run (429s are retried anyway)."""

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


def entry(row: Reminder, detail: str, target: str | None = None) -> Entry:
    return Entry(row.id or 0, row.kind, target or row.target, detail)


def send(client: WebClient, row: Reminder, plan: Plan, pacer: ChannelPacer) -> tuple[str, str]:
    """Carry out a plan; returns where Slack put it (channel id, ts)."""
    if isinstance(plan, Redraw):
        client.chat_update(channel=plan.channel, ts=plan.ts, **plan.message)
        return plan.channel, plan.ts
    if isinstance(plan, Publish):
        client.views_publish(user_id=plan.channel, view=plan.view)
        return plan.channel, ""
    if isinstance(plan, Upload):
        # files v2 wants a channel id: the report goes to "#engineering" by name.
        client.files_upload_v2(
            channel=conversation_id(client, plan.channel), thread_ts=plan.thread_ts,
            content=plan.content,
            filename=plan.filename, title=plan.title, initial_comment=plan.comment or None,
        )
        return plan.channel, plan.thread_ts or ""
    assert isinstance(plan, Post)
    permalink = None
    if plan.link_of:
        try:
            link = client.chat_getPermalink(channel=plan.link_of[0], message_ts=plan.link_of[1])
            permalink = link.get("permalink")
        except SlackApiError:
            permalink = None  # a link is a nicety; the message goes out without it
    pacer.wait(plan.channel)
    message = plan.render(permalink)
    if plan.thread_ts:
        message["thread_ts"] = plan.thread_ts
    message["metadata"] = {"event_type": EVENT_TYPE, "event_payload": {"key": row.dedupe_key}}
    response = client.chat_postMessage(channel=plan.channel, **message)
    return str(response.get("channel") or plan.channel), str(response.get("ts") or "")


# ---- the whole round: claim, send, settle --------------------------------------------------


def deliver(
    deps: Deps, rows: Sequence[Reminder], *, worker: str, clock: Callable[[], datetime],
    report: Report, pacer: ChannelPacer, deadline: float | None = None,
    monotonic: Callable[[], float] = time.monotonic, client: WebClient | None = None,
) -> None:
    """Send claimed rows one by one; rows left when `deadline` (monotonic) passes go back."""
    for i, row in enumerate(rows):
        if deadline is not None and monotonic() > deadline:
            with session_scope(deps.sessions) as session:
                store.release_reminders(
                    session, reminder_ids=[r.id for r in rows[i:] if r.id], worker_id=worker
                )
            return
        deliver_one(deps, row, worker=worker, clock=clock, report=report, pacer=pacer,
                    client=client)


def deliver_one(
    deps: Deps, row: Reminder, *, worker: str, clock: Callable[[], datetime], report: Report,
    pacer: ChannelPacer, client: WebClient | None = None,
) -> None:
    assert row.id is not None
    client = client or deps.slack(row.team_id)
    try:
        # Planning only reads (a report renders and keeps its chart once: that one writes), so
        # it never queues for the write lock; a row's one write is the settle below.
        scope = session_scope if row.kind == REPORT else read_scope
        with scope(deps.sessions) as session:
            plan, then = prepare(session, deps, row, clock())
        if isinstance(plan, Skip):
            with session_scope(deps.sessions) as session:
                _settle_skip(session, row, worker, plan, then, clock())
            report.skipped.append(entry(row, plan.reason))
            return
        found = already_sent(client, row, plan)
    except Exception as err:
        # Nothing was sent by this attempt: whatever was unknown before still is.
        _fail(deps, row, worker, clock(), err, report, unsure=row.unsure)
        return
    try:
        channel, ts = found or send(client, row, plan, pacer)
    except Exception as err:
        # Slack's own "no" proves the post did not happen; a dropped connection proves nothing.
        unsure = not isinstance(err, SlackApiError) and isinstance(err, SlackClientError | OSError)
        _fail(deps, row, worker, clock(), err, report, unsure=unsure)
        return
    if found:
        log.info("reminder #%s was already in Slack (%s %s): not sent again", row.id, *found)
    with session_scope(deps.sessions) as session:
        held = store.mark_sent(session, reminder_id=row.id, worker_id=worker, now=clock(),
                               channel=channel, ts=ts)
        if held and then is not None:
            then(session, channel, ts)
    if not held:
        log.warning("reminder #%s sent after its lease was lost or it was cancelled", row.id)
    addressed = plan.channel if isinstance(plan, Post | Redraw | Upload | Publish) else channel
    report.sent.append(entry(row, "ok", addressed))


def _settle_skip(
    session: Session, row: Reminder, worker: str, plan: Skip, then: After | None, now: datetime
) -> None:
    assert row.id is not None
    if plan.done:
        held = store.mark_sent(session, reminder_id=row.id, worker_id=worker, now=now)
    else:
        held = store.mark_cancelled(session, reminder_id=row.id, worker_id=worker,
                                    reason=plan.reason)
    if held and then is not None:
        then(session, None, None)


def _fail(
    deps: Deps, row: Reminder, worker: str, now: datetime, err: Exception, report: Report,
    *, unsure: bool,
) -> None:
    """Retry later, with backoff (or at Slack's Retry-After); `unsure`: look before sending."""
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
    elif isinstance(err, SlackClientError | OSError):
        error = f"{type(err).__name__}: {err}"
    else:
        # One broken row (a bug, bad data) must not stall the rest; it is retried with backoff
        # and its last_error says why.
        log.exception("reminder #%s could not be prepared", row.id, exc_info=err)
        error = f"{type(err).__name__}: {err}"
    log.warning("reminder #%s failed: %s", row.id, error)
    with session_scope(deps.sessions) as session:
        store.mark_failed(
            session, reminder_id=row.id, worker_id=worker, now=now, error=error,
            retry_at=retry_at, permanent=permanent, unsure=unsure,
        )
    report.failed.append(entry(row, error))


def default_worker_id() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def deliver_now(deps: Deps, ids: Sequence[int]) -> Report:
    """Send a change's own outbox rows right after its commit. Rows a sweep holds, or that wait
    for a retry, are left to the sweep."""
    worker, report = default_worker_id(), Report()
    with session_scope(deps.sessions) as session:
        rows = store.claim_reminders(session, ids=list(ids), now=deps.now(), worker_id=worker,
                                     lease=DEFAULT_LEASE)
    deliver(deps, rows, worker=worker, clock=deps.now, report=report, pacer=ChannelPacer())
    return report
