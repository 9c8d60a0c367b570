"""The 5 Whys: the question each answer replies to, and the vocabulary of contributing factors.

A question is either the team's own or quotes what it asks about word for word: "Why did
this happen: “The database connection pool was exhausted”?". Turning an answer into a
question by grammar ("Why the database connection pool was exhausted?") gets English
wrong more often than right, so it is never done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from flows.changes import apply_fields, record_change
from flows.errors import FieldErrors, NotFound
from flows.permissions import Actor, require_editor
from storage.queries import postmortems
from storage.record import WhyData
from storage.tables import ContributingFactor, Why

MIN_WHYS = 5
FACTOR_CATEGORIES = ("Process", "Code", "Infrastructure", "Communication")
FACTOR_SEVERITIES = ("High", "Med", "Low")
NARRATIVE = ("root_cause", "cause_what", "cause_why", "cause_how")
ANSWER_MAX = 3000
QUESTION_MAX = 500


def next_question(incident_title: str, whys: Sequence[WhyData]) -> str:
    """Why 1 asks about the incident, every later why about the previous answer, quoted."""
    subject = whys[-1].answer if whys else incident_title
    quoted = " ".join(subject.split()).rstrip(".!?;:, ")
    return f"Why did this happen: “{quoted}”?" if quoted else "Why did this happen?"


def read_why(
    answer: str | None, question: str | None, *, incident_title: str, whys: Sequence[WhyData]
) -> tuple[str, str]:
    """(question, answer) for the next why: the team's own question if they wrote one."""
    errors: dict[str, str] = {}
    text = (answer or "").strip()
    asked = " ".join((question or "").split())
    if not text:
        errors["answer"] = "Answer the why, or leave the form when you reached the root cause."
    elif len(text) > ANSWER_MAX:
        errors["answer"] = f"Keep the answer under {ANSWER_MAX} characters."
    if len(asked) > QUESTION_MAX:
        errors["question"] = f"Keep the question under {QUESTION_MAX} characters."
    if errors:
        raise FieldErrors(errors)
    if asked and not asked.endswith("?"):
        asked += "?"
    return asked or next_question(incident_title, whys), text


@dataclass(frozen=True)
class WhysSaved:
    answered: int | None  # the number of the why just answered, if one was
    changed: list[str]  # narrative fields that changed


def save_whys(
    session: Session, *, pm_id: int, actor: Actor, answer: str, narrative: dict[str, str | None],
    now: datetime, question: str | None = None,
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
        asked, text = read_why(answer, question, incident_title=incident.title, whys=whys)
        session.add(Why(postmortem_id=pm_id, position=answered, question=asked, answer=text))
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
