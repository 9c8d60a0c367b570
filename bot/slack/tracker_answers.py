"""`/postmortem list`, `status` and `metrics`: the tracker and its numbers as ephemeral
answers, sent after the ack through the command's response_url (bot/slack/commands.py).
Everything is read in the asking user's workspace."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.slack import blocks as bk
from bot.slack.context import Ctx
from bot.slack.home.rows import row_text
from bot.slack.report.table import metrics_text
from flows import action_items as ai
from flows.errors import PostmortemError
from flows.metrics import tracker_metrics
from flows.program_report import publish_deadline
from flows.tracker_rows import tracker_row
from storage.queries import tracker
from storage.queries.tracker import TrackerFilter

LISTED = 20
ITEMS_LISTED = 15
_DAYS = re.compile(r"^(\d{1,4})d$")


@dataclass
class Answer:
    """Text (the notification, and all a client without blocks shows) and blocks."""

    text: str
    blocks: list[bk.Block] = field(default_factory=list)

    def message(self) -> dict[str, Any]:
        return {"text": bk.clip(self.text), **({"blocks": self.blocks} if self.blocks else {})}


def list_filter(arg: str, user_id: str) -> tuple[TrackerFilter, str, str]:
    """The filter `/postmortem list ARG` means, its heading and what "none" reads like."""
    word = arg.strip()
    if word.lower() in ("", "open"):
        return TrackerFilter(open=True), "Open post-mortems", "No open post-mortems. :tada:"
    if word.lower() == "overdue":
        return (TrackerFilter(overdue=True), "Overdue post-mortems",
                "Nothing is overdue: no late post-mortem, no late action item. :tada:")
    if word.lower() == "mine":
        return (TrackerFilter(open=True, mine=user_id), "Your open post-mortems",
                "None of the open post-mortems is yours.")
    name = bk.escape(word)
    return (TrackerFilter(service=word), f"Post-mortems on {name}",
            f"No post-mortem names the service “{name}”.")


def list_tracker(ctx: Ctx, arg: str) -> Answer:
    filters, heading, none = list_filter(arg, ctx.user_id)
    with ctx.read() as session:
        entries, total = tracker.tracker_page(session, team_id=ctx.user_team_id,
                                              filters=filters, now=ctx.now(), limit=LISTED)
    if not entries:
        return Answer(none)
    rows = [row_text(tracker_row(e)) for e in entries]
    head = f"*{heading}*" + (f" — newest {LISTED} of {total}" if total > LISTED else "")
    blocks = [bk.section(head), *(bk.section(r) for r in rows)]
    if total > LISTED:
        blocks.append(bk.context("The App Home's tracker pages through all of them."))
    return Answer(head + "\n" + "\n".join(rows), blocks)


def status_of(ctx: Ctx, arg: str) -> Answer:
    if not arg.strip().isdigit():
        return Answer("Usage: `/postmortem status ID` (the number shown in `/postmortem list`).")
    pm_id = int(arg)
    with ctx.read() as session:
        entry = tracker.find_in_workspace(session, pm_id=pm_id, team_id=ctx.user_team_id)
        if entry is None:
            return Answer(f"There is no post-mortem #{pm_id} in this workspace.")
        tracker.fill_counts(session, [entry], today=ctx.now().date())
        items = tracker.items_of(session, pm_id=pm_id)
    pm = entry.postmortem
    lines = [row_text(tracker_row(entry))]
    people = f"Author {bk.user(pm.owner_id)}, facilitator {bk.user(pm.facilitator_id)}"
    if pm.due_at and pm.published_at is None:
        people += f"; due {bk.slack_date(pm.due_at)}"
    lines.append(people)
    today = ctx.now().date()
    open_items = [a for a in items if a.status in ai.OPEN_STATUSES]
    for item in open_items[:ITEMS_LISTED]:
        late = " :warning: overdue" if ai.is_overdue(item, today) else ""
        lines.append(f"• *{ai.label(item)}* {bk.escape(bk.clip(item.title, 200))} — "
                     f"{bk.user(item.owner_id)}, {ai.STATUS_LABELS[item.status].lower()}, due "
                     f"{ai.due_text(item.due_on)}{late}")
    if len(open_items) > ITEMS_LISTED:
        lines.append(f"…and {len(open_items) - ITEMS_LISTED} more open items.")
    text = bk.clip("\n".join(lines))
    return Answer(text, [bk.section(text)])


def parse_since(arg: str, now: datetime) -> datetime | None:
    """`90d`, `2026-06` or `2026-06-15` (UTC); nothing means since the first incident."""
    word = arg.strip()
    if not word:
        return None
    days = _DAYS.match(word)
    if days:
        return now - timedelta(days=int(days[1]))
    for fmt in ("%Y-%m-%d", "%Y-%m"):
        try:
            return datetime.strptime(word, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise PostmortemError(f"“{bk.escape(word)}” is not a date: write `90d`, `2026-06` or "
                          "`2026-06-15`.")


def metrics_of(ctx: Ctx, arg: str) -> Answer:
    since = parse_since(arg, ctx.now())
    with ctx.read() as session:
        m = tracker_metrics(session, team_id=ctx.user_team_id, now=ctx.now(), since=since,
                            deadline=publish_deadline(ctx.deps.policy))
    when = f"since {since:%Y-%m-%d}" if since else "all time"
    text = metrics_text(m, f":bar_chart: *Post-mortem program — {when}* "
                           f"({m.incidents} incidents)")
    return Answer(bk.clip(text), [bk.section(bk.clip(text))])
