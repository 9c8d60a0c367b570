"""Details: the incident's facts (title, severity, services, reference, milestones, the alert
that fired) and the write-up's roles, narrative, recovery check and review meeting."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from flows.changes import apply_fields, record_change
from flows.errors import FieldErrors
from flows.inputs import RESOLUTION_FIELDS, TEXT_MAX, TextField, read_alert, read_meeting
from flows.inputs import read_text_fields as read_texts
from flows.lifecycle import TITLE_MAX, IncidentFacts
from flows.permissions import Actor, require_editor
from flows.policy import Policy
from flows.reminders.plan import replan_deadline
from flows.severity import parse_severity
from storage.queries import postmortems
from storage.queries.reminders import move_reminders

REFERENCE_MAX = 64
TEMPLATE_MAX = 64
DETECTION_METHODS = ("Automated alert", "Customer report", "Internal report", "Manual discovery",
                     "Other")
# A Slack user id as a users_select sends it; anything else is a forged or broken form.
USER_ID = re.compile(r"^[UW][A-Z0-9]{1,31}$")
SERVICES_MAX = 1000
# The incident's milestones in the order they happen; each must not come before `started_at`.
TIMES = ("started_at", "detected_at", "acknowledged_at", "identified_at", "mitigated_at",
         "resolved_at")
TEXT_FIELDS = (
    TextField("title", "Incident title", max_length=TITLE_MAX, multiline=False),
    TextField("services", "Services affected", "Separate with commas.", SERVICES_MAX, False),
    TextField("reference", "Incident reference",
              "e.g. INC-2026-11-22-001 or your incident tool's id.", REFERENCE_MAX, False),
    TextField("summary", "Executive summary", "2–3 sentences a non-engineer can follow."),
    TextField("mitigation", "How it was mitigated"),
    TextField("permanent_fix", "Permanent fix"),
    *RESOLUTION_FIELDS,
)
INCIDENT_FIELDS = ("title", "severity", "services", "reference", "detection_method", *TIMES,
                   "alert_name", "alert_source", "alert_url")
POSTMORTEM_FIELDS = ("commander_id", "facilitator_id", "reviewers", "attendees", "summary",
                     "mitigation", "permanent_fix", "validation", "meeting_at", "meeting_minutes",
                     "template")
# How a changed field reads in "edited the details: …".
NAMES = {"severity": "severity", "detection_method": "detection method",
         "identified_at": "root cause identified", "commander_id": "commander",
         "facilitator_id": "facilitator", "permanent_fix": "permanent fix",
         "validation": "recovery check", "meeting_at": "meeting time",
         "meeting_minutes": "meeting length", "alert_name": "alert", "alert_source": "alert source",
         "alert_url": "alert link"}
assert all(f.max_length <= TEXT_MAX for f in TEXT_FIELDS)


def read_details(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values (keyed by field name, times already datetimes) as changes to apply;
    every problem at once, keyed by field name."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {name: raw.get(name) for name in TIMES}
    readers: list[Callable[[], Mapping[str, Any]]] = [
        lambda: {"severity": parse_severity(raw.get("severity") or "", "severity")},
        # One at a time: a field too long must not hide the values of the others.
        *(lambda spec=spec: read_texts((spec,), raw) for spec in TEXT_FIELDS),
        lambda: read_alert(raw),
        lambda: read_meeting(raw.get("meeting_at"), raw.get("meeting_minutes"),
                             raw.get("attendees")),
        lambda: _read_choices(raw),
    ]
    for read in readers:
        try:
            out |= read()
        except FieldErrors as err:
            errors.update(err.errors)
    if not out.get("reference") and "reference" not in errors:
        errors["reference"] = "Give the incident a reference (e.g. INC-2026-11-22-001)."
    errors = _check_times(out, errors)
    if errors:
        raise FieldErrors(errors)
    services = [s.strip() for s in (out["services"] or "").split(",") if s.strip()]
    return out | {"title": out["title"] or "", "services": services}


def _read_choices(raw: Mapping[str, Any]) -> dict[str, Any]:
    """What was picked rather than typed: checked all the same, a form can be forged."""
    errors: dict[str, str] = {}
    method = raw.get("detection_method") or None
    if method is not None and method not in DETECTION_METHODS:
        errors["detection_method"] = "Pick a detection method from the list."
    template = raw.get("template") or None
    if template is not None and len(str(template)) > TEMPLATE_MAX:
        errors["template"] = "Pick a template from the list."
    people: dict[str, Any] = {}
    for name, many in (("commander_id", False), ("facilitator_id", False), ("reviewers", True),
                       ("attendees", True)):
        value = raw.get(name)
        ids = value if isinstance(value, list) else [value] if value else []
        one_or_many = not value or isinstance(value, list) == many
        if not one_or_many or not all(isinstance(i, str) and USER_ID.match(i) for i in ids):
            errors[name] = "Pick people from the list."
        people[name] = ids if many else (ids[0] if ids else None)
    if errors:
        raise FieldErrors(errors)
    people.pop("attendees")  # read_meeting keeps them, with the meeting
    return {"detection_method": method, "template": template, **people}


def _check_times(out: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    facts = IncidentFacts(title=out.get("title") or "", severity=out.get("severity", 0),
                          started_at=out["started_at"], detected_at=out["detected_at"],
                          acknowledged_at=out["acknowledged_at"], resolved_at=out["resolved_at"])
    try:
        facts.validate()
    except FieldErrors as err:
        errors = err.errors | errors
    started, mitigated, resolved = out["started_at"], out["mitigated_at"], out["resolved_at"]
    identified: datetime | None = out["identified_at"]
    if identified and started and identified < started:
        errors.setdefault("identified_at", "The root cause cannot be identified before the "
                                           "incident started.")
    if mitigated and started and mitigated < started:
        errors.setdefault("mitigated_at", "Mitigation must be after the incident started.")
    if mitigated and resolved and resolved < mitigated:
        errors.setdefault("resolved_at", "Resolved must not be before mitigation.")
    return errors


def save_details(
    session: Session, *, pm_id: int, actor: Actor, changes: dict[str, Any], policy: Policy,
    now: datetime,
) -> list[str]:
    """Apply the form; a moved resolution moves the deadline and its reminders with it, in
    this transaction. Returns the fields that changed (audited when any did)."""
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    require_editor(pm, actor.user_id, "edit the details", team_id=actor.team_id)
    incident = postmortems.get_incident(session, incident_id=pm.incident_id)
    reference = changes.get("reference")
    if reference:
        other = postmortems.find_incident_by_reference(session, reference=reference)
        if other is not None and other.id != incident.id:
            raise FieldErrors({"reference": f"{reference} is already another incident's "
                                            "reference."})
    changed = apply_fields(incident, INCIDENT_FIELDS, changes)
    changed += apply_fields(pm, POSTMORTEM_FIELDS, changes)
    session.add(incident)
    if "resolved_at" in changed and incident.resolved_at:
        pm.due_at = policy.deadline.due_at(incident.resolved_at)
    if {"resolved_at", "facilitator_id", "reviewers"} & set(changed):
        move_reminders(session, pm_id=pm_id, now=now,
                       rows=replan_deadline(pm, incident, policy, now))
    if changed:
        record_change(session, pm, actor_id=actor.user_id, now=now, kind="details",
                      summary="edited the details", detail={"fields": changed})
    return changed


def describe(changed: list[str]) -> str:
    """"title, severity, root cause identified": the changed fields as a reader says them."""
    return ", ".join(NAMES.get(name, name.removesuffix("_at").replace("_", " "))
                     for name in changed)
