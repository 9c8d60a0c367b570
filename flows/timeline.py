"""Timeline rules as data: entry checks, time order, pages, times in a reader's zone, and
entries built from captured Slack messages. No Slack, no session, no clock of its own."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flows.errors import FieldErrors
from flows.lifecycle import DRAFT, IN_REVIEW
from flows.timeparse import parse_typed_time
from storage.record import TimelineItem
from storage.tables import Incident, Postmortem, TimelineEntry

# 20 entries at two blocks each stay far below Slack's 100 blocks per modal, with room for
# the header and navigation blocks.
PAGE_SIZE = 20
TEXT_MAX = 3000
ACTOR_MAX = 255
# Published and closed write-ups are finished documents: captures go to a live one only.
CAPTURE_STATUSES = (DRAFT, IN_REVIEW)
SOURCE_LABELS = {
    "manual": "added by hand",
    "message": "from a message",
    "reaction": "pinned by reaction",
    "webhook": "from an alert",
}
# First match wins, so the most specific milestone words come first.
MILESTONES: list[tuple[str, re.Pattern[str]]] = [
    ("resolved", re.compile(r"\b(resolved|all clear|fully recovered)\b", re.I)),
    ("mitigated", re.compile(r"\b(mitigated|mitigation|workaround|recovering)\b", re.I)),
    ("rollback", re.compile(r"\b(roll(ed|ing)?[ -]?back|reverted?)\b", re.I)),
    ("acknowledged", re.compile(r"\b(ack(nowledged)?|paged|on[- ]call (is )?looking)\b", re.I)),
    ("detected", re.compile(r"\b(alert(ed|s)?|detected|noticed|fired|firing)\b", re.I)),
    ("deploy", re.compile(r"\b(deploy(ed|ment|ing)?|release[ds]?|rolled out)\b", re.I)),
]

T = TypeVar("T")
# A record's entries (plain rows) or the table's own.
Entry = TypeVar("Entry", TimelineItem, TimelineEntry)


@dataclass(frozen=True)
class EntryDraft:
    """A timeline entry as entered or captured, before it is a row."""

    occurred_at: datetime
    text: str
    actor: str | None = None
    source: str = "manual"
    message_key: str | None = None
    link: str | None = None
    milestone: str | None = None  # flows.milestones: read_milestone / suggest_milestone


def check_entry(text: str, actor: str | None) -> tuple[str, str | None]:
    """Trimmed text and actor; too long or empty is an error, never a silent cut."""
    errors: dict[str, str] = {}
    text = text.strip()
    actor = (actor or "").strip() or None
    if not text:
        errors["text"] = "Say what happened."
    elif len(text) > TEXT_MAX:
        errors["text"] = f"Keep it under {TEXT_MAX} characters (this is {len(text)})."
    if actor and len(actor) > ACTOR_MAX:
        errors["actor"] = f"Keep the actor under {ACTOR_MAX} characters."
    if errors:
        raise FieldErrors(errors)
    return text, actor


@dataclass(frozen=True)
class TimeContext:
    """What a typed time is read against: the user's zone, the incident's day, and the exact
    instant behind a prefilled value (so an untouched field keeps its seconds)."""

    tz: str
    default_day: date
    now: datetime
    original_at: datetime | None = None
    original_typed: str = ""


def resolve_time(typed: str, picked: datetime | None, ctx: TimeContext, *, field: str) -> datetime:
    """The entry's time: typed wins over picked; neither is an error at `field`."""
    if typed and typed == ctx.original_typed and ctx.original_at is not None:
        return ctx.original_at
    if typed:
        return parse_typed_time(
            typed, user_tz=ctx.tz, default_day=ctx.default_day, now=ctx.now, field=field
        )
    if picked is None:
        raise FieldErrors({field: "Type a time (e.g. 14:05) or pick one below."})
    return picked


def ordered(entries: Iterable[Entry]) -> list[Entry]:
    """Time order; entries at the same instant stay in the order they were added."""
    return sorted(entries, key=lambda e: (e.occurred_at, e.id or 0))


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    count: int
    total: int
    first: int

    @property
    def has_prev(self) -> bool:
        return self.number > 0

    @property
    def has_next(self) -> bool:
        return self.number < self.count - 1


def paginate(items: Sequence[T], page: int, size: int = PAGE_SIZE) -> Page[T]:
    """One page of `items`; a page past the end (after deletions) shows the last one."""
    count = max(1, -(-len(items) // size))
    number = min(max(page, 0), count - 1)
    start = number * size
    return Page(list(items[start : start + size]), number, count, len(items), start + 1)


def page_holding(
    entries: Sequence[Entry], entry_id: int | None, size: int = PAGE_SIZE
) -> int:
    for index, entry in enumerate(entries):
        if entry.id == entry_id:
            return index // size
    return 0


def zone(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def format_in_zone(at: datetime, tz_name: str | None) -> str:
    """"Sat 21 Nov 14:05 CET": the reader's own clock, with the zone so nobody has to guess."""
    local = at.astimezone(zone(tz_name))
    return f"{local:%a %d %b %H:%M} {local.tzname() or tz_name}"


def typed_form(at: datetime, tz_name: str | None) -> str:
    """The time as someone would type it back (`2026-11-21 14:05`), for prefilling."""
    return f"{at.astimezone(zone(tz_name)):%Y-%m-%d %H:%M}"


def incident_day(incident: Incident, tz_name: str | None, now: datetime) -> date:
    """The day a bare `14:05` belongs to: the incident's start, else its end, else today."""
    anchor = incident.started_at or incident.resolved_at or now
    return anchor.astimezone(zone(tz_name)).date()


def ts_to_datetime(ts: str) -> datetime:
    """A Slack message ts ("1763733600.000200") as aware UTC, microseconds kept."""
    try:
        seconds = Decimal(ts)
    except InvalidOperation as err:
        raise ValueError(f"not a Slack ts: {ts!r}") from err
    whole = int(seconds)
    micros = int((seconds - whole) * 1_000_000)
    return datetime.fromtimestamp(whole, UTC).replace(microsecond=micros)


def message_key(channel_id: str, ts: str) -> str:
    return f"{channel_id}:{ts}"


def captured_entry(
    *, channel_id: str, ts: str, text: str, author: str | None, link: str | None, source: str
) -> EntryDraft:
    """The entry a pinned or shortcut-captured message becomes; stored text is never cut."""
    return EntryDraft(
        occurred_at=ts_to_datetime(ts),
        text=text.strip() or "(message without text)",
        actor=(author or "").strip()[:ACTOR_MAX] or None,
        source=source,
        message_key=message_key(channel_id, ts),
        link=link,
    )


def capture_target(postmortems: Sequence[Postmortem]) -> Postmortem | None:
    """The post-mortem a message in its channel belongs to: the newest one still being written."""
    live = [pm for pm in postmortems if pm.status in CAPTURE_STATUSES]
    return max(live, key=lambda pm: pm.id or 0, default=None)


def milestone(text: str) -> str | None:
    """A milestone the text probably marks ("detected", "mitigated"…), as a hint for readers."""
    for name, pattern in MILESTONES:
        if pattern.search(text):
            return name
    return None


def short(text: str, limit: int = 80) -> str:
    """One line of an entry for notes and audit summaries."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
