"""The demo's team and channel, the messages it adds to the timeline, the data no modal
collects yet (the impact's wider effects, resolved names), and the documents it leaves in DIR.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flows.document import list_templates
from flows.document.offline import render_stored
from storage.db import SessionFactory, session_scope
from storage.queries import postmortems
from storage.queries.names import remember_channel, remember_person

CHANNEL = "C0INCIDENT"
CHANNELS = {CHANNEL: "inc-checkout-500s", "C0ENG": "engineering"}
TEAM = [
    ("U0ALICE", "alice", "Europe/Berlin"),  # on-call engineer, author
    ("U0BOB", "bob", "Europe/Berlin"),  # incident commander
    ("U0CAROL", "carol", "America/New_York"),  # engineering manager
    ("U0DAN", "dan", "UTC"),  # database engineer
]

# minutes after the start, who, what they wrote, the milestone the entry marks
PINNED = [
    (0, "U0DAN", "Deploy of payment-api v2.14 finished", "deploy"),
    (3, "U0BOB", "PagerDuty: CheckoutErrorRate above 5% — I'm IC", "detected"),
    (5, "U0ALICE", "Acknowledged, looking at payment-api", "acknowledged"),
    (18, "U0DAN", "Root cause: connection pool exhausted (max 100, active 100)",
     "root_cause_identified"),
    (24, "U0ALICE", "Rolling back payment-api to v2.13", "fix_applied"),
    (31, "U0ALICE", "Rollback done, error rate back under 0.1%", "mitigated"),
    (52, "U0BOB", "Pool raised to 200 and error budget burn back to normal: all clear",
     "resolved"),
]



def inputs_without_modals(sessions: SessionFactory, pm_id: int) -> None:
    """What no modal asks for yet, stored the way the bot will store it."""
    now = datetime.now(UTC)
    with session_scope(sessions) as session:
        pm = postmortems.get_postmortem(session, pm_id=pm_id)
        for field, value in {
            "geography": "EU and US-East (every region served by payment-api)",
            "reputation_impact": "A dozen complaints on social media; no press coverage",
            "contractual_impact": "None: no enterprise customer's SLA was breached",
            "infrastructure_impact": "The shared postgres cluster and the payment-api pods",
            "dependency_impact": "The payment provider's callbacks were retried and succeeded",
            "internal_impact": "Three engineers for two hours, plus support answering tickets",
        }.items():
            setattr(pm, field, value)
        session.add(pm)
        for user_id, name, _ in TEAM:
            remember_person(session, team_id=pm.team_id, user_id=user_id, display_name=name,
                            now=now)
        for channel_id, name in CHANNELS.items():
            remember_channel(session, team_id=pm.team_id, channel_id=channel_id, name=name,
                             now=now)


def write_documents(
    sessions: SessionFactory, pm_id: int, folder: Path, *, now: datetime
) -> list[Path]:
    """`<template>.md` for every built-in template, names as the bot stored them."""
    written = []
    with session_scope(sessions) as session:
        record = postmortems.load_record(session, pm_id=pm_id)
        for template in list_templates():
            path = folder / f"{template}.md"
            path.write_text(render_stored(session, record, template=template, tz="UTC", now=now),
                            encoding="utf-8")
            written.append(path)
    return written
