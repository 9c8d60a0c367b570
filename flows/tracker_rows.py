"""Seed 001's "Post-Mortem Tracker" row: one post-mortem in the columns the spreadsheet had.

The App Home, `/postmortem list` and the CSV/JSON export all show these columns, in this
order, from `tracker_row`; durations follow flows.durations' definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flows.durations import durations_from
from flows.lifecycle import STATUS_LABELS
from flows.milestones import times_from_marked
from flows.severity import severity_name
from storage.queries.tracker import TrackerEntry

# The spreadsheet's columns (seed 001), the incident split into reference, title, severity.
TRACKER_COLUMNS = (
    "Incident", "Title", "Severity", "Date", "Service", "Duration (minutes)", "Impact",
    "Author", "Status", "Action items", "Action items done (%)", "Published", "Link",
)
IMPACT_CHARS = 120


@dataclass(frozen=True)
class TrackerRow:
    pm_id: int
    team_id: str | None
    reference: str
    title: str
    severity: int
    date: datetime
    services: tuple[str, ...]
    duration: timedelta | None
    impact: str
    author_id: str
    status: str
    items: int
    items_done: int
    items_overdue: int
    done_percent: int | None
    published_at: datetime | None
    due_at: datetime | None
    archive_url: str | None
    channel_id: str | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def severity_label(self) -> str:
        return severity_name(self.severity)

    @property
    def duration_minutes(self) -> int | None:
        return None if self.duration is None else round(self.duration.total_seconds() / 60)

    def values(self, *, author: str, link: str) -> list[str]:
        """The row as text, one value per `TRACKER_COLUMNS` entry (user text as entered:
        escaping is the surface's)."""
        minutes = self.duration_minutes
        return [
            self.reference, self.title, self.severity_label, f"{self.date:%Y-%m-%d}",
            ", ".join(self.services), "" if minutes is None else str(minutes), self.impact,
            author, self.status_label, str(self.items),
            "" if self.done_percent is None else str(self.done_percent),
            f"{self.published_at:%Y-%m-%d}" if self.published_at else "", link,
        ]


def impact_text(entry: TrackerEntry) -> str:
    """Users and revenue, as the seed's "Impact (users/revenue)" column; else the customer
    impact. Shortened: the document holds the whole text."""
    pm = entry.postmortem
    parts = [p.strip() for p in (pm.users_affected, pm.revenue_impact) if p and p.strip()]
    text = " / ".join(parts) or (pm.customer_impact or "").strip()
    text = " ".join(text.split())
    return text if len(text) <= IMPACT_CHARS else text[: IMPACT_CHARS - 1] + "…"


def done_percent(total: int, done: int, wont_do: int) -> int | None:
    """Done among the items still meant to be done (won't-do items were decided against)."""
    counted = total - wont_do
    return None if counted <= 0 else round(100 * done / counted)


def tracker_row(entry: TrackerEntry) -> TrackerRow:
    pm, incident, items = entry.postmortem, entry.incident, entry.items
    assert pm.id is not None
    durations = durations_from(times_from_marked(incident, entry.marked), pm.impact_minutes)
    return TrackerRow(
        pm_id=pm.id, team_id=pm.team_id, reference=incident.reference, title=incident.title,
        severity=incident.severity, date=incident.started_at or incident.created_at,
        services=tuple(incident.services or ()), duration=durations.impact.value,
        impact=impact_text(entry), author_id=pm.owner_id, status=pm.status, items=items.total,
        items_done=items.done, items_overdue=items.overdue,
        done_percent=done_percent(items.total, items.done, items.wont_do),
        published_at=pm.published_at, due_at=pm.due_at, archive_url=pm.archive_url,
        channel_id=pm.channel_id,
    )
