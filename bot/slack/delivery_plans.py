"""What a claimed outbox row means now: a post, a redraw, an upload, or nothing to send.

Read against the current state when the row is sent, not when it was written: a reminder
whose post-mortem was published meanwhile is moot, a redraw shows what is there now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.deps import Deps
from bot.slack.control import build_control_message
from bot.slack.home.build import home_view
from bot.slack.reminders.render import render_due
from bot.slack.report.plan import report_upload
from flows.related import related_for
from flows.reminders.due import Due, Moot, decide, settle_then
from storage.kinds import CONTROL, HOME, MESSAGE, REFRESH, REPORT, UPLOAD
from storage.queries import postmortems
from storage.tables import Document, Reminder


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
    content: str | bytes
    comment: str


@dataclass(frozen=True)
class Publish:
    """A user's App Home, published (idempotent: safe to repeat). `channel` is the user."""

    channel: str
    view: dict[str, Any]


@dataclass(frozen=True)
class Skip:
    reason: str
    done: bool = False


Plan = Post | Redraw | Upload | Publish | Skip


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
        return _redraw(session, deps, row, now), None
    if row.kind == UPLOAD:
        return _upload(session, row), None
    if row.kind == CONTROL:
        return _control(session, deps, row, now)
    if row.kind == HOME:
        return _home(session, row, now), None
    if row.kind == REPORT:
        upload, then = report_upload(session, deps, row, now)
        return Upload(**upload), then
    decision = decide(session, row, policy=deps.policy, now=now,
                      digest_channel=deps.policy.digest_channel or deps.settings.announce_channel)

    follow_up = decision.then

    def plan_next(s: Session, _channel: str | None, _ts: str | None) -> None:
        settle_then(s, follow_up, policy=deps.policy, now=now)

    # No follow-up, no callback: the settle then needs no savepoint of its own for the row.
    after = plan_next if follow_up is not None else None
    if isinstance(decision, Moot):
        return Skip(decision.reason, done=decision.done), after
    return _post_due(decision, row, deps, now), after


def _control(
    session: Session, deps: Deps, row: Reminder, now: datetime
) -> tuple[Plan, After | None]:
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

    related = related_for(session, record, deps.related)
    return Post(channel, lambda _link: build_control_message(record, now, related)), remember


def _redraw(session: Session, deps: Deps, row: Reminder, now: datetime) -> Plan:
    if row.postmortem_id is None:
        return Skip("no post-mortem")
    record = postmortems.load_summary(session, pm_id=row.postmortem_id)
    pm = record.postmortem
    if not (pm.channel_id and pm.message_ts):
        return Skip("the control message is not posted")
    return Redraw(pm.channel_id, pm.message_ts,
                  build_control_message(record, now, related_for(session, record, deps.related)))


def _home(session: Session, row: Reminder, now: datetime) -> Plan:
    if not row.target:
        return Skip("no user")
    return Publish(row.target, home_view(session, team_id=row.team_id, user_id=row.target,
                                         now=now))


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
