"""The timeline's modals: a paged list in the viewer's time zone, and the entry form (shared
with the message shortcut), read back into an entry draft."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.slack import blocks as bk
from bot.slack.forms import text, timestamp
from bot.slack.ids import Action, Callback, TimelineField
from bot.slack.meta import Meta
from bot.slack.modals.paging import around
from bot.slack.modals.text_fields import limit_hint
from flows import timeline as tl
from flows.errors import FieldErrors
from flows.milestones import MILESTONES, TAGS, read_milestone
from storage.record import PostmortemRecord, TimelineItem
from storage.tables import Incident, TimelineEntry

TIME_TEXT = TimelineField.TIME_TEXT
TIME_PICK = TimelineField.TIME_PICK
TEXT = TimelineField.TEXT
ACTOR = TimelineField.ACTOR
MILESTONE = TimelineField.MILESTONE
NAV_PREV = TimelineField.NAV_PREV
NAV_NEXT = TimelineField.NAV_NEXT
TYPED_MAX = 100
NOT_A_MILESTONE = "none"  # a select cannot be cleared once picked: this option clears it
FORM_FIELDS = {"text": TEXT, "actor": ACTOR, "milestone": MILESTONE}


def build_timeline_modal(
    record: PostmortemRecord, *, page: int, tz: str, channel_id: str | None = None
) -> dict[str, Any]:
    """The list modal: one page of entries in time order, times in the viewer's zone."""
    entries = tl.ordered(record.timeline)
    shown = tl.paginate(entries, page)
    pm_id = record.id
    blocks: list[bk.Block] = [
        bk.context(
            f"{bk.escape(record.incident.reference)} · {shown.total} "
            f"{'entry' if shown.total == 1 else 'entries'} · times in {bk.escape(tz)}"
        ),
        bk.actions([bk.button("Add entry", Action.TIMELINE_ADD, str(pm_id), "primary")]),
        bk.divider(),
    ]
    before, after = around(shown, noun="Entries", action=Action.TIMELINE_PAGE, pm_id=pm_id,
                           prev_block=NAV_PREV, next_block=NAV_NEXT)
    blocks += before
    if not entries:
        blocks.append(bk.section("_No entries yet. Add the first one, or use “Add to PM "
                                 "timeline” on a message in the incident channel._"))
    for entry in shown.items:
        blocks.extend(_entry_blocks(pm_id, entry, tz))
    blocks += after
    meta = Meta(pm_id=pm_id, channel_id=channel_id or record.postmortem.channel_id,
                page=shown.number, extra={"tz": tz})
    return bk.modal("Timeline", blocks, callback_id=Callback.TIMELINE, submit=None, close="Done",
                    private_metadata=meta.dump())


def _entry_blocks(pm_id: int, entry: TimelineItem, tz: str) -> list[bk.Block]:
    about = [bk.escape(entry.actor)] if entry.actor else []
    about.append(tl.SOURCE_LABELS.get(entry.source, entry.source))
    if entry.link:
        about.append(f"<{entry.link}|message>")
    if entry.milestone in TAGS:
        about.append(f"*{TAGS[entry.milestone]}*")
    elif mark := tl.milestone(entry.text):
        about.append(f"_{mark}?_")
    head = f"*{tl.format_in_zone(entry.occurred_at, tz)}*\n"
    tail = "\n" + " · ".join(about)
    body = bk.clip(bk.escape(entry.text), bk.TEXT_LIMIT - len(head) - len(tail))
    value = f"{pm_id}:{entry.id}"
    return [
        bk.section(head + body + tail),
        bk.actions([bk.button("Edit", Action.TIMELINE_EDIT, value),
                    bk.button("Delete", Action.TIMELINE_DELETE, value, "danger")]),
    ]


@dataclass(frozen=True)
class Prefill:
    typed: str = ""
    text: str = ""
    actor: str = ""
    milestone: str | None = None


def build_entry_modal(
    *, title: str, callback_id: str, meta: Meta, prefill: Prefill, tz: str, submit: str = "Save"
) -> dict[str, Any]:
    """Time typed or picked (typed wins), what happened, who or what did it, and the
    milestone it marks (preselected from the text: a person confirms the guess)."""
    choices = [(label, key) for key, label in MILESTONES.items()]
    choices.append(("Not a milestone", NOT_A_MILESTONE))
    form = [
        bk.text_input(
            TIME_TEXT, "When", initial=prefill.typed or None, optional=True, max_length=TYPED_MAX,
            placeholder="14:05 · 2026-11-21 14:05 · 14:05 CET · yesterday 22:40",
            hint=limit_hint(TYPED_MAX, f"Your time zone ({tz}) unless you name one. Or pick a "
                                       "time below."),
        ),
        bk.datetime_picker(TIME_PICK, "…or pick the time", optional=True),
        bk.text_input(TEXT, "What happened", initial=prefill.text[: tl.TEXT_MAX] or None,
                      multiline=True, max_length=tl.TEXT_MAX, hint=limit_hint(tl.TEXT_MAX)),
        bk.text_input(ACTOR, "Who or what (optional)", initial=prefill.actor or None,
                      optional=True, max_length=tl.ACTOR_MAX,
                      placeholder="alice, PagerDuty, deploy pipeline",
                      hint=limit_hint(tl.ACTOR_MAX)),
        bk.select(MILESTONE, "Milestone (optional)", choices, initial=prefill.milestone,
                  optional=True, hint="Does this entry mark a moment of the incident? The "
                                      "document's durations are measured between them."),
    ]
    return bk.modal(title, form, callback_id=callback_id, submit=submit,
                    private_metadata=meta.dump())


def entry_prefill_meta(entry_at: datetime, tz: str, typed: str) -> dict[str, Any]:
    """Remember the exact time behind a prefilled field, so an untouched field keeps seconds."""
    return {"tz": tz, "at": entry_at.isoformat(), "typed": typed}


def read_entry_form(values: dict[str, Any], ctx: tl.TimeContext) -> tl.EntryDraft:
    """The form as an entry; every problem is reported at its field at once."""
    errors: dict[str, str] = {}
    occurred_at = None
    try:
        picked = timestamp(values, TIME_PICK)
        occurred_at = tl.resolve_time(text(values, TIME_TEXT, TYPED_MAX), picked, ctx,
                                      field=TIME_TEXT)
    except FieldErrors as err:
        errors.update(err.errors)
    body, actor, milestone = "", None, None
    try:
        # Raw value, not `text()`: its strip would hide surrounding blanks from the length check.
        body, actor = tl.check_entry(values.get(TEXT) or "", values.get(ACTOR))
    except FieldErrors as err:
        errors.update({FORM_FIELDS[k]: v for k, v in err.errors.items()})
    mark = values.get(MILESTONE)
    try:
        milestone = read_milestone(None if mark == NOT_A_MILESTONE else mark)
    except FieldErrors as err:
        errors.update({FORM_FIELDS[k]: v for k, v in err.errors.items()})
    if errors or occurred_at is None:
        raise FieldErrors(errors)
    return tl.EntryDraft(occurred_at=occurred_at, text=body, actor=actor, milestone=milestone)


def incident_day_meta(incident: Incident, tz: str, now: datetime) -> dict[str, Any]:
    """The day a bare "14:05" belongs to, for checking the form before its ack without a
    read: the incident's day in the user's zone, or "" for "the day it is submitted"."""
    anchored = incident.started_at or incident.resolved_at
    return {"day": tl.incident_day(incident, tz, now).isoformat() if anchored else ""}


def default_day(meta: Meta, now: datetime) -> date | None:
    """The incident's day the modal carries; None when it carries none (opened before
    modals carried it)."""
    day = meta.extra.get("day")
    if not isinstance(day, str):
        return None
    if not day:
        return now.astimezone(tl.zone(str(meta.extra.get("tz") or "UTC"))).date()
    try:
        return date.fromisoformat(day)
    except ValueError:
        return None


def time_context(meta: Meta, default_day: date, now: datetime) -> tl.TimeContext:
    """What parsing a typed time needs, from the modal's metadata: no Slack call."""
    at = meta.extra.get("at")
    return tl.TimeContext(
        tz=str(meta.extra.get("tz") or "UTC"), default_day=default_day, now=now,
        original_at=datetime.fromisoformat(at) if at else None,
        original_typed=str(meta.extra.get("typed") or ""),
    )


def note(what: str, entry: TimelineEntry | tl.EntryDraft) -> str:
    """"added a timeline entry (14:05 — Deploy started)"; the time renders in each reader's zone."""
    when = bk.slack_date(entry.occurred_at, "{time}")
    return f"{what} ({when} — {bk.escape(tl.short(entry.text))})"
