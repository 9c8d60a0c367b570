"""Learnings: went well, went poorly, where we got lucky, surprises, and lessons (technical,
process, culture). Each line the user types becomes its own entry; the lists below the form
are paged. Anyone in the incident channel adds; people delete their own entries."""

from __future__ import annotations

from typing import Any

from bot.slack import blocks as bk
from bot.slack.context import Ctx
from bot.slack.forms import errors_at, fresh_id
from bot.slack.ids import Action, Callback, LearningField
from bot.slack.meta import Meta
from bot.slack.modals.paging import adds_of, around, redraw, tail_number
from bot.slack.modals.text_fields import limit_hint
from bot.slack.people import membership
from bot.slack.router import Reply, Router, update
from flows import learnings
from flows.learnings import ENTRIES_MAX, LEARNING_KINDS
from flows.owned import delete_owned
from flows.permissions import require_participant, require_workspace
from flows.timeline import paginate
from storage.queries import postmortems
from storage.record import PostmortemRecord
from storage.tables import Learning

KIND = LearningField.KIND
ITEMS = LearningField.ITEMS
BLOCKS = {"kind": KIND, "entries": ITEMS}
PAGE_SIZE = 25  # with 7 list headers and the form, far below Slack's 100 blocks


def in_order(record: PostmortemRecord) -> list[Learning]:
    """Grouped by list, in the document's order; oldest first within a list."""
    return [item for key in LEARNING_KINDS for item in record.learnings_of(key)]


def build_learnings_modal(
    record: PostmortemRecord, kind: str = "went_well", page: int = 0, adds: int = 0
) -> dict[str, Any]:
    """`adds`: how many times this modal added entries; the entries box starts empty after
    each (bot/slack/forms.py)."""
    blocks: list[bk.Block] = [
        bk.select(KIND, "Which list", [(label, key) for key, label in LEARNING_KINDS.items()],
                  initial=kind),
        bk.text_input(fresh_id(ITEMS, adds), "Entries", multiline=True, optional=True,
                      max_length=ENTRIES_MAX,
                      hint=limit_hint(ENTRIES_MAX, "One per line; each line becomes its own "
                                                   "entry. Be specific."),
                      placeholder="Alert fired within 2 minutes of the error spike"),
    ]
    shown = paginate(in_order(record), page, PAGE_SIZE)
    before, after = around(shown, noun="Entries", action=Action.LEARNING_PAGE, pm_id=record.id,
                           prev_block=LearningField.NAV_PREV, next_block=LearningField.NAV_NEXT)
    blocks += before
    heading = None
    for item in shown.items:
        if item.kind != heading:
            heading = item.kind
            blocks.append(bk.header(LEARNING_KINDS.get(item.kind, item.kind)))
        blocks.append(bk.section(
            f"• {bk.escape(item.text)}",
            accessory=bk.button("Delete", Action.LEARNING_DELETE, f"{record.id}:{item.id}"),
        ))
    blocks += after
    meta = Meta(pm_id=record.id, channel_id=record.postmortem.channel_id, page=shown.number,
                extra={"kind": kind, "adds": adds})
    return bk.modal("Learnings", blocks, callback_id=Callback.LEARNINGS, submit="Add",
                    private_metadata=meta.dump())


def open_learnings(ctx: Ctx) -> None:
    record = _record(ctx)
    pm = record.postmortem
    require_participant(pm, ctx.actor, in_channel=membership(ctx.client, pm.channel_id,
                                                             ctx.user_id))
    ctx.open_view(build_learnings_modal(record))


def submit_learnings(ctx: Ctx) -> Reply:
    values, pm_id = ctx.values(), ctx.require_pm()
    with errors_at(BLOCKS):
        kind, entries = learnings.read_learnings(values.get(KIND), values.get(ITEMS))
    with ctx.unit() as session:
        pm = postmortems.get_postmortem(session, pm_id=pm_id)
        rows = learnings.add_learnings(
            session, pm_id=pm_id, actor=ctx.actor, kind=kind, entries=entries, now=ctx.now(),
            in_channel=membership(ctx.client, pm.channel_id, ctx.user_id))
        noun = "entry" if len(rows) == 1 else "entries"
        ctx.announce(session, pm_id, f"added {len(rows)} {noun} to “{LEARNING_KINDS[kind]}”")
    record = _record(ctx)
    # Show the page the new entries are on.
    order = [item.id for item in in_order(record)]
    page = order.index(rows[0].id) // PAGE_SIZE if rows[0].id in order else 0
    return update(build_learnings_modal(record, kind, page, adds_of(ctx) + 1))


def delete_learning(ctx: Ctx) -> None:
    pm_id = ctx.require_pm()
    with ctx.unit() as session:
        learning = delete_owned(session, learnings.LEARNING, pm_id=pm_id, actor=ctx.actor,
                                row_id=tail_number(ctx.value), now=ctx.now())
        ctx.announce(session, pm_id, f"deleted a learning: “{bk.escape(learning.text[:200])}”")
    show_page(ctx, ctx.meta.page)


def turn_page(ctx: Ctx) -> None:
    show_page(ctx, tail_number(ctx.value))


def show_page(ctx: Ctx, page: int) -> None:
    kind = str(ctx.meta.extra.get("kind") or "went_well")
    redraw(ctx, lambda: build_learnings_modal(_record(ctx), kind, page, adds_of(ctx)))


def _record(ctx: Ctx) -> PostmortemRecord:
    with ctx.read() as session:
        record = postmortems.load_summary(session, pm_id=ctx.require_pm())
    require_workspace(record.postmortem, ctx.user_team_id)
    return record


def register_listeners(router: Router) -> None:
    router.action(Action.OPEN_LEARNINGS)(open_learnings)
    router.view(Callback.LEARNINGS)(submit_learnings)
    router.action(Action.LEARNING_DELETE)(delete_learning)
    router.action(Action.LEARNING_PAGE)(turn_page)
