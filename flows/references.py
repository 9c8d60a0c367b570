"""References the document cites: dashboards, logs, runbooks, alerts, related incidents."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flows.errors import FieldErrors
from flows.inputs import SHORT_MAX, check_url

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
