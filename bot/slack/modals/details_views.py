"""The Details modal: incident facts, roles, milestones, the alert, the narrative, how recovery
was verified and the review meeting; and reading it back as flows' field names."""

from __future__ import annotations

from typing import Any

from bot.slack import blocks as bk
from bot.slack.forms import errors_at, timestamp
from bot.slack.ids import Block, Callback, DetailsField
from bot.slack.meta import Meta
from bot.slack.modals.start import SEVERITY_CHOICES
from bot.slack.modals.text_fields import text_field
from flows import details
from flows.errors import FieldErrors
from flows.inputs import ALERT_FIELDS, MEETING_MAX_MINUTES
from flows.severity import severity_name
from flows.summary import draft_summary
from storage.record import PostmortemRecord

# flows' field name -> the block that shows it.
BLOCKS: dict[str, str] = {
    "title": Block.TITLE, "severity": Block.SEVERITY, "services": Block.SERVICES,
    "reference": DetailsField.REFERENCE, "detection_method": DetailsField.DETECTION,
    "commander_id": DetailsField.COMMANDER, "facilitator_id": DetailsField.FACILITATOR,
    "reviewers": DetailsField.REVIEWERS, "attendees": DetailsField.ATTENDEES,
    "started_at": Block.STARTED_AT, "detected_at": Block.DETECTED_AT,
    "acknowledged_at": Block.ACKNOWLEDGED_AT, "identified_at": Block.IDENTIFIED_AT,
    "mitigated_at": Block.MITIGATED_AT, "resolved_at": Block.RESOLVED_AT,
    "alert_name": DetailsField.ALERT_NAME, "alert_source": DetailsField.ALERT_SOURCE,
    "alert_url": DetailsField.ALERT_URL, "summary": DetailsField.SUMMARY,
    "mitigation": DetailsField.MITIGATION, "permanent_fix": DetailsField.FIX,
    "validation": DetailsField.VALIDATION, "meeting_at": DetailsField.MEETING_AT,
    "meeting_minutes": DetailsField.MEETING_MINUTES, "template": DetailsField.TEMPLATE,
}
MILESTONES = [
    ("started_at", "Incident started (first symptom)"),
    ("detected_at", "Detected (first alert)"),
    ("acknowledged_at", "Acknowledged"),
    ("identified_at", "Root cause identified"),
    ("mitigated_at", "Mitigated (user impact stopped)"),
    ("resolved_at", "Resolved"),
]
TEXTS = {spec.name: spec for spec in (*details.TEXT_FIELDS, *ALERT_FIELDS)}


def _users(name: str, label: str, initial: list[str] | str | None, hint: str) -> bk.Block:
    many = isinstance(initial, list)
    element: dict[str, Any] = {"type": "multi_users_select" if many else "users_select",
                               "action_id": "value"}
    if initial:
        element["initial_users" if many else "initial_user"] = initial
    return bk.input_block(BLOCKS[name], label, element, optional=True, hint=hint)


def _text(
    name: str, initial: str | None, *, required: bool = False, hint: str | None = None
) -> bk.Block:
    spec = TEXTS[name]
    return text_field(BLOCKS[name], spec.label, max_length=spec.max_length, initial=initial,
                      hint=hint or spec.hint, multiline=spec.multiline, optional=not required)


def _when(name: str, label: str, record: PostmortemRecord) -> bk.Block:
    owner = record.postmortem if name == "meeting_at" else record.incident
    return bk.datetime_picker(BLOCKS[name], label, initial=getattr(owner, name), optional=True)


def build_details_modal(
    record: PostmortemRecord, templates: list[str] | None = None, default_template: str = "",
    tz: str = "UTC",
) -> dict[str, Any]:
    """`templates`: the document formats a post-mortem may choose (workspace default first).
    An empty summary is offered the draft written from the other sections, in `tz`."""
    pm, inc = record.postmortem, record.incident
    summary = pm.summary or draft_summary(record, tz).fitted(TEXTS["summary"].max_length)
    drafted = None if pm.summary else (
        "A draft written from the other sections: edit it, or write your own. "
        + str(TEXTS["summary"].hint))
    minutes = None if pm.meeting_minutes is None else str(pm.meeting_minutes)
    form: list[bk.Block] = [
        _text("title", inc.title, required=True),
        bk.select(Block.SEVERITY, "Severity", SEVERITY_CHOICES,
                  initial=severity_name(inc.severity)),
        _text("services", ", ".join(inc.services)),
        _text("reference", inc.reference, required=True),
        _users("commander_id", "Incident commander", pm.commander_id, "Who ran the response."),
        _users("facilitator_id", "Author / facilitator", pm.facilitator_id or pm.owner_id,
               "Who writes this post-mortem."),
        _users("reviewers", "Reviewers", pm.reviewers, "They sign off before publishing."),
        bk.select(BLOCKS["detection_method"], "Detection method",
                  [(m, m) for m in details.DETECTION_METHODS], initial=inc.detection_method,
                  optional=True),
        *(_when(name, label, record) for name, label in MILESTONES),
        _text("alert_name", inc.alert_name),
        _text("alert_source", inc.alert_source),
        _text("alert_url", inc.alert_url),
        _text("summary", summary, hint=drafted),
        _text("mitigation", pm.mitigation),
        _text("permanent_fix", pm.permanent_fix),
        _text("validation", pm.validation),
        _when("meeting_at", "Review meeting: when", record),
        bk.text_input(BLOCKS["meeting_minutes"], "Review meeting: how long (minutes)",
                      initial=minutes, optional=True, max_length=4, placeholder="60",
                      hint=f"Whole minutes, at most {MEETING_MAX_MINUTES}."),
        _users("attendees", "Post-mortem meeting attendees", pm.attendees, "Optional."),
    ]
    if templates:
        form.append(bk.select(
            BLOCKS["template"], "Document template", [(name, name) for name in templates],
            initial=pm.template or default_template, optional=True,
            hint=f"Empty: the workspace default ({default_template}).",
        ))
    return bk.modal("Post-mortem details", form, callback_id=Callback.DETAILS,
                    private_metadata=Meta(pm_id=record.id).dump())


def read_details_form(values: dict[str, Any]) -> dict[str, Any]:
    """The form as changes to apply (flows' field names); every error at its block at once."""
    raw = {name: values.get(block) for name, block in BLOCKS.items()}
    errors: dict[str, str] = {}
    for name in (*details.TIMES, "meeting_at"):
        try:
            raw[name] = timestamp(values, BLOCKS[name])
        except FieldErrors as err:
            errors.update(err.errors)
            raw[name] = None
    try:
        with errors_at(BLOCKS):
            changes = details.read_details(raw)
    except FieldErrors as err:
        errors = err.errors | errors
    if errors:
        raise FieldErrors(errors)
    return changes
