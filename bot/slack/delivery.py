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
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlmodel import Session

from bot.deps import Deps
from bot.slack.control import build_control_message
from bot.slack.reminders.render import render_due
from flows.reminders.due import Due, Moot, decide, settle_then
from storage.db import session_scope
from storage.kinds import CONTROL, MESSAGE, REFRESH, UPLOAD
from storage.queries import postmortems
from storage.queries import reminders as store
from storage.tables import Document, Reminder

log = logging.getLogger(__name__)

EVENT_TYPE = "postmortem_bot_delivery"
DEFAULT_LEASE = timedelta(minutes=10)
CHANNEL_INTERVAL = 1.0  # seconds between posts to one channel (Slack allows about 1/s)
# Errors no retry fixes: the person left. Everything else is retried, capped at hourly.
PERMANENT_ERRORS = frozenset({"account_inactive", "user_not_found", "user_disabled"})
LOOKUP_PAGES = 10


@dataclass(frozen=True)
class Post:
    """A chat.postMessage. `render` gets the permalink of `link_of` (None without one)."""

    channel: str
    render: Callable[[str | None], dict[str, Any]]
    thread_ts: str | None = None
    link_of: tuple[str, str] | None = None


@dataclass(frozen=True)
class Redraw:
    """A chat.update of a message the bot owns (idempotent: safe to repeat)."""

    channel: str
    ts: str
    message: dict[str, Any]


@dataclass(frozen=True)
class Upload:
    """A stored document put into a thread with files v2."""

    channel: str
    thread_ts: str | None
    filename: str
    title: str
    content: str
    comment: str


@dataclass(frozen=True)
class Skip:
    reason: str
    done: bool = False


Plan = Post | Redraw | Upload | Skip


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


# ---- what a row means now ------------------------------------------------------------------


After = Callable[[Session, str | None, str | None], None]


def prepare(
    session: Session, deps: Deps, row: Reminder, now: datetime
) -> tuple[Plan, After | None]:
    """The plan for a claimed row, read against the current state, and what to do in the
    transaction that settles it (given the channel and ts Slack put it at)."""
    if row.kind == MESSAGE:
        payload = dict(row.payload or {})
        message = {k: v for k, v in payload.items() if k in ("text", "blocks")}
        return Post(str(payload["channel"]), lambda _link: dict(message),
                    thread_ts=payload.get("thread_ts")), None
    if row.kind == REFRESH:
        return _redraw(session, row, now), None
    if row.kind == UPLOAD:
        return _upload(session, row), None
    if row.kind == CONTROL:
        return _control(session, row, now)
    decision = decide(session, row, policy=deps.policy, now=now,
                      digest_channel=deps.policy.digest_channel or deps.settings.announce_channel)

    def then(s: Session, _channel: str | None, _ts: str | None) -> None:
        settle_then(s, decision.then, policy=deps.policy, now=now)

    if isinstance(decision, Moot):
        return Skip(decision.reason, done=decision.done), then
    return _post_due(decision, row, deps, now), then


def _control(session: Session, row: Reminder, now: datetime) -> tuple[Plan, After | None]:
    if row.postmortem_id is None:
        return Skip("no post-mortem"), None
    record = postmortems.load_summary(session, pm_id=row.postmortem_id)
    pm_id, channel = record.id, record.postmortem.channel_id
    if not channel:
        return Skip("no channel is set for this post-mortem"), None

    def remember(s: Session, posted_in: str | None, ts: str | None) -> None:
        # Its thread is the post-mortem's from now on.
        pm = postmortems.get_postmortem(s, pm_id=pm_id)
        pm.channel_id, pm.message_ts = posted_in or channel, ts
        s.add(pm)

    return Post(channel, lambda _link: build_control_message(record, now)), remember


def _redraw(session: Session, row: Reminder, now: datetime) -> Plan:
    if row.postmortem_id is None:
        return Skip("no post-mortem")
    record = postmortems.load_summary(session, pm_id=row.postmortem_id)
    pm = record.postmortem
    if not (pm.channel_id and pm.message_ts):
        return Skip("the control message is not posted")
    return Redraw(pm.channel_id, pm.message_ts, build_control_message(record, now))


def _upload(session: Session, row: Reminder) -> Plan:
    payload = row.payload or {}
    document = session.get(Document, int(payload["document_id"]))
    if document is None:
        return Skip("document is gone")
    return Upload(str(payload["channel"]), payload.get("thread_ts"), str(payload["filename"]),
                  str(payload["title"]), document.markdown, str(payload.get("comment") or ""))


def _post_due(due: Due, row: Reminder, deps: Deps, now: datetime) -> Post:
    channel = due.to or deps.settings.announce_channel
    reminder_id = row.id or 0

    def render(link: str | None) -> dict[str, Any]:
        return render_due(due, reminder_id=reminder_id, now=now, permalink=link)

    return Post(channel, render, thread_ts=due.thread_ts, link_of=due.link_of())


# ---- sending -------------------------------------------------------------------------------


def already_sent(client: WebClient, row: Reminder, plan: Plan) -> tuple[str, str] | None:
    """Where an earlier attempt of an `unsure` row put its message, if Slack has it."""
    if not row.unsure:
        return None
    if isinstance(plan, Post):
        return find_sent(client, plan.channel, plan.thread_ts, row)
    if isinstance(plan, Upload):
        return _find_file(client, plan)
    return None  # a redraw is safe to repeat


def send(client: WebClient, row: Reminder, plan: Plan, pacer: ChannelPacer) -> tuple[str, str]:
    """Carry out a plan; returns where Slack put it (channel id, ts)."""
    if isinstance(plan, Redraw):
        client.chat_update(channel=plan.channel, ts=plan.ts, **plan.message)
        return plan.channel, plan.ts
    if isinstance(plan, Upload):
        client.files_upload_v2(
            channel=plan.channel, thread_ts=plan.thread_ts, content=plan.content,
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


def find_sent(
    client: WebClient, channel: str, thread_ts: str | None, row: Reminder
) -> tuple[str, str] | None:
    """The message an earlier attempt of `row` posted, if Slack has it."""
    channel_id = conversation_id(client, channel)
    # A row cannot have been sent before it was due; a minute of slack for clock skew.
    oldest = f"{row.due_at.timestamp() - 60:.6f}"
    for message in _messages(client, channel_id, thread_ts, oldest):
        meta = message.get("metadata") or {}
        payload = meta.get("event_payload") or {}
        if meta.get("event_type") == EVENT_TYPE and payload.get("key") == row.dedupe_key:
            return channel_id, str(message.get("ts"))
    return None


def _find_file(client: WebClient, plan: Upload) -> tuple[str, str] | None:
    channel_id = conversation_id(client, plan.channel)
    for message in _messages(client, channel_id, plan.thread_ts, "0"):
        if any(f.get("name") == plan.filename for f in message.get("files") or []):
            return channel_id, str(message.get("ts"))
    return None


def _messages(
    client: WebClient, channel: str, thread_ts: str | None, oldest: str
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(LOOKUP_PAGES):
        args: dict[str, Any] = {"channel": channel, "oldest": oldest, "limit": 200,
                                "include_all_metadata": True, "cursor": cursor}
        if thread_ts:
            page = client.conversations_replies(ts=thread_ts, **args)
        else:
            page = client.conversations_history(**args)
        found += page.get("messages") or []
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return found


_ids: dict[tuple[str, str], str] = {}


def conversation_id(client: WebClient, channel: str) -> str:
    """History wants a conversation id: a DM is opened by user id, a "#name" looked up."""
    if not channel.startswith(("U", "W", "#")):
        return channel
    key = (f"{client.base_url}|{client.token}", channel)
    if key in _ids:
        return _ids[key]
    if channel.startswith("#"):
        found = _find_by_name(client, channel[1:])
    else:
        found = str(client.conversations_open(users=channel)["channel"]["id"])
    _ids[key] = found
    return found


def _find_by_name(client: WebClient, name: str) -> str:
    cursor = None
    while True:
        page = client.conversations_list(types="public_channel,private_channel", limit=1000,
                                         exclude_archived=True, cursor=cursor)
        for channel in page.get("channels") or []:
            if channel.get("name") == name:
                return str(channel["id"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            raise LookupError(f"no channel named #{name}")


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
        with session_scope(deps.sessions) as session:
            plan, then = prepare(session, deps, row, clock())
            if isinstance(plan, Skip):
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
    addressed = plan.channel if isinstance(plan, Post | Redraw | Upload) else channel
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
