"""Related-incident suggestions: scored by title, root cause and services; the best three
above the threshold; only earlier post-mortems of the same workspace."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from flows.errors import NotAllowed, NotFound
from flows.metrics import tracker_metrics
from flows.permissions import Actor
from flows.related import (
    THRESHOLD,
    Remembered,
    Subject,
    link_related,
    related_for,
    score,
    suggest,
    token_set_ratio,
    words,
)
from storage.queries import postmortems
from storage.queries.related import EarlierPostmortem
from storage.record import PostmortemRecord
from storage.tables import Incident, Postmortem
from tests.flows.history import NOW, OTHER, TEAM

SUBJECT = Subject("Checkout API returned 500s",
                  "DB connection pool exhausted after the deploy raised the worker count",
                  ["payment-api"])


def earlier(
    i: int, title: str, services: tuple[str, ...] = (), cause: str = ""
) -> EarlierPostmortem:
    return EarlierPostmortem(i, f"INC-{i}", title, list(services), cause,
                             datetime(2026, 1, 1, tzinfo=UTC), "T1", "C0INC", None)


CANDIDATES = [
    earlier(1, "Checkout API 500 errors after deploy", ("payment-api",),
            "Connection pool exhausted by the new workers"),
    earlier(2, "Search latency spike", ("search",), "Elasticsearch GC pauses"),
    earlier(3, "Payments failing at checkout", ("payment-api",)),
    earlier(4, "Login outage", ("auth",), "DB connection pool exhausted"),
    earlier(5, "checkout api returned 500s!", ()),
    earlier(6, "Billing job slow", ("payment-api",), "cron jobs overlapped"),
]


def test_word_sets_ignore_case_punctuation_and_filler() -> None:
    assert words("The Checkout-API returned 500s!") == {"checkout", "api", "returned", "500s"}
    assert token_set_ratio(words("Checkout API returned 500s"),
                           words("500s returned by the checkout API")) == 1.0
    assert token_set_ratio(frozenset(), words("x y z")) == 0.0


def test_each_signal_counts_only_when_both_have_it() -> None:
    total, reasons = score(SUBJECT, CANDIDATES[0])
    assert total > 0.75 and set(reasons) == {"similar title", "similar root cause",
                                             "same services"}
    total, reasons = score(SUBJECT, CANDIDATES[4])  # the same title, nothing else known
    assert (total, reasons) == (1.0, ("similar title",))
    total, reasons = score(SUBJECT, CANDIDATES[1])
    assert total < 0.3 and reasons == ()


def test_the_best_three_above_the_threshold() -> None:
    found = suggest(SUBJECT, CANDIDATES)
    assert [(s.postmortem.pm_id, s.reasons[0]) for s in found] == [
        (5, "similar title"), (1, "same services"), (3, "same services")]
    assert all(s.score >= THRESHOLD for s in found)
    # Same root cause on another service, different title: below the threshold.
    assert 4 not in [s.postmortem.pm_id for s in found]
    assert suggest(Subject("Search latency spike", "", ["search"]), CANDIDATES, limit=1)[0] \
        .postmortem.pm_id == 2
    assert suggest(Subject("Kafka lag", "", ["kafka"]), CANDIDATES) == []


def test_thousands_of_candidates_cost_milliseconds() -> None:
    many = [earlier(i, f"Service {i % 50} checkout api latency", (f"svc{i % 30}",),
                    f"pool exhausted by config drift number {i}") for i in range(2000)]
    started = time.perf_counter()
    suggest(SUBJECT, many)
    assert time.perf_counter() - started < 0.5


def record_of(session: Session, reference: str) -> PostmortemRecord:
    incident = session.exec(select(Incident).where(Incident.reference == reference)).one()
    pm = session.exec(select(Postmortem).where(Postmortem.incident_id == incident.id)).one()
    assert pm.id is not None
    return postmortems.load_summary(session, pm_id=pm.id)


def test_only_earlier_postmortems_of_the_workspace(history: Session) -> None:
    """History: A (api, 03-01) and B (api + db, 03-20) are both "INC-x outage": B's
    suggestion is A; A has nothing earlier; X (T2, billing) is another workspace's."""
    [a] = related_for(history, record_of(history, "INC-B"))
    assert (a.postmortem.reference, a.postmortem.team_id) == ("INC-A", TEAM)
    assert a.reasons == ("similar title", "same services") and a.score == 0.83
    assert related_for(history, record_of(history, "INC-A")) == []
    assert "INC-X" not in [s.postmortem.reference
                           for s in related_for(history, record_of(history, "INC-E"))]


def test_linking_a_suggestion_cites_it_and_counts_a_recurrence(history: Session) -> None:
    b, a = record_of(history, "INC-B"), record_of(history, "INC-A")
    alice = Actor("U0ALICE", TEAM)
    url = "https://slack.com/app_redirect?channel=C0A"
    linked = link_related(history, pm_id=b.id, earlier_pm_id=a.id, actor=alice, url=url,
                          now=NOW)
    assert linked.new and linked.earlier_incident.reference == "INC-A"
    again = link_related(history, pm_id=b.id, earlier_pm_id=a.id, actor=alice, url=url, now=NOW)
    assert not again.new
    [reference] = record_of(history, "INC-B").references
    assert (reference.kind, reference.label, reference.url) == (
        "related_incident", "INC-A: INC-A outage", url)
    [suggestion] = related_for(history, b)
    assert suggestion.linked
    # B already recurs by service; the link is the same incident, counted once.
    assert tracker_metrics(history, team_id=TEAM, now=NOW).recurring_incidents == 2
    with pytest.raises(NotFound):
        link_related(history, pm_id=b.id, earlier_pm_id=b.id, actor=alice, url=url, now=NOW)
    x = history.exec(select(Postmortem).where(Postmortem.team_id == OTHER)).one()
    with pytest.raises(NotFound):  # another workspace's
        link_related(history, pm_id=b.id, earlier_pm_id=x.id or 0, actor=alice, url=url,
                     now=NOW)
    with pytest.raises(NotAllowed):
        link_related(history, pm_id=b.id, earlier_pm_id=a.id, actor=Actor("U0NOBODY", TEAM),
                     url=url, now=NOW)


def test_remembered_suggestions_hold_until_the_subject_changes_or_they_age(
    history: Session,
) -> None:
    """The redraws of a busy post-mortem reuse what the first one worked out; its own new
    title is seen at once, an earlier post-mortem's edit once the answer is `ttl` old."""
    clock = [0.0]
    remembered = Remembered(ttl=60, clock=lambda: clock[0])
    b = record_of(history, "INC-B")
    [first] = related_for(history, b, remembered)
    a = history.exec(select(Incident).where(Incident.reference == "INC-A")).one()
    a.title = "Unrelated printer jam"
    history.add(a)
    history.flush()
    assert related_for(history, b, remembered) == [first]  # remembered
    b.incident.title = "INC-B outage again"
    assert related_for(history, b, remembered) == []  # its own subject changed: worked out
    b.incident.title = "INC-B outage"
    clock[0] = 61
    assert related_for(history, b, remembered) == []  # aged: the earlier edit shows
