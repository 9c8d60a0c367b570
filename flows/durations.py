"""One definition per number: the durations every document and summary shows.

Each is measured from one milestone to another, and says so. The seeds name them differently
(seed 001's TTD and MTTR, seed 002's detection lag and time to fix, seed 003's MTTA, seed
000's response and diagnosis lags); the templates use these definitions under those names.

- Impact window: first symptom → mitigation (user impact stopped); resolution when no
  mitigation was recorded; or the minutes the author entered, which win.
- Time to detect: first symptom → detection.
- Time to acknowledge: detection → acknowledgement.
- Time to diagnose: acknowledgement → root cause identified.
- Time to mitigate: detection → mitigation.
- Time to resolve: detection → resolution (seed 001's MTTR, seed 002's time to fix).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flows.milestones import NOUNS, MilestoneTimes, milestone_times
from storage.record import PostmortemRecord

# key, label, from milestone, to milestone
DEFINITIONS: tuple[tuple[str, str, str, str], ...] = (
    ("impact", "Impact window", "started", "mitigated"),
    ("detect", "Time to detect", "started", "detected"),
    ("acknowledge", "Time to acknowledge", "detected", "acknowledged"),
    ("diagnose", "Time to diagnose", "acknowledged", "root_cause_identified"),
    ("mitigate", "Time to mitigate", "detected", "mitigated"),
    ("resolve", "Time to resolve", "detected", "resolved"),
)
KEYS = tuple(d[0] for d in DEFINITIONS)

_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def format_duration(td: timedelta | None) -> str:
    """`1 h 12 min`: the two largest units, seconds only under an hour; '' for None."""
    if td is None:
        return ""
    total = round(td.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    if total == 0:
        return "0 min"
    if total >= 3600:
        total -= total % 60
    parts: list[str] = []
    for name, size in _UNITS:
        amount, total = divmod(total, size)
        if amount:
            parts.append(f"{amount} {name}")
        elif parts:
            break  # a zero in the middle ends it: "2 d" rather than "2 d 0 h 5 min"
        if len(parts) == 2:
            break
    return sign + " ".join(parts)


@dataclass(frozen=True)
class Duration:
    key: str
    label: str
    start: str
    end: str
    value: timedelta | None
    entered: bool = False

    @property
    def text(self) -> str:
        return format_duration(self.value)

    @property
    def definition(self) -> str:
        """"from first symptom to mitigation", or how the author's figure was given."""
        if self.entered:
            return "as entered by the author"
        return f"from {NOUNS[self.start]} to {NOUNS[self.end]}"

    def __bool__(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Durations:
    impact: Duration
    detect: Duration
    acknowledge: Duration
    diagnose: Duration
    mitigate: Duration
    resolve: Duration
    milestones: MilestoneTimes

    def all(self) -> list[Duration]:
        return [getattr(self, key) for key in KEYS]

    def present(self) -> list[Duration]:
        return [d for d in self.all() if d]

    def lines(self) -> list[tuple[str, str, str]]:
        """(label, value, definition) for each known duration: what a summary shows."""
        return [(d.label, d.text, d.definition) for d in self.present()]

    def sentences(self) -> list[str]:
        """"Impact window: 31 min (from first symptom to mitigation)", one per known duration,
        for the Slack executive summary and anything else that is not a document."""
        return [f"{d.label}: {d.text} ({d.definition})" for d in self.present()]


def _span(times: MilestoneTimes, start: str, end: str) -> timedelta | None:
    a, b = times.get(start), times.get(end)
    # A milestone recorded before its predecessor is a typo, not a negative duration.
    if a is None or b is None or b < a:
        return None
    return b - a


def incident_durations(record: PostmortemRecord) -> Durations:
    """Every duration of the incident, each from its stated milestones."""
    times = milestone_times(record.incident, record.timeline)
    return durations_from(times, record.postmortem.impact_minutes)


def durations_from(times: MilestoneTimes, impact_minutes: int | None) -> Durations:
    """The durations from milestone times already known (the tracker reads them grouped)."""
    out: dict[str, Duration] = {}
    for key, label, start, end in DEFINITIONS:
        out[key] = Duration(key, label, start, end, _span(times, start, end))
    if impact_minutes is not None:
        out["impact"] = Duration("impact", "Impact window", "started", "mitigated",
                                 timedelta(minutes=impact_minutes), entered=True)
    elif times.get("mitigated") is None:
        # No mitigation time: user impact ended, at the latest, with the resolution.
        out["impact"] = Duration("impact", "Impact window", "started", "resolved",
                                 _span(times, "started", "resolved"))
    return Durations(milestones=times, **out)


def impact_window(record: PostmortemRecord) -> timedelta | None:
    return incident_durations(record).impact.value
