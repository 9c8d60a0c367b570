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
from functools import cache

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
from storage.db import read_scope, restart_read, session_scope
from storage.kinds import REPORT
from storage.queries import claims, postmortems
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
    # Forms acked but left unsaved by a process that died, tried again (bot/jobs/replay.py).
    forms_saved: int = 0

    def lines(self) -> list[str]:
        verb = "would send" if self.dry_run else "sent"
        out = [
            f"{verb} {len(self.sent)}, skipped {len(self.skipped)}, failed {len(self.failed)}"
        ]
        if self.forms_saved:
            out.append(f"  forms acked but left unsaved by a restart, tried again: "
                       f"{self.forms_saved}")
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


# Rows planned in one read and settled in one write transaction: a sweep's cost per row is
# then about the send, not two transactions (and their waits for the write lock) per row.
# Small, so a plan is never much older than its send (posts to one channel go 1 a second).
BATCH = 20


@dataclass
class _Sent:
    row: Reminder
    channel: str
    ts: str
    then: After | None


def deliver(
    deps: Deps, rows: Sequence[Reminder], *, worker: str, clock: Callable[[], datetime],
    report: Report, pacer: ChannelPacer, deadline: float | None = None,
    monotonic: Callable[[], float] = time.monotonic, client: WebClient | None = None,
) -> None:
    """Send claimed rows a batch at a time; rows left when `deadline` (monotonic) passes go
    back. A crash before a batch is settled leaves its rows claimed and `unsure`: the next
    claim looks in Slack before sending them again."""
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        plans, teams = _plan(deps, batch, clock())
        sent: list[_Sent] = []
        try:
            for i, row in enumerate(batch):
                if deadline is not None and monotonic() > deadline:
                    left = [r.id for r in rows[start + i:] if r.id]
                    with session_scope(deps.sessions) as session:
                        claims.release_reminders(session, reminder_ids=left, worker_id=worker)
                    return
                if row.id not in plans:  # a report: planned (and its chart kept) on its own
                    deliver_one(deps, row, worker=worker, clock=clock, report=report,
                                pacer=pacer, client=client)
                    continue
                done = _send_planned(deps, row, plans[row.id], worker=worker, clock=clock,
                                     report=report, pacer=pacer, client=client,
                                     team=teams.get(row.id))
                if done is not None:
                    sent.append(done)
        finally:
            _settle_sent(deps, sent, worker=worker, now=clock())


def _plan(
    deps: Deps, batch: Sequence[Reminder], now: datetime
) -> tuple[dict[int | None, tuple[Plan, After | None] | Exception], dict[int | None, str | None]]:
    """Every row's plan and workspace (whose token sends it), read in one transaction without
    the write lock."""
    plans: dict[int | None, tuple[Plan, After | None] | Exception] = {}
    teams: dict[int | None, str | None] = {}
    pm_ids = {r.postmortem_id for r in batch if r.postmortem_id}
    with read_scope(deps.sessions) as session:
        # The batch's post-mortems and incidents in two reads: the plans below find them in
        # the session instead of reading them one by one (while `loaded` holds them).
        loaded = postmortems.preload(session, pm_ids=pm_ids)
        for row in batch:
            if row.kind == REPORT:
                continue
            try:
                teams[row.id] = store.team_of_row(session, row)
                plans[row.id] = prepare(session, deps, row, now)
            except Exception as err:
                teams.setdefault(row.id, row.team_id)
                plans[row.id] = err
                # Planning only reads, so no savepoint per row: a failure (rare) ends this
                # read and the rest go on in a new one. The objects the plans so far hold
                # are taken out of the session first, so the rollback leaves them loaded.
                session.expunge_all()
                restart_read(session)
                loaded = postmortems.preload(session, pm_ids=pm_ids)
        del loaded
    return plans, teams


def _send_planned(
    deps: Deps, row: Reminder, planned: tuple[Plan, After | None] | Exception, *, worker: str,
    clock: Callable[[], datetime], report: Report, pacer: ChannelPacer,
    client: WebClient | None, team: str | None,
) -> _Sent | None:
    """Send one planned row; what to settle, or None when it was settled (skip, failure)."""
    assert row.id is not None
    if isinstance(planned, Exception):
        _fail(deps, row, worker, clock(), planned, report, unsure=row.unsure)
        return None
    plan, then = planned
    if isinstance(plan, Skip):
        with session_scope(deps.sessions) as session:
            _settle_skip(session, row, worker, plan, then, clock())
        report.skipped.append(entry(row, plan.reason))
        return None
    try:
        sender = client or deps.slack(team)
        found = already_sent(sender, row, plan)
    except Exception as err:
        _fail(deps, row, worker, clock(), err, report, unsure=row.unsure)
        return None
    try:
        channel, ts = found or send(sender, row, plan, pacer)
    except Exception as err:
        unsure = not isinstance(err, SlackApiError) and isinstance(err, SlackClientError | OSError)
        _fail(deps, row, worker, clock(), err, report, unsure=unsure)
        return None
    if found:
        log.info("reminder #%s was already in Slack (%s %s): not sent again", row.id, *found)
    addressed = plan.channel if isinstance(plan, Post | Redraw | Upload | Publish) else channel
    report.sent.append(entry(row, "ok", addressed))
    return _Sent(row, channel, ts, then)


def _settle_sent(deps: Deps, sent: Sequence[_Sent], *, worker: str, now: datetime) -> None:
    """Mark a batch's sent rows in one transaction: those with nothing to follow in one
    statement, each one with a follow-up in a savepoint of its own, so one that fails leaves
    the others settled (and itself `unsure`, looked up before any new attempt)."""
    if not sent:
        return
    plain = [d for d in sent if d.then is None]
    one_by_one = [d for d in sent if d.then is not None]
    lost: list[int | None] = []
    with session_scope(deps.sessions) as session:
        try:
            held_ids = claims.mark_sent_many(
                session, sent=[(d.row.id or 0, d.channel, d.ts) for d in plain],
                worker_id=worker, now=now)
            lost += [d.row.id for d in plain if d.row.id not in held_ids]
        except Exception:
            # Nothing else is written yet in this transaction: roll it back and settle the
            # rows one by one instead, each in its savepoint.
            log.exception("a batch of %s sent reminders could not be settled at once",
                          len(plain))
            session.rollback()
            one_by_one = list(sent)
        for done in one_by_one:
            try:
                with session.begin_nested():
                    held = claims.mark_sent(session, reminder_id=done.row.id or 0,
                                            worker_id=worker, now=now, channel=done.channel,
                                            ts=done.ts)
                    if held and done.then is not None:
                        done.then(session, done.channel, done.ts)
            except Exception:
                log.exception("reminder #%s was sent but could not be settled", done.row.id)
                continue
            if not held:
                lost.append(done.row.id)
    for reminder_id in lost:
        log.warning("reminder #%s sent after its lease was lost or it was cancelled",
                    reminder_id)


def deliver_one(
    deps: Deps, row: Reminder, *, worker: str, clock: Callable[[], datetime], report: Report,
    pacer: ChannelPacer, client: WebClient | None = None,
) -> None:
    assert row.id is not None
    try:
        # Planning only reads (a report renders and keeps its chart once: that one writes), so
        # it never queues for the write lock; a row's one write is the settle below.
        scope = session_scope if row.kind == REPORT else read_scope
        with scope(deps.sessions) as session:
            # Each workspace's rows go out with its own token (OAuth mode).
            sender = client or deps.slack(store.team_of_row(session, row))
            plan, then = prepare(session, deps, row, clock())
        if isinstance(plan, Skip):
            with session_scope(deps.sessions) as session:
                _settle_skip(session, row, worker, plan, then, clock())
            report.skipped.append(entry(row, plan.reason))
            return
        found = already_sent(sender, row, plan)
    except Exception as err:
        # Nothing was sent by this attempt: whatever was unknown before still is.
        _fail(deps, row, worker, clock(), err, report, unsure=row.unsure)
        return
    try:
        channel, ts = found or send(sender, row, plan, pacer)
    except Exception as err:
        # Slack's own "no" proves the post did not happen; a dropped connection proves nothing.
        unsure = not isinstance(err, SlackApiError) and isinstance(err, SlackClientError | OSError)
        _fail(deps, row, worker, clock(), err, report, unsure=unsure)
        return
    if found:
        log.info("reminder #%s was already in Slack (%s %s): not sent again", row.id, *found)
    with session_scope(deps.sessions) as session:
        held = claims.mark_sent(session, reminder_id=row.id, worker_id=worker, now=clock(),
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
        held = claims.mark_sent(session, reminder_id=row.id, worker_id=worker, now=now)
    else:
        held = claims.mark_cancelled(session, reminder_id=row.id, worker_id=worker,
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
        claims.mark_failed(
            session, reminder_id=row.id, worker_id=worker, now=now, error=error,
            retry_at=retry_at, permanent=permanent, unsure=unsure,
        )
    report.failed.append(entry(row, error))


def default_worker_id() -> str:
    return f"{_host()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@cache
def _host() -> str:  # once: every save after an ack asked the kernel again
    return socket.gethostname()[:32]


def deliver_now(deps: Deps, ids: Sequence[int]) -> Report:
    """Send a change's own outbox rows right after its commit. Rows a sweep holds, or that wait
    for a retry, are left to the sweep."""
    worker, report = default_worker_id(), Report()
    with session_scope(deps.sessions) as session:
        rows = claims.claim_reminders(session, ids=list(ids), now=deps.now(), worker_id=worker,
                                      lease=DEFAULT_LEASE)
    deliver(deps, rows, worker=worker, clock=deps.now, report=report, pacer=ChannelPacer())
    return report
