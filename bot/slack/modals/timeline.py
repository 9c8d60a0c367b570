"""The timeline: a paged list modal from the control message, and the entry modal it pushes
for adding and editing. The entry form is shared with the message shortcut (bot/events.py)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.slack import blocks as bk
from bot.slack.forms import text, timestamp, view_values
from bot.slack.ids import Action, Callback
from bot.slack.messages import tell_user
from bot.slack.meta import Meta, meta_of
from bot.slack.modals.common import action_pm_id, announce, change, load_record, open_view
from bot.slack.modals.common import require_participant as check_participant
from bot.slack.people import user_tz
from flows import timeline as tl
from flows.errors import FieldErrors, NotFound, PostmortemError
from flows.permissions import require_editor_or_creator
from storage.queries import keys, postmortems
from storage.record import PostmortemRecord
from storage.tables import TimelineEntry

log = logging.getLogger(__name__)

# Block ids of the entry form; error messages are keyed by them.
TIME_TEXT = "pm.timeline_entry.time_text"
TIME_PICK = "pm.timeline_entry.time_pick"
TEXT = "pm.timeline_entry.text"
ACTOR = "pm.timeline_entry.actor"
NAV_PREV = "pm.timeline.nav_prev"
NAV_NEXT = "pm.timeline.nav_next"
FORM_FIELDS = {"text": TEXT, "actor": ACTOR}


class Repeat(Exception):
    """The same submission arrived twice (a double click); the first one did the work."""


# ---- builders ------------------------------------------------------------------------------


def build_timeline_modal(record: PostmortemRecord, *, page: int, tz: str) -> dict[str, Any]:
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
    if shown.has_prev:
        blocks.append(bk.section(
            f"Entries {shown.first}–{shown.first + len(shown.items) - 1} of {shown.total}",
            block_id=NAV_PREV,
            accessory=bk.button("‹ Earlier", Action.TIMELINE_PAGE, f"{pm_id}:{shown.number - 1}"),
        ))
    if not entries:
        blocks.append(bk.section("_No entries yet. Add the first one, or use “Add to PM "
                                 "timeline” on a message in the incident channel._"))
    for entry in shown.items:
        blocks.extend(_entry_blocks(pm_id, entry, tz))
    if shown.has_next:
        blocks.append(bk.section(
            f"Page {shown.number + 1} of {shown.count}",
            block_id=NAV_NEXT,
            accessory=bk.button("Later ›", Action.TIMELINE_PAGE, f"{pm_id}:{shown.number + 1}"),
        ))
    return bk.modal(
        "Timeline", blocks, callback_id=Callback.TIMELINE, submit=None, close="Done",
        private_metadata=Meta(pm_id=pm_id, page=shown.number, extra={"tz": tz}).dump(),
    )


def _entry_blocks(pm_id: int, entry: TimelineEntry, tz: str) -> list[bk.Block]:
    about = [bk.escape(entry.actor)] if entry.actor else []
    about.append(tl.SOURCE_LABELS.get(entry.source, entry.source))
    if entry.link:
        about.append(f"<{entry.link}|message>")
    if mark := tl.milestone(entry.text):
        about.append(f"_{mark}?_")
    head = f"*{tl.format_in_zone(entry.occurred_at, tz)}*\n"
    tail = "\n" + " · ".join(about)
    body = bk.clip(bk.escape(entry.text), bk.TEXT_LIMIT - len(head) - len(tail))
    value = f"{pm_id}:{entry.id}"
    return [
        bk.section(head + body + tail, block_id=f"pm.timeline.entry.{entry.id}"),
        bk.actions(
            [bk.button("Edit", Action.TIMELINE_EDIT, value),
             bk.button("Delete", Action.TIMELINE_DELETE, value, "danger")],
            block_id=f"pm.timeline.entry_actions.{entry.id}",
        ),
    ]


@dataclass(frozen=True)
class Prefill:
    typed: str = ""
    text: str = ""
    actor: str = ""


def build_entry_modal(
    *, title: str, callback_id: str, meta: Meta, prefill: Prefill, tz: str, submit: str = "Save"
) -> dict[str, Any]:
    """Time typed or picked (typed wins), what happened, and who or what did it."""
    form = [
        bk.text_input(
            TIME_TEXT, "When", initial=prefill.typed or None, optional=True, max_length=100,
            placeholder="14:05 · 2026-11-21 14:05 · 14:05 CET · yesterday 22:40",
            hint=f"Your time zone ({tz}) unless you name one. Or pick a time below.",
        ),
        bk.datetime_picker(TIME_PICK, "…or pick the time", optional=True),
        bk.text_input(TEXT, "What happened", initial=prefill.text[: tl.TEXT_MAX] or None,
                      multiline=True, max_length=tl.TEXT_MAX),
        bk.text_input(ACTOR, "Who or what (optional)", initial=prefill.actor or None,
                      optional=True, max_length=tl.ACTOR_MAX,
                      placeholder="alice, PagerDuty, deploy pipeline"),
    ]
    return bk.modal(title, form, callback_id=callback_id, submit=submit,
                    private_metadata=meta.dump())


def entry_prefill_meta(entry_at: datetime, tz: str, typed: str) -> dict[str, Any]:
    """Remember the exact time behind a prefilled field, so an untouched field keeps seconds."""
    return {"tz": tz, "at": entry_at.isoformat(), "typed": typed}


# ---- reading the form ----------------------------------------------------------------------


def read_entry_form(values: dict[str, Any], ctx: tl.TimeContext) -> tl.EntryDraft:
    """The form as an entry; every problem is reported at its field at once."""
    errors: dict[str, str] = {}
    occurred_at = None
    try:
        picked = timestamp(values, TIME_PICK)
        occurred_at = tl.resolve_time(text(values, TIME_TEXT), picked, ctx, field=TIME_TEXT)
    except FieldErrors as err:
        errors.update(err.errors)
    body, actor = "", None
    try:
        # Raw value, not `text()`: its strip would hide surrounding blanks from the length check.
        body, actor = tl.check_entry(values.get(TEXT) or "", values.get(ACTOR))
    except FieldErrors as err:
        errors.update({FORM_FIELDS[k]: v for k, v in err.errors.items()})
    if errors or occurred_at is None:
        raise FieldErrors(errors)
    return tl.EntryDraft(occurred_at=occurred_at, text=body, actor=actor)


def entry_context(deps: Deps, meta: Meta) -> tl.TimeContext:
    """What parsing needs, taken from the modal's metadata: no Slack call before the ack."""
    if meta.pm_id is None:
        raise NotFound("This form lost track of its post-mortem; please open it again.")
    tz = str(meta.extra.get("tz") or "UTC")
    now = deps.now()
    incident = load_record(deps, meta.pm_id).incident
    at = meta.extra.get("at")
    return tl.TimeContext(
        tz=tz, default_day=tl.incident_day(incident, tz, now), now=now,
        original_at=datetime.fromisoformat(at) if at else None,
        original_typed=str(meta.extra.get("typed") or ""),
    )


# ---- saving --------------------------------------------------------------------------------


def _detail(entry: TimelineEntry) -> dict[str, Any]:
    names = ("id", "text", "actor", "source", "message_key", "link", "created_by")
    return {"occurred_at": entry.occurred_at.isoformat(), **{k: getattr(entry, k) for k in names}}


def _claim(session: Any, deps: Deps, view_key: str | None) -> None:
    if view_key and not keys.claim_key(session, key=view_key, now=deps.now()):
        raise Repeat


def add_entry(
    deps: Deps, pm_id: int, actor_id: str, draft: tl.EntryDraft, *, view_key: str | None = None
) -> TimelineEntry:
    """Insert an entry with its audit event. A message already on the timeline raises
    IntegrityError (UNIQUE per post-mortem), a repeated submission raises Repeat."""
    when = f"{draft.occurred_at:%Y-%m-%d %H:%M} UTC"
    summary = f"added a timeline entry ({when} — {tl.short(draft.text)})"
    # change() writes the audit event after the block: filled in here once the id is known.
    detail: dict[str, Any] = {}
    with change(deps, pm_id, actor_id, "timeline.added", summary, detail) as session:
        _claim(session, deps, view_key)
        entry = TimelineEntry(postmortem_id=pm_id, created_by=actor_id, created_at=deps.now(),
                              **asdict(draft))
        session.add(entry)
        # Flush here so a duplicate message_key fails now, inside this unit of work.
        session.flush()
        detail.update(_detail(entry))
    return entry


def edit_entry(
    deps: Deps, pm_id: int, entry_id: int, actor_id: str, draft: tl.EntryDraft | None,
    view_key: str | None = None,
) -> TimelineEntry:
    """Change (or, with no draft, delete) an entry: one's own, or anyone's as an editor. The
    audit event keeps the entry as it was, so a deletion records who removed what."""
    kind, what = ("timeline.edited", "change") if draft else ("timeline.deleted", "delete")
    detail: dict[str, Any] = {}
    with change(deps, pm_id, actor_id, kind, f"{what}d a timeline entry", detail) as session:
        _claim(session, deps, view_key)
        entry = session.get(TimelineEntry, entry_id)
        if entry is None or entry.postmortem_id != pm_id:
            raise NotFound("That timeline entry no longer exists (someone deleted it).")
        pm = postmortems.get_postmortem(session, pm_id=pm_id)
        require_editor_or_creator(pm, actor_id, entry.created_by, f"{what} someone else's entry")
        detail["before"] = _detail(entry)
        if draft is None:
            session.delete(entry)
            return entry
        entry.occurred_at, entry.text, entry.actor = draft.occurred_at, draft.text, draft.actor
        session.add(entry)
        detail["after"] = _detail(entry)
    return entry


def note(what: str, entry: TimelineEntry | tl.EntryDraft) -> str:
    """"added a timeline entry (14:05 — Deploy started)"; the time renders in each reader's zone."""
    when = bk.slack_date(entry.occurred_at, "{time}")
    return f"{what} ({when} — {bk.escape(tl.short(entry.text))})"


def view_key(body: dict[str, Any]) -> str:
    view = body.get("view") or {}
    return f"view:{view.get('id')}:{view.get('hash', '')}"


def refresh_list(
    deps: Deps, client: WebClient, *, view_id: str | None, view_hash: str | None, pm_id: int,
    page: int, tz: str, focus: int | None = None,
) -> None:
    """Redraw the list modal; on a hash conflict (our own racing redraw) read again, retry once."""
    if not view_id:
        return
    for attempt in (1, 2):
        record = load_record(deps, pm_id)
        if focus is not None:
            page = tl.page_holding(tl.ordered(record.timeline), focus)
        args: dict[str, Any] = {"view_id": view_id,
                                "view": build_timeline_modal(record, page=page, tz=tz)}
        if view_hash and attempt == 1:
            args["hash"] = view_hash
        try:
            client.views_update(**args)
            return
        except SlackApiError as err:
            code = err.response.get("error")
            if code == "hash_conflict" and attempt == 1:
                continue
            log.warning("post-mortem %s: timeline views.update failed: %s", pm_id, code)
            return


def refuse(client: WebClient, deps: Deps, body: dict[str, Any], err: PostmortemError) -> None:
    """A refusal inside a modal flow: ephemeral in the incident channel (a DM if that fails)."""
    channel = None
    with contextlib.suppress(PostmortemError):
        channel = load_record(deps, action_pm_id(body)).postmortem.channel_id
    tell_user(client, user_id=body["user"]["id"], channel_id=channel, text=f":no_entry: {err}")


Handler = Callable[[dict[str, Any], WebClient], None]


def acked(deps: Deps, work: Handler) -> Callable[..., None]:
    """Ack first, then work; a broken rule is told to the user here. Raising it to Bolt after
    the ack races Bolt's runner, which can then answer Slack 404 instead of the ack."""

    def listener(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        try:
            work(body, client)
        except PostmortemError as err:
            refuse(client, deps, body, err)

    listener.__name__ = work.__name__
    return listener


def _entry_id(body: dict[str, Any]) -> int:
    value = str((body.get("actions") or [{}])[0].get("value") or "")
    _, _, tail = value.partition(":")
    if not tail.isdigit():
        raise NotFound("I could not tell which entry this is.")
    return int(tail)


# ---- listeners -----------------------------------------------------------------------------


def register(app: App, deps: Deps) -> None:
    def handle_open_timeline(body: dict[str, Any], client: WebClient) -> None:
        record = load_record(deps, action_pm_id(body))
        tz = user_tz(client, body["user"]["id"])
        open_view(client, body, build_timeline_modal(record, page=0, tz=tz))

    def handle_timeline_page(body: dict[str, Any], client: WebClient) -> None:
        view, meta = body["view"], meta_of(body)
        page = str(body["actions"][0].get("value") or "").partition(":")[2]
        refresh_list(deps, client, view_id=view["id"], view_hash=view.get("hash"),
                     pm_id=action_pm_id(body), page=int(page) if page.isdigit() else 0,
                     tz=str(meta.extra.get("tz") or "UTC"))

    def push_entry_modal(body: dict[str, Any], client: WebClient,
                         entry: TimelineEntry | None) -> None:
        list_meta, view = meta_of(body), body["view"]
        tz = str(list_meta.extra.get("tz") or "UTC")
        extra: dict[str, Any] = {"tz": tz, "list": view["id"], "hash": view.get("hash"),
                                 "page": list_meta.page}
        prefill = Prefill()
        if entry is not None:
            typed = tl.typed_form(entry.occurred_at, tz)
            extra.update(entry_prefill_meta(entry.occurred_at, tz, typed))
            prefill = Prefill(typed=typed, text=entry.text, actor=entry.actor or "")
        meta = Meta(pm_id=action_pm_id(body), entry_id=entry.id if entry else None, extra=extra)
        open_view(client, body, build_entry_modal(
            title="Edit entry" if entry else "Add timeline entry",
            callback_id=Callback.TIMELINE_ENTRY, meta=meta, prefill=prefill, tz=tz))

    def handle_timeline_add(body: dict[str, Any], client: WebClient) -> None:
        pm = load_record(deps, action_pm_id(body)).postmortem
        check_participant(client, pm, body["user"]["id"])
        push_entry_modal(body, client, None)

    def handle_timeline_edit(body: dict[str, Any], client: WebClient) -> None:
        record, entry_id = load_record(deps, action_pm_id(body)), _entry_id(body)
        entry = next((e for e in record.timeline if e.id == entry_id), None)
        if entry is None:
            raise NotFound("That timeline entry no longer exists (someone deleted it).")
        require_editor_or_creator(record.postmortem, body["user"]["id"], entry.created_by,
                                  "change someone else's entry")
        push_entry_modal(body, client, entry)

    def handle_timeline_delete(body: dict[str, Any], client: WebClient) -> None:
        pm_id, user_id, meta = action_pm_id(body), body["user"]["id"], meta_of(body)
        view = body["view"]
        entry = edit_entry(deps, pm_id, _entry_id(body), user_id, None)
        refresh_list(deps, client, view_id=view["id"], view_hash=view.get("hash"), pm_id=pm_id,
                     page=meta.page, tz=str(meta.extra.get("tz") or "UTC"))
        announce(deps, client, pm_id, user_id, note("deleted a timeline entry", entry))

    for action, work in (
        (Action.OPEN_TIMELINE, handle_open_timeline), (Action.TIMELINE_PAGE, handle_timeline_page),
        (Action.TIMELINE_ADD, handle_timeline_add), (Action.TIMELINE_EDIT, handle_timeline_edit),
        (Action.TIMELINE_DELETE, handle_timeline_delete),
    ):
        app.action(action)(acked(deps, work))

    @app.view(Callback.TIMELINE_ENTRY)
    def handle_entry_submission(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        meta, user_id = meta_of(body), body["user"]["id"]
        try:
            draft = read_entry_form(view_values(body["view"]), entry_context(deps, meta))
            assert meta.pm_id is not None
            if meta.entry_id is None:
                entry = add_entry(deps, meta.pm_id, user_id, draft, view_key=view_key(body))
            else:
                entry = edit_entry(deps, meta.pm_id, meta.entry_id, user_id, draft, view_key(body))
        except FieldErrors as err:
            ack(response_action="errors", errors=err.errors)
            return
        except Repeat:
            ack()
            return
        except PostmortemError as err:
            ack(response_action="errors", errors={TEXT: str(err)})
            return
        ack()
        refresh_list(deps, client, view_id=meta.extra.get("list") or body["view"].get(
            "previous_view_id"), view_hash=meta.extra.get("hash"), pm_id=meta.pm_id,
            page=int(meta.extra.get("page") or 0), tz=str(meta.extra.get("tz") or "UTC"),
            focus=entry.id)
        verb = "added" if meta.entry_id is None else "edited"
        announce(deps, client, meta.pm_id, user_id, note(f"{verb} a timeline entry", entry))

    @app.view(Callback.TIMELINE)
    def handle_timeline_submission(ack: Ack) -> None:
        # The list has no submit button; acknowledge anything Slack sends anyway.
        ack()
