"""The document's inputs that have no flow of their own: their fields, limits and validation.

Each group lists its fields (name = the column, label and hint for the modal, limit). A
`read_*` function takes plain values (what a modal or a test hands over), trims them, and
returns the column values, or raises FieldErrors keyed by field name with every problem.
Empty text means "not recorded" (None), so the document can say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flows.errors import FieldErrors

TEXT_MAX = 3000  # Slack's limit for a plain-text input
SHORT_MAX = 255
URL_MAX = 1000
MEETING_MAX_MINUTES = 24 * 60


@dataclass(frozen=True)
class TextField:
    name: str
    label: str
    hint: str | None = None
    max_length: int = TEXT_MAX
    multiline: bool = True


ALERT_FIELDS = (
    TextField("alert_name", "Alert that fired", "e.g. CheckoutErrorRate or EmailServiceDown.",
              SHORT_MAX, multiline=False),
    TextField("alert_source", "Where it fired", "e.g. Prometheus, Datadog, PagerDuty.",
              SHORT_MAX, multiline=False),
    TextField("alert_url", "Link to the alert (optional)", "An http(s) link.", URL_MAX,
              multiline=False),
)
IMPACT_EXTRA_FIELDS = (
    TextField("geography", "Geographic spread", "Regions affected: US-East, EU, global…"),
    TextField("reputation_impact", "Trust and reputation impact",
              "Social media mentions, press, customer trust."),
    TextField("contractual_impact", "Contractual impact",
              "Customer SLA violations, penalties."),
    TextField("infrastructure_impact", "Infrastructure affected",
              "Database, API servers, network…"),
    TextField("dependency_impact", "Dependencies affected",
              "Third-party services, upstream or downstream systems."),
    TextField("internal_impact", "Internal impact",
              "e.g. the on-call engineer needed 4 hours to stabilise."),
)
RESOLUTION_FIELDS = (
    TextField("validation", "How recovery was verified",
              "Checks and metrics that showed the service was healthy again."),
)
COMMUNICATION_FIELDS = (
    TextField("status_updates", "Status updates",
              "How many were posted, and how often (e.g. every 15 minutes)."),
    TextField("stakeholders", "Stakeholders notified",
              "Engineering, product, support, leadership…"),
    TextField("status_page", "Status page", "Link or summary of the public status updates."),
    TextField("customer_notice", "Customer notice",
              "Was an email or notice sent? Link or summary."),
    TextField("public_statements", "Social media and press",
              "Posts, press releases or coverage, if any."),
    TextField("distribution", "Who receives the post-mortem",
              "One audience per line, e.g. “Engineering team (Slack #engineering)”."),
)
FINANCE_TEXT_FIELDS = (
    TextField("finance_corruption", "Was any financial data corrupted?",
              "No — or which organisations and which time window."),
    TextField("finance_precision", "Were NUMERIC(19,4) values preserved correctly?",
              "Yes / No, and how it was checked."),
)
FINANCE_MODULES: dict[str, str] = {
    "vat": "VAT",
    "double_entry": "Double-entry",
    "invoice_calc": "Invoice calculation",
    "currency": "Currency",
    "none": "No accounting module",
}
SUPPORTING_FIELDS = (
    TextField("log_excerpts", "Log excerpts", "Paste the relevant lines; shown as they are."),
    TextField("config_changes", "Configuration changes",
              "Before and after, e.g. “connection_pool_size = 100 → 200”."),
)
FOLLOW_UP_FIELDS = (
    TextField("review_cadence", "Action item review cadence",
              "e.g. weekly in sprint planning."),
    TextField("next_review", "Next post-mortem review",
              "e.g. the quarterly incident review on 2026-04-01."),
    TextField("related_pattern", "Pattern across incidents",
              "If this recurred: the pattern and its systemic cause."),
    TextField("glossary", "Glossary",
              "One term per line: “Connection pool: a cache of database connections…”."),
)


def _text(errors: dict[str, str], spec: TextField, raw: Any) -> str | None:
    value = "" if raw is None else str(raw).strip()
    if len(value) > spec.max_length:
        errors[spec.name] = (
            f"Keep “{spec.label}” under {spec.max_length} characters (it has {len(value)})."
        )
    return value or None


def read_text_fields(
    fields: Sequence[TextField], values: Mapping[str, Any]
) -> dict[str, str | None]:
    """Every field of a group, trimmed; too long is an error, never a silent cut."""
    errors: dict[str, str] = {}
    out = {spec.name: _text(errors, spec, values.get(spec.name)) for spec in fields}
    if errors:
        raise FieldErrors(errors)
    return out


def check_url(value: str | None, field: str, *, required: bool = False) -> str | None:
    """A plain http(s) link with a host, or None when empty and optional."""
    url = (value or "").strip()
    if not url:
        if required:
            raise FieldErrors({field: "Paste the link (https://…)."})
        return None
    if len(url) > URL_MAX:
        raise FieldErrors({field: f"Links must be under {URL_MAX} characters."})
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname \
            or any(c.isspace() for c in url):
        raise FieldErrors({field: "Use a web link starting with https:// (or http://)."})
    return url


def read_alert(values: Mapping[str, Any]) -> dict[str, str | None]:
    """Alert name, source and link; the link must be a web link."""
    errors: dict[str, str] = {}
    out: dict[str, str | None] = {}
    try:
        out = read_text_fields(ALERT_FIELDS[:2], values)
    except FieldErrors as err:
        errors.update(err.errors)
    try:
        out["alert_url"] = check_url(values.get("alert_url"), "alert_url")
    except FieldErrors as err:
        errors.update(err.errors)
    if out.get("alert_url") and not out.get("alert_name") and "alert_name" not in errors:
        errors["alert_name"] = "Name the alert the link points to."
    if errors:
        raise FieldErrors(errors)
    return out


def read_meeting(
    at: datetime | None, minutes: str | int | None, attendees: Iterable[str] | None = None
) -> dict[str, Any]:
    """The review meeting: when (aware), how long in whole minutes, who attended (Slack ids)."""
    errors: dict[str, str] = {}
    if at is not None and at.tzinfo is None:
        errors["meeting_at"] = "Pick the meeting's date and time."
    raw = "" if minutes is None else str(minutes).strip()
    length: int | None = None
    if raw:
        if not raw.isdigit() or not 0 < int(raw) <= MEETING_MAX_MINUTES:
            errors["meeting_minutes"] = "Minutes as a whole number, e.g. 60."
        else:
            length = int(raw)
    if length is not None and at is None and "meeting_at" not in errors:
        errors["meeting_at"] = "When was the meeting? Pick its date and time."
    if errors:
        raise FieldErrors(errors)
    people = list(dict.fromkeys(a.strip() for a in attendees or () if a and a.strip()))
    return {"meeting_at": at, "meeting_minutes": length, "attendees": people}


def read_finance(
    modules: Iterable[str] | None, values: Mapping[str, Any]
) -> dict[str, Any]:
    """Seed 000's financial questions: which modules (from the list), corruption, precision."""
    errors: dict[str, str] = {}
    keys = [m for m in dict.fromkeys((m or "").strip() for m in modules or ()) if m]
    unknown = [k for k in keys if k not in FINANCE_MODULES]
    if unknown:
        errors["finance_modules"] = f"Unknown module: {', '.join(unknown)}."
    elif "none" in keys and len(keys) > 1:
        errors["finance_modules"] = "“No accounting module” cannot go with a module."
    out: dict[str, Any] = {"finance_modules": keys}
    try:
        out |= read_text_fields(FINANCE_TEXT_FIELDS, values)
    except FieldErrors as err:
        errors.update(err.errors)
    if errors:
        raise FieldErrors(errors)
    return out


def glossary_terms(text: str | None) -> list[tuple[str, str]]:
    """"Term: definition" lines as pairs; a line without a colon is a term left undefined."""
    terms = []
    for line in (text or "").splitlines():
        line = line.strip().lstrip("-•* ").strip()
        if not line:
            continue
        term, _, definition = line.partition(":")
        terms.append((term.strip(), definition.strip()))
    return terms


def lines_of(text: str | None) -> list[str]:
    """One entry per non-empty line, bullets stripped (distribution lists and the like)."""
    return [s for s in ((x.strip().lstrip("-•* ").strip()) for x in (text or "").splitlines())
            if s]
