"""Related-incident suggestions: earlier post-mortems with a similar title, a similar root
cause or the same services, scored in-process (stdlib difflib, token-set comparison), the
best three above a threshold. Beyond the policy's repeat rule (same service within 90 days),
which only decides whether a post-mortem is required."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from difflib import SequenceMatcher

from sqlmodel import Session

from flows.changes import record_change
from flows.errors import NotFound
from flows.permissions import Actor, require_editor
from flows.references import LABEL_MAX
from storage.queries import parts, postmortems, recurrences
from storage.queries.related import EarlierPostmortem, earlier_postmortems
from storage.record import PostmortemRecord
from storage.tables import Incident, Postmortem, Recurrence, Reference

LIMIT = 3
SHORTLIST = 30
THRESHOLD = 0.6
# How much each signal weighs, over the signals both post-mortems have.
WEIGHTS = {"title": 0.4, "root cause": 0.4, "services": 0.2}
# Long root causes are compared by their opening, which states the cause.
TEXT_CHARS = 400
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset({
    "the", "and", "for", "was", "were", "with", "from", "that", "this", "into", "after", "when",
    "did", "not", "has", "had", "have", "are", "its", "our", "out", "via", "due", "than", "then",
    "but", "all", "any",
})


@dataclass(frozen=True)
class Subject:
    title: str
    root_cause: str
    services: Sequence[str]


@dataclass(frozen=True)
class Suggestion:
    postmortem: EarlierPostmortem
    score: float
    # What made it similar, strongest first: "similar title", "same services"…
    reasons: tuple[str, ...]
    # Someone already linked it: this incident is recorded as its recurrence.
    linked: bool = False


@dataclass(frozen=True)
class Linked:
    earlier: Postmortem
    earlier_incident: Incident
    # False when it was linked already (a second click changes nothing).
    new: bool


def words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()[:TEXT_CHARS])
                     if len(w) > 2 and w not in _STOP)


def token_set_ratio(a: frozenset[str], b: frozenset[str]) -> float:
    """How alike two word sets are, 0..1: the shared words against each side's whole, so a
    title that adds words to another still scores high."""
    if not a or not b:
        return 0.0
    shared = " ".join(sorted(a & b))
    left = " ".join(filter(None, (shared, " ".join(sorted(a - b)))))
    right = " ".join(filter(None, (shared, " ".join(sorted(b - a)))))
    pairs = [(left, right)] + ([(shared, left), (shared, right)] if shared else [])
    return max(SequenceMatcher(None, x, y).ratio() for x, y in pairs)


def _services(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n.strip().lower() for n in names if n.strip())


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


@dataclass(frozen=True)
class _Words:
    title: frozenset[str]
    cause: frozenset[str]
    services: frozenset[str]

    @classmethod
    def of(cls, title: str, cause: str, services: Iterable[str]) -> _Words:
        return cls(words(title), words(cause), _services(services))


def _signals(mine: _Words, theirs: _Words, ratio: Callable[..., float]) -> dict[str, float]:
    """Each signal both sides have, compared with `ratio` (services: always Jaccard)."""
    signals = {"title": ratio(mine.title, theirs.title)}
    if mine.cause and theirs.cause:
        signals["root cause"] = ratio(mine.cause, theirs.cause)
    if mine.services and theirs.services:
        signals["services"] = (len(mine.services & theirs.services)
                               / len(mine.services | theirs.services))
    return signals


def _weighted(signals: dict[str, float]) -> float:
    return sum(WEIGHTS[k] * v for k, v in signals.items()) / sum(WEIGHTS[k] for k in signals)


def score(subject: Subject, other: EarlierPostmortem) -> tuple[float, tuple[str, ...]]:
    """The weighted similarity over the signals both have, and the signals that matched."""
    signals = _signals(_Words.of(subject.title, subject.root_cause, subject.services),
                       _Words.of(other.title, other.root_cause, other.services),
                       token_set_ratio)
    # Any shared service is worth saying; a text is "similar" from the threshold up.
    reasons = tuple(("same services" if k == "services" else f"similar {k}")
                    for k, v in sorted(signals.items(), key=lambda kv: -kv[1])
                    if v >= THRESHOLD or (k == "services" and v > 0))
    return _weighted(signals), reasons


def suggest(
    subject: Subject, candidates: Iterable[EarlierPostmortem], *, limit: int = LIMIT,
    threshold: float = THRESHOLD,
) -> list[Suggestion]:
    """The best `limit` candidates scoring at least `threshold`, best first (newest on a tie).
    A cheap word-overlap pass keeps the `SHORTLIST` most alike; only those are compared
    closely, so thousands of earlier post-mortems cost milliseconds."""
    mine = _Words.of(subject.title, subject.root_cause, subject.services)
    rough = []
    for order, other in enumerate(candidates):
        theirs = _Words.of(other.title, other.root_cause, other.services)
        if not ((mine.title | mine.cause) & (theirs.title | theirs.cause)
                or mine.services & theirs.services):
            continue
        rough.append((-_weighted(_signals(mine, theirs, _dice)), order, other))
    rough.sort(key=lambda r: (r[0], r[1]))
    found = []
    for _, order, other in rough[:SHORTLIST]:
        total, reasons = score(subject, other)
        if total >= threshold and reasons:
            found.append((-total, order, Suggestion(other, round(total, 2), reasons)))
    return [s for _, _, s in sorted(found, key=lambda f: (f[0], f[1]))[:limit]]


def subject_of(record: PostmortemRecord) -> Subject:
    pm, incident = record.postmortem, record.incident
    cause = " ".join(t for t in (pm.root_cause, pm.cause_why) if t)
    return Subject(incident.title, cause, incident.services)


class Remembered:
    """Suggestions already worked out, per post-mortem and subject, for `ttl` seconds.

    Every change to a post-mortem redraws its control message, and each redraw would compare
    it with up to 2,000 earlier post-mortems again: in a busy incident channel that was most of
    the bot's work. Only earlier post-mortems are candidates, so while its own title, root
    cause and services stay the same the answer changes only when an earlier one is edited;
    that shows within `ttl`. Whether a suggestion is linked is read fresh every time.
    """

    def __init__(self, ttl: float = 300.0, size: int = 1024,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._size, self._clock = ttl, size, clock
        self._found: OrderedDict[Hashable, tuple[float, list[Suggestion]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, work_out: Callable[[], list[Suggestion]]) -> list[Suggestion]:
        now = self._clock()
        with self._lock:
            kept = self._found.get(key)
            if kept is not None and now - kept[0] < self._ttl:
                self._found.move_to_end(key)
                return kept[1]
        found = work_out()
        with self._lock:
            self._found[key] = (now, found)
            self._found.move_to_end(key)
            while len(self._found) > self._size:
                self._found.popitem(last=False)
        return found


def related_for(
    session: Session, record: PostmortemRecord, remembered: Remembered | None = None
) -> list[Suggestion]:
    """Suggestions for a post-mortem among its workspace's earlier ones, those already
    linked marked so."""
    incident = record.incident
    dated: datetime = incident.started_at or incident.created_at
    subject, team_id = subject_of(record), record.postmortem.team_id

    def work_out() -> list[Suggestion]:
        candidates = earlier_postmortems(session, pm_id=record.id, team_id=team_id,
                                         before=dated)
        return suggest(subject, candidates)

    if remembered is None:
        found = work_out()
    else:
        key = (team_id, record.id, dated, subject.title, subject.root_cause,
               tuple(subject.services))
        found = remembered.get(key, work_out)
    if not found or incident.id is None:
        return found
    linked = recurrences.recurred_as(session, incident_id=incident.id)
    return [replace(s, linked=s.postmortem.pm_id in linked) for s in found]


def link_related(
    session: Session, *, pm_id: int, earlier_pm_id: int, actor: Actor, url: str, now: datetime
) -> Linked:
    """Accept a suggestion: this incident is recorded as a recurrence of the earlier
    post-mortem's (so the recurrence rate counts it) and the document cites it under its
    related incidents. `url`: where the earlier post-mortem is read."""
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    require_editor(pm, actor.user_id, "link related incidents", team_id=actor.team_id)
    earlier = postmortems.get_postmortem(session, pm_id=earlier_pm_id)
    if earlier.id == pm.id or earlier.team_id != pm.team_id:
        raise NotFound("That post-mortem cannot be linked to this one.")
    incident = postmortems.get_incident(session, incident_id=pm.incident_id)
    earlier_incident = postmortems.get_incident(session, incident_id=earlier.incident_id)
    assert incident.id is not None
    if earlier_pm_id in recurrences.recurred_as(session, incident_id=incident.id):
        return Linked(earlier, earlier_incident, new=False)
    recurrences.add_recurrence(session, Recurrence(
        postmortem_id=earlier_pm_id, team_id=earlier.team_id, reported_by=actor.user_id,
        reported_at=now, incident_id=incident.id,
    ))
    label = f"{earlier_incident.reference}: {earlier_incident.title}"[:LABEL_MAX]
    parts.add_parts(session, [Reference(postmortem_id=pm_id, kind="related_incident",
                                        label=label, url=url, created_by=actor.user_id,
                                        created_at=now)])
    record_change(session, pm, actor_id=actor.user_id, now=now, kind="related_linked",
                  summary=f"linked a related incident: {earlier_incident.reference}",
                  detail={"postmortem_id": earlier_pm_id, "url": url})
    return Linked(earlier, earlier_incident, new=True)
