"""Details: title, severity, services, roles, reference, detection, key timestamps, narrative."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import select

from bot.deps import Deps
from bot.slack import blocks as bk
from bot.slack.forms import text, timestamp, view_values
from bot.slack.ids import Action, Block, Callback
from bot.slack.meta import Meta, meta_of
from bot.slack.modals.common import action_pm_id, announce, change, load_record, once, open_view
from bot.slack.modals.start import SEVERITY_CHOICES
from flows.document import list_templates
from flows.errors import FieldErrors
from flows.lifecycle import IncidentFacts
from flows.permissions import require_editor
from flows.severity import parse_severity, severity_name
from storage.db import session_scope
from storage.queries import postmortems
from storage.record import PostmortemRecord
from storage.tables import Incident

REFERENCE = "pm.field.reference"
DETECTION = "pm.field.detection"
COMMANDER = "pm.field.commander"
FACILITATOR = "pm.field.facilitator"
REVIEWERS = "pm.field.reviewers"
ATTENDEES = "pm.field.attendees"
SUMMARY = "pm.field.summary"
MITIGATION = "pm.field.mitigation"
FIX = "pm.field.fix"
TEMPLATE = "pm.field.template"

MILESTONES = [
    (Block.STARTED_AT, "started_at", "Incident started (first symptom)"),
    (Block.DETECTED_AT, "detected_at", "Detected (first alert)"),
    (Block.ACKNOWLEDGED_AT, "acknowledged_at", "Acknowledged"),
    (Block.MITIGATED_AT, "mitigated_at", "Mitigated (user impact stopped)"),
    (Block.RESOLVED_AT, "resolved_at", "Resolved"),
]
DETECTION_CHOICES = [
    ("Automated alert", "Automated alert"),
    ("Customer report", "Customer report"),
    ("Internal report", "Internal report"),
    ("Manual discovery", "Manual discovery"),
    ("Other", "Other"),
]


def _users(block_id: str, label: str, initial: str | None, hint: str | None = None) -> bk.Block:
    element: dict[str, Any] = {"type": "users_select", "action_id": "value"}
    if initial:
        element["initial_user"] = initial
    return bk.input_block(block_id, label, element, optional=True, hint=hint)


def _multi_users(block_id: str, label: str, initial: list[str], hint: str) -> bk.Block:
    element: dict[str, Any] = {"type": "multi_users_select", "action_id": "value"}
    if initial:
        element["initial_users"] = initial
    return bk.input_block(block_id, label, element, optional=True, hint=hint)


def build_details_modal(
    record: PostmortemRecord, templates: list[str] | None = None, default_template: str = ""
) -> dict[str, Any]:
    """`templates`: the document formats a post-mortem may choose (workspace default first)."""
    pm, inc = record.postmortem, record.incident
    form: list[bk.Block] = [
        bk.text_input(Block.TITLE, "Incident title", initial=inc.title, max_length=255),
        bk.select(
            Block.SEVERITY, "Severity", SEVERITY_CHOICES, initial=severity_name(inc.severity)
        ),
        bk.text_input(
            Block.SERVICES,
            "Services affected",
            initial=", ".join(inc.services),
            optional=True,
            hint="Separate with commas.",
        ),
        bk.text_input(
            REFERENCE,
            "Incident reference",
            initial=inc.reference,
            max_length=64,
            hint="e.g. INC-2026-11-22-001 or your incident tool's id.",
        ),
        _users(COMMANDER, "Incident commander", pm.commander_id),
        _users(FACILITATOR, "Author / facilitator", pm.facilitator_id or pm.owner_id),
        _multi_users(REVIEWERS, "Reviewers", pm.reviewers, "They sign off before publishing."),
        _multi_users(ATTENDEES, "Post-mortem meeting attendees", pm.attendees, "Optional."),
        bk.select(
            DETECTION,
            "Detection method",
            DETECTION_CHOICES,
            initial=inc.detection_method,
            optional=True,
        ),
    ]
    for block_id, attr, label in MILESTONES:
        form.append(bk.datetime_picker(block_id, label, initial=getattr(inc, attr), optional=True))
    form += [
        bk.text_input(
            SUMMARY,
            "Executive summary",
            initial=pm.summary,
            multiline=True,
            optional=True,
            hint="2–3 sentences a non-engineer can follow.",
        ),
        bk.text_input(
            MITIGATION, "How it was mitigated", initial=pm.mitigation, multiline=True, optional=True
        ),
        bk.text_input(
            FIX, "Permanent fix", initial=pm.permanent_fix, multiline=True, optional=True
        ),
    ]
    if templates:
        form.append(
            bk.select(
                TEMPLATE,
                "Document template",
                [(name, name) for name in templates],
                initial=pm.template or default_template,
                optional=True,
                hint=f"Empty: the workspace default ({default_template}).",
            )
        )
    return bk.modal(
        "Post-mortem details",
        form,
        callback_id=Callback.DETAILS,
        private_metadata=Meta(pm_id=record.id).dump(),
    )


def read_details(values: dict[str, Any]) -> dict[str, Any]:
    """The form as changes to apply; all field errors at once."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    try:
        out["severity"] = parse_severity(values.get(Block.SEVERITY) or "", Block.SEVERITY)
    except FieldErrors as err:
        errors.update(err.errors)
    for block_id, attr, _ in MILESTONES:
        try:
            out[attr] = timestamp(values, block_id)
        except FieldErrors as err:
            errors.update(err.errors)
    reference = text(values, REFERENCE)
    if not reference:
        errors[REFERENCE] = "Give the incident a reference (e.g. INC-2026-11-22-001)."
    facts = IncidentFacts(
        title=text(values, Block.TITLE),
        severity=out.get("severity", 0),
        started_at=out.get("started_at"),
        detected_at=out.get("detected_at"),
        acknowledged_at=out.get("acknowledged_at"),
        resolved_at=out.get("resolved_at"),
    )
    try:
        facts.validate()
    except FieldErrors as err:
        names = {attr: block for block, attr, _ in MILESTONES} | {"title": Block.TITLE}
        errors.update({str(names.get(k, k)): v for k, v in err.errors.items()})
    mitigated, started = out.get("mitigated_at"), out.get("started_at")
    if mitigated and started and mitigated < started:
        errors[Block.MITIGATED_AT] = "Mitigation must be after the incident started."
    resolved = out.get("resolved_at")
    if mitigated and resolved and resolved < mitigated:
        errors[Block.RESOLVED_AT] = "Resolved must not be before mitigation."
    if errors:
        raise FieldErrors(errors)
    return out | {
        "title": facts.title,
        "services": [s.strip() for s in text(values, Block.SERVICES).split(",") if s.strip()],
        "reference": reference,
        "detection_method": values.get(DETECTION),
        "commander_id": values.get(COMMANDER),
        "facilitator_id": values.get(FACILITATOR),
        "reviewers": list(values.get(REVIEWERS) or []),
        "attendees": list(values.get(ATTENDEES) or []),
        "summary": text(values, SUMMARY) or None,
        "mitigation": text(values, MITIGATION) or None,
        "permanent_fix": text(values, FIX) or None,
        "template": values.get(TEMPLATE) or None,
    }


INCIDENT_FIELDS = (
    "title",
    "severity",
    "services",
    "reference",
    "detection_method",
    *(attr for _, attr, _ in MILESTONES),
)
POSTMORTEM_FIELDS = (
    "commander_id",
    "facilitator_id",
    "reviewers",
    "attendees",
    "summary",
    "mitigation",
    "permanent_fix",
    "template",
)


def register(app: App, deps: Deps) -> None:
    @app.action(Action.OPEN_DETAILS)
    def handle_open_details(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        record = load_record(deps, action_pm_id(body))
        require_editor(record.postmortem, body["user"]["id"], "edit the details")
        templates = list_templates(deps.settings.templates_dir)
        open_view(
            client,
            body,
            build_details_modal(record, templates, deps.policy.default_template),
        )

    @app.view(Callback.DETAILS)
    def handle_details_submission(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        user_id = body["user"]["id"]
        pm_id = meta_of(body).pm_id
        assert pm_id is not None
        changes = read_details(view_values(body["view"]))  # FieldErrors: the error handler
        _check_reference_free(deps, pm_id, changes["reference"])
        if not once(deps, body):
            ack()
            return
        with change(deps, pm_id, user_id, "details", "edited the details") as session:
            pm = postmortems.get_postmortem(session, pm_id=pm_id)
            require_editor(pm, user_id, "edit the details")
            incident = postmortems.get_incident(session, incident_id=pm.incident_id)
            changed = _apply(incident, INCIDENT_FIELDS, changes) + _apply(
                pm, POSTMORTEM_FIELDS, changes
            )
            if "resolved_at" in changed and incident.resolved_at:
                pm.due_at = deps.policy.deadline.due_at(incident.resolved_at)
            if {"resolved_at", "facilitator_id", "reviewers"} & set(changed):
                _replan_deadline(session, pm, incident, deps)
            session.add(incident)
        ack()
        if changed:
            announce(
                deps,
                client,
                pm_id,
                user_id,
                "edited the details: "
                + ", ".join(
                    name.replace("_id", "").replace("_at", "").replace("_", " ") for name in changed
                ),
            )


def _check_reference_free(deps: Deps, pm_id: int, reference: str) -> None:
    with session_scope(deps.sessions) as session:
        pm = postmortems.get_postmortem(session, pm_id=pm_id)
        other = session.exec(select(Incident).where(Incident.reference == reference)).first()
    if other is not None and other.id != pm.incident_id:
        raise FieldErrors({REFERENCE: f"{reference} is already another incident's reference."})


def _apply(row: Any, names: tuple[str, ...], changes: dict[str, Any]) -> list[str]:
    changed = []
    for name in names:
        if name in changes and getattr(row, name) != changes[name]:
            setattr(row, name, changes[name])
            changed.append(name)
    return changed


def _replan_deadline(session: Any, pm: Any, incident: Any, deps: Deps) -> None:
    """Resolution time moved: the deadline and its reminders move with it, in this transaction."""
    from flows.reminders.plan import replan_deadline
    from storage.queries.reminders import move_reminders

    move_reminders(
        session,
        pm_id=pm.id,
        now=deps.now(),
        rows=replan_deadline(pm, incident, deps.policy, deps.now()),
    )
