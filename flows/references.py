"""References the document cites: dashboards, logs, runbooks, alerts, related incidents.
The editors add and delete them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import Session

from flows.changes import record_change
from flows.errors import FieldErrors
from flows.inputs import SHORT_MAX, check_url
from flows.owned import RowKind
from flows.permissions import Actor, require_editor
from storage.queries import parts, postmortems
from storage.tables import Reference

# key -> label in the modal and the document. Dashboards and logs are also seed 003's
# "Graphs and Metrics" under Supporting Data; related incidents its "Related Incidents".
REFERENCE_KINDS: dict[str, str] = {
    "dashboard": "Dashboard",
    "logs": "Logs",
    "runbook": "Runbook",
    "alert": "Alert",
    "incident": "Incident page",
    "related_incident": "Related incident",
    "document": "Documentation",
    "other": "Link",
}
LABEL_MAX = SHORT_MAX


@dataclass(frozen=True)
class ReferenceDraft:
    kind: str
    label: str
    url: str


def read_reference(kind: str | None, label: str | None, url: str | None) -> ReferenceDraft:
    """A reference as entered; an empty label becomes the link's host, never a bare URL."""
    errors: dict[str, str] = {}
    key = (kind or "").strip()
    if key not in REFERENCE_KINDS:
        errors["kind"] = "Pick what kind of link this is." if not key else (
            f"“{key}” is not a kind of reference.")
    text = " ".join((label or "").split())
    if len(text) > LABEL_MAX:
        errors["label"] = f"Keep the label under {LABEL_MAX} characters."
    link = None
    try:
        link = check_url(url, "url", required=True)
    except FieldErrors as err:
        errors.update(err.errors)
    if errors:
        raise FieldErrors(errors)
    assert link is not None
    return ReferenceDraft(key, text or (urlsplit(link).hostname or link), link)


def add_reference(
    session: Session, *, pm_id: int, actor: Actor, draft: ReferenceDraft, now: datetime
) -> Reference:
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    require_editor(pm, actor.user_id, "add references", team_id=actor.team_id)
    [row] = parts.add_parts(session, [Reference(
        postmortem_id=pm_id, kind=draft.kind, label=draft.label, url=draft.url,
        created_by=actor.user_id, created_at=now)])
    record_change(session, pm, actor_id=actor.user_id, now=now, kind="reference",
                  summary=f"added a reference: {draft.label}",
                  detail={"kind": draft.kind, "label": draft.label, "url": draft.url})
    return row


# The editors delete references (and whoever added one, its own).
REFERENCE = RowKind(Reference, "delete references", "That reference was already deleted.",
                    "reference_deleted",
                    lambda row: (f"deleted a reference: {row.label}",
                                 {"kind": row.kind, "label": row.label, "url": row.url}))
