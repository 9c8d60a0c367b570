"""A large workspace for the tracker: N post-mortems with their incidents, M action items and a
few timeline entries each, written with bulk inserts. The Home benchmark (bench/home.py) and
the limits test (tests/bot/test_home_limits.py) use it.

One viewer owns many open items and many unpublished post-mortems, so the personal part of
the Home is as full as the tracker; some titles carry mrkdwn that must be escaped.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert

from storage.tables import ActionItem, Incident, Postmortem, TimelineEntry

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
VIEWER = "U0ALICE"
SERVICES = [f"service-{i:02d}" for i in range(60)]
STATUSES = ("draft", "in_review", "published", "closed")
ITEM_STATUSES = ("open", "in_progress", "done", "done", "done", "wont_do")
CHUNK = 20_000


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def fill(engine: Engine, *, postmortems: int, items: int, team: str = "T0001",
         timeline: int = 3, seed: int = 7) -> None:
    """Write the workspace. Ids are 1..N for incidents and post-mortems alike."""
    rnd = random.Random(seed)
    start = NOW - timedelta(days=3 * 365)
    span = (NOW - start).total_seconds()

    def when(i: int) -> datetime:
        return start + timedelta(seconds=span * i / postmortems)

    def incidents() -> Iterator[dict[str, Any]]:
        for i in range(1, postmortems + 1):
            at = when(i)
            title = f"Outage {i} <!channel> & <@U0BOB> *bold*" if i % 97 == 0 else f"Outage {i}"
            yield {"id": i, "reference": f"INC-{i:06d}", "title": title,
                   "severity": rnd.choice((0, 1, 1, 2, 2, 2, 3)),
                   "services": rnd.sample(SERVICES, rnd.choice((1, 1, 2))), "source": "slack",
                   "started_at": at, "detected_at": at + timedelta(minutes=rnd.randint(1, 30)),
                   "acknowledged_at": at + timedelta(minutes=rnd.randint(31, 60)),
                   "resolved_at": at + timedelta(minutes=rnd.randint(61, 600)),
                   "created_at": at + timedelta(hours=1)}

    def pms() -> Iterator[dict[str, Any]]:
        for i in range(1, postmortems + 1):
            at = when(i) + timedelta(hours=1)
            # The viewer writes every 100th; recent ones are still drafts.
            status = rnd.choice(STATUSES) if i < postmortems - 200 else "draft"
            published = at + timedelta(hours=rnd.randint(6, 120)) \
                if status in ("published", "closed") else None
            yield {"id": i, "incident_id": i, "team_id": team, "status": status,
                   "required": True, "owner_id": VIEWER if i % 100 == 0 else f"U{i % 500:07d}",
                   "facilitator_id": None, "reviewers": [], "attendees": [],
                   "finance_modules": [], "due_at": at + timedelta(hours=48),
                   "published_at": published, "users_affected": "about 1,200 users",
                   "created_at": at, "updated_at": at, "version": 0}

    def action_items() -> Iterator[dict[str, Any]]:
        per = max(items // postmortems, 1)
        for n in range(items):
            pm = n // per + 1
            if pm > postmortems:
                break
            status = rnd.choice(ITEM_STATUSES)
            yield {"postmortem_id": pm, "number": n % per + 1, "title": f"Fix {n} properly",
                   "owner_id": VIEWER if n % 300 == 0 else f"U{n % 2000:07d}",
                   "due_on": (when(pm) + timedelta(days=30)).date() if n % 4 else None,
                   "priority": "P2", "category": "Prevention", "status": status,
                   "created_at": when(pm), "updated_at": when(pm)}

    def entries() -> Iterator[dict[str, Any]]:
        marks = ("detected", "acknowledged", None)
        for i in range(1, postmortems + 1):
            for k in range(timeline):
                at = when(i) + timedelta(minutes=5 * k)
                yield {"postmortem_id": i, "occurred_at": at, "text": f"entry {k}",
                       "source": "manual", "milestone": marks[k % 3], "created_at": at}

    with engine.begin() as conn:
        for table, rows in ((Incident, incidents()), (Postmortem, pms()),
                            (ActionItem, action_items()), (TimelineEntry, entries())):
            for batch in _chunks(rows):
                conn.execute(insert(table), batch)  # type: ignore[arg-type]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for name in ("incident", "postmortem"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {postmortems})")
            conn.exec_driver_sql("ANALYZE")


def today() -> date:
    return NOW.date()
