"""The 5 Whys: how the next question is asked, and the vocabulary of contributing factors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from flows.changes import apply_fields, record_change
from flows.errors import NotFound
from flows.permissions import Actor, require_editor
from storage.queries import postmortems
from storage.tables import ContributingFactor, Why

MIN_WHYS = 5
FACTOR_CATEGORIES = ("Process", "Code", "Infrastructure", "Communication")
FACTOR_SEVERITIES = ("High", "Med", "Low")
NARRATIVE = ("root_cause", "cause_what", "cause_why", "cause_how")


def next_question(incident_title: str, whys: Sequence[Why]) -> str:
    """Why 1 asks about the incident; every later why asks about the previous answer."""
    if not whys:
        return f"Why did this happen: {incident_title.rstrip('.?!')}?"
    last = whys[-1].answer.strip().rstrip(".?!")
    first, rest = last[:1].lower(), last[1:]
    return f"Why {first}{rest}?"


@dataclass(frozen=True)
class WhysSaved:
    answered: int | None  # the number of the why just answered, if one was
    changed: list[str]  # narrative fields that changed


def save_whys(
    session: Session, *, pm_id: int, actor: Actor, answer: str, narrative: dict[str, str | None],
    now: datetime,
) -> WhysSaved:
    """The next why's answer (if given) and the root-cause narrative, audited together."""
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    require_editor(pm, actor.user_id, "work on the 5 Whys", team_id=actor.team_id)
    changed = apply_fields(pm, NARRATIVE, narrative)
    answered = None
    if answer:
        whys = list(session.exec(select(Why).where(Why.postmortem_id == pm_id)
                                 .order_by(col(Why.position))).all())
        incident = postmortems.get_incident(session, incident_id=pm.incident_id)
        answered = len(whys) + 1
        session.add(Why(postmortem_id=pm_id, position=answered,
                        question=next_question(incident.title, whys), answer=answer))
    if answered or changed:
        record_change(session, pm, actor_id=actor.user_id, now=now, kind="whys",
                      summary="worked on the 5 Whys", detail={"fields": changed})
    return WhysSaved(answered, changed)


def add_factor(
    session: Session, *, pm_id: int, actor: Actor, text: str, category: str, severity: str,
    now: datetime,
) -> ContributingFactor:
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    require_editor(pm, actor.user_id, "add contributing factors", team_id=actor.team_id)
    factor = ContributingFactor(postmortem_id=pm_id, text=text, category=category,
                                severity=severity)
    session.add(factor)
    record_change(session, pm, actor_id=actor.user_id, now=now, kind="factor",
                  summary="added a contributing factor")
    return factor


def delete_factor(
    session: Session, *, pm_id: int, factor_id: int, actor: Actor, now: datetime
) -> ContributingFactor:
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    require_editor(pm, actor.user_id, "delete contributing factors", team_id=actor.team_id)
    factor = session.get(ContributingFactor, factor_id)
    if factor is None or factor.postmortem_id != pm_id:
        raise NotFound("That factor was already deleted.")
    session.delete(factor)
    record_change(session, pm, actor_id=actor.user_id, now=now, kind="factor_deleted",
                  summary="deleted a factor")
    return factor
