"""A tracker row (flows/tracker_rows.py) as Slack text: the App Home and `/postmortem list`
show the same line. User text escaped."""

from __future__ import annotations

from urllib.parse import urlencode

from bot.slack import blocks as bk
from flows.durations import format_duration
from flows.tracker_rows import TrackerRow

TITLE_CHARS = 150


def row_link(row: TrackerRow) -> str:
    """The published document's archive when there is one, else the incident channel
    (Slack's app_redirect deep link needs no workspace domain)."""
    return place_link(row.archive_url, row.channel_id, row.team_id)


def place_link(archive_url: str | None, channel_id: str | None, team_id: str | None) -> str:
    """Where a post-mortem can be read: its archived document, else its channel."""
    if archive_url:
        return archive_url
    if channel_id:
        query = {"channel": channel_id, **({"team": team_id} if team_id else {})}
        return "https://slack.com/app_redirect?" + urlencode(query)
    return ""


def link(url: str, text: str) -> str:
    """`text` linked to `url`, or `text` alone without one."""
    # A URL in <…|…> must not carry the characters that end the link.
    safe = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    return f"<{safe}|{text}>" if safe else text


def items_text(row: TrackerRow) -> str:
    if not row.items:
        return "no action items"
    done = "" if row.done_percent is None else f", {row.done_percent}% done"
    late = f", :warning: {row.items_overdue} overdue" if row.items_overdue else ""
    return f"{row.items} action item{'s' if row.items != 1 else ''}{done}{late}"


def row_text(row: TrackerRow) -> str:
    """Two lines: what happened, then where the post-mortem stands."""
    reference = link(row_link(row), f"*{bk.escape(row.reference)}*")
    title = bk.escape(bk.clip(row.title, TITLE_CHARS))
    services = bk.escape(bk.clip(", ".join(row.services), 200)) or "no service"
    head = (f"{reference} {row.severity_label} “{title}” · {row.date:%Y-%m-%d} · {services}"
            + (f" · {format_duration(row.duration)}" if row.duration is not None else ""))
    state = [f"*#{row.pm_id} {row.status_label}*", f"author {bk.user(row.author_id)}",
             items_text(row)]
    if row.impact:
        state.append(f"impact: {bk.escape(row.impact)}")
    if row.published_at:
        state.append(f"published {row.published_at:%Y-%m-%d}")
    return bk.clip(f"{head}\n{' · '.join(state)}")
