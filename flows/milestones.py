"""The incident's milestones: a fixed vocabulary, and when each one happened.

A milestone's time is the incident's own field when it has one (set in Details), otherwise
the earliest timeline entry marked with it; the start falls back to the first entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import compress, repeat
from operator import eq
from typing import Protocol

from flows.errors import FieldErrors
from flows.timeline import milestone
from storage.record import TimelineItem, timeline_columns
from storage.tables import Incident

# In the order an incident goes through them. Labels are what a person picks from.
MILESTONES: dict[str, str] = {
    "started": "Incident started (first symptom)",
    "deploy": "Deploy or change",
    "detected": "Detected (alert fired)",
    "acknowledged": "Acknowledged (incident declared)",
    "root_cause_identified": "Root cause identified",
    "fix_applied": "Fix applied",
    "mitigated": "Mitigated (user impact stopped)",
    "resolved": "Resolved (incident closed)",
}
# A marked timeline entry's tag in the document.
TAGS: dict[str, str] = {
    "started": "Incident started",
    "deploy": "Deploy",
    "detected": "Detected",
    "acknowledged": "Acknowledged",
    "root_cause_identified": "Root cause identified",
    "fix_applied": "Fix applied",
    "mitigated": "Mitigated",
    "resolved": "Resolved",
}
# How a milestone reads inside a definition: "from first symptom to mitigation".
NOUNS: dict[str, str] = {
    "started": "first symptom",
    "deploy": "the deploy",
    "detected": "detection",
    "acknowledged": "acknowledgement",
    "root_cause_identified": "root cause identified",
    "fix_applied": "fix applied",
    "mitigated": "mitigation",
    "resolved": "resolution",
}
# The incident's own column for a milestone, which wins over a marked timeline entry.
INCIDENT_FIELDS: dict[str, str] = {
    "started": "started_at",
    "detected": "detected_at",
    "acknowledged": "acknowledged_at",
    "root_cause_identified": "identified_at",
    "mitigated": "mitigated_at",
    "resolved": "resolved_at",
}
FIELD = "milestone"


# What flows.timeline.milestone's guess means in this vocabulary.
_GUESSES = {"resolved": "resolved", "mitigated": "mitigated", "rollback": "fix_applied",
            "acknowledged": "acknowledged", "detected": "detected", "deploy": "deploy"}
_ROOT_CAUSE = ("root cause", "found the cause", "identified the cause", "cause identified")


def suggest_milestone(text: str) -> str | None:
    """A milestone to preselect for an entry ("Root cause: pool exhausted" → identified);
    a person confirms it, so a wrong guess costs one click."""
    lowered = text.lower()
    if any(words in lowered for words in _ROOT_CAUSE):
        return "root_cause_identified"
    guess = milestone(text)
    return _GUESSES.get(guess) if guess else None


def read_milestone(value: str | None) -> str | None:
    """A timeline entry's milestone as picked: a known key, or None for "not a milestone"."""
    key = (value or "").strip()
    if not key:
        return None
    if key not in MILESTONES:
        raise FieldErrors({FIELD: f"“{key}” is not a milestone: pick one from the list."})
    return key


@dataclass(frozen=True)
class MilestoneTimes:
    """When each milestone happened; `source` says whether it came from a marked entry."""

    at: dict[str, datetime]
    source: dict[str, str]

    def get(self, kind: str) -> datetime | None:
        return self.at.get(kind)


class HasMilestones(Protocol):
    """An incident's own milestone columns (an `Incident`, or the metrics' lighter row)."""

    @property
    def started_at(self) -> datetime | None: ...
    @property
    def detected_at(self) -> datetime | None: ...
    @property
    def acknowledged_at(self) -> datetime | None: ...
    @property
    def identified_at(self) -> datetime | None: ...
    @property
    def mitigated_at(self) -> datetime | None: ...
    @property
    def resolved_at(self) -> datetime | None: ...


def milestone_times(incident: Incident, timeline: Sequence[TimelineItem]) -> MilestoneTimes:
    """The earliest marked entry per milestone, and the first entry: C-level passes over the
    timeline's columns (one per milestone it marks), not a Python loop per entry."""
    columns = timeline_columns(timeline)
    at, kinds = columns.occurred_at, columns.milestone
    marked = {kind: min(compress(at, map(eq, kinds, repeat(kind))))
              for kind in set(kinds) if kind}
    return _resolve(incident, marked, min(at, default=None))


def times_from_marked(incident: HasMilestones, marked: Mapping[str, datetime]) -> MilestoneTimes:
    """`milestone_times` from the earliest entry per milestone as the database groups them
    (storage/queries/tracker.py; "" holds the earliest unmarked entry)."""
    first = min(marked.values(), default=None)
    return _resolve(incident, {k: v for k, v in marked.items() if k}, first)


def _resolve(
    incident: HasMilestones, marked: Mapping[str, datetime], first: datetime | None
) -> MilestoneTimes:
    at_: dict[str, datetime] = {}
    source: dict[str, str] = {}
    for kind in MILESTONES:
        field = INCIDENT_FIELDS.get(kind)
        own = getattr(incident, field) if field else None
        if own is not None:
            at_[kind], source[kind] = own, "incident"
        elif kind in marked:
            at_[kind], source[kind] = marked[kind], "timeline"
    if "started" not in at_ and first is not None:
        at_["started"], source["started"] = first, "first entry"
    return MilestoneTimes(at_, source)
