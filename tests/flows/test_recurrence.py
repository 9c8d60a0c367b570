""""It happened again": the report kept, the new incident found by reference or link, the
owner's manager named, and the recurrence rate counting it (hand-computed on the history)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from flows.errors import FieldErrors, NotAllowed
from flows.metrics import tracker_metrics
from flows.permissions import Actor
from flows.policy import Policy, Team
from flows.recurrence import report_recurrence
from storage.queries.metrics import recurring_incident_ids, unnamed_recurrences
from storage.queries.recurrences import recurrences_of
from storage.tables import AuditEvent, Incident, Postmortem
from tests.flows.history import NOW, OTHER, TEAM, t

POLICY = Policy(roles={"engineering_manager": "U0EM"},
                teams={"core": Team("U0CORE", ("U0ALICE",))})
ALICE = Actor("U0ALICE", TEAM)


def pm_of(session: Session, reference: str) -> Postmortem:
    incident = session.exec(select(Incident).where(Incident.reference == reference)).one()
    return session.exec(select(Postmortem).where(Postmortem.incident_id == incident.id)).one()


def report(session: Session, reference: str, named: str | None, **kw: object) -> object:
    pm = pm_of(session, reference)
    assert pm.id is not None
    return report_recurrence(session, pm_id=pm.id, actor=ALICE, named=named, policy=POLICY,
                             now=kw.pop("now", t(4, 15)), **kw)  # type: ignore[arg-type]


def test_a_named_incident_is_linked_and_the_owners_manager_named(history: Session) -> None:
    reported = report(history, "INC-A", " inc-e ")
    e = pm_of(history, "INC-E")
    assert reported.new_incident.reference == "INC-E"  # type: ignore[attr-defined]
    assert reported.new_postmortem.id == e.id  # type: ignore[attr-defined]
    assert reported.manager_id == "U0CORE"  # type: ignore[attr-defined]
    [row] = recurrences_of(history, pm_id=pm_of(history, "INC-A").id or 0)
    assert (row.reported_by, row.reported_at, row.reference, row.url) == (
        "U0ALICE", t(4, 15), None, None)
    event = history.exec(select(AuditEvent).where(AuditEvent.kind == "recurrence")).one()
    assert event.summary == "reported that the incident happened again: INC-E"


def test_an_unknown_reference_or_link_is_kept_as_typed(history: Session) -> None:
    report(history, "INC-A", "PD-4411")
    report(history, "INC-A", "https://status.example.com/incidents/77")
    report(history, "INC-A", "")
    rows = recurrences_of(history, pm_id=pm_of(history, "INC-A").id or 0)
    assert [(r.incident_id, r.reference, r.url) for r in rows] == [
        (None, "PD-4411", None), (None, None, "https://status.example.com/incidents/77"),
        (None, None, None)]


@pytest.mark.parametrize(("named", "error"), [
    ("INC-A", "this post-mortem's own incident"),
    ("https://exa mple.com", "web link"),
    ("x" * 300, "under 255"),
])
def test_what_cannot_be_a_new_incident(history: Session, named: str, error: str) -> None:
    with pytest.raises(FieldErrors) as raised:
        report(history, "INC-A", named)
    assert error in raised.value.errors["incident"]


def test_only_the_postmortems_people_report_it(history: Session) -> None:
    pm = pm_of(history, "INC-A")
    with pytest.raises(NotAllowed):
        report_recurrence(history, pm_id=pm.id or 0, actor=Actor("U0STRANGER", TEAM),
                          named=None, policy=POLICY, now=NOW)


def test_recurrence_rate_counts_reports(history: Session) -> None:
    """By hand: B and D recur by service (2/5). A reported recurring as E (dated 04-10) makes
    E a recurrence; C reported recurring with no incident named, on 04-15, adds one more:
    4/5 all time; April: D, E and the unnamed one (3)."""
    report(history, "INC-A", "INC-E")
    report(history, "INC-C", None, now=t(4, 15))
    refs = dict(history.exec(select(Incident.id, Incident.reference)).all())
    ids = recurring_incident_ids(history, team_id=TEAM, since=None)
    assert sorted(refs[i] for i in ids) == ["INC-B", "INC-D", "INC-E"]
    assert unnamed_recurrences(history, team_id=TEAM, since=None) == 1
    m = tracker_metrics(history, team_id=TEAM, now=NOW)
    assert (m.incidents, m.recurring_incidents, m.recurrence_rate) == (5, 4, 0.8)
    april = tracker_metrics(history, team_id=TEAM, now=NOW, since=t(4, 1), until=t(5, 1))
    assert april.recurring_incidents == 3
    assert unnamed_recurrences(history, team_id=TEAM, since=t(4, 16)) == 0
    assert tracker_metrics(history, team_id=OTHER, now=NOW).recurring_incidents == 0
