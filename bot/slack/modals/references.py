"""References: the dashboards, logs, runbooks and related incidents the document cites. One
modal: a form to add a link on top, the paged list with a Delete button per link below.
Editors only, like every section but the timeline and learnings."""

from __future__ import annotations

from typing import Any

from bot.slack import blocks as bk
from bot.slack.context import Ctx
from bot.slack.forms import errors_at, fresh_id
from bot.slack.ids import Action, Callback, ReferenceField
from bot.slack.meta import Meta
from bot.slack.modals.paging import adds_of, around, redraw, tail_number
from bot.slack.modals.text_fields import text_field
from bot.slack.router import Reply, Router, update
from flows import references
from flows.inputs import URL_MAX
from flows.owned import delete_owned
from flows.permissions import require_workspace
from flows.references import LABEL_MAX, REFERENCE_KINDS
from flows.sections import for_editing
from flows.timeline import paginate
from storage.queries import postmortems
from storage.record import PostmortemRecord
from storage.tables import Reference

BLOCKS = {"kind": ReferenceField.KIND, "label": ReferenceField.LABEL, "url": ReferenceField.URL}
PAGE_SIZE = 30


def link(ref: Reference) -> str:
    """A link that shows the label; neither can break out of Slack's <url|label> syntax."""
    url = bk.escape(ref.url).replace("|", "%7C")
    return f"<{url}|{bk.escape(ref.label).replace('|', '¦')}>"


def build_references_modal(
    record: PostmortemRecord, page: int = 0, adds: int = 0
) -> dict[str, Any]:
    """`adds`: how many links this modal added; the label and link start empty after each
    (bot/slack/forms.py)."""
    blocks: list[bk.Block] = [
        bk.select(ReferenceField.KIND, "Kind of link",
                  [(label, key) for key, label in REFERENCE_KINDS.items()]),
        text_field(fresh_id(ReferenceField.LABEL, adds), "Label", max_length=LABEL_MAX,
                   hint="What the link shows; empty: its site's name.",
                   placeholder="Checkout SLO dashboard"),
        text_field(fresh_id(ReferenceField.URL, adds), "Link", max_length=URL_MAX, optional=False,
                   placeholder="https://grafana.example.com/d/checkout-slo"),
        bk.divider(),
    ]
    refs = record.references
    shown = paginate(refs, page, PAGE_SIZE)
    before, after = around(shown, noun="Links", action=Action.REFERENCE_PAGE, pm_id=record.id,
                           prev_block=ReferenceField.NAV_PREV, next_block=ReferenceField.NAV_NEXT)
    blocks += before
    if not refs:
        blocks.append(bk.context("_No references yet._"))
    blocks += [
        bk.section(
            f"*{REFERENCE_KINDS.get(ref.kind, ref.kind)}* · {link(ref)}",
            accessory=bk.button("Delete", Action.REFERENCE_DELETE, f"{record.id}:{ref.id}"),
        )
        for ref in shown.items
    ]
    blocks += after
    meta = Meta(pm_id=record.id, channel_id=record.postmortem.channel_id, page=shown.number,
                extra={"adds": adds})
    return bk.modal("References", blocks, callback_id=Callback.REFERENCES, submit="Add",
                    close="Done", private_metadata=meta.dump())


def open_references(ctx: Ctx) -> None:
    """From the control message's "More" menu (bot/slack/modals/more.py)."""
    with ctx.read() as session:
        record = for_editing(session, pm_id=ctx.require_pm(), actor=ctx.actor,
                             what="edit the references")
    ctx.open_view(build_references_modal(record))


def submit_reference(ctx: Ctx) -> Reply:
    values, pm_id = ctx.values(), ctx.require_pm()
    typed = {k: v if isinstance(v := values.get(block), str) else None
             for k, block in BLOCKS.items()}
    with errors_at(BLOCKS):
        draft = references.read_reference(typed["kind"], typed["label"], typed["url"])
    with ctx.unit() as session:
        row = references.add_reference(session, pm_id=pm_id, actor=ctx.actor, draft=draft,
                                       now=ctx.now())
        ctx.announce(session, pm_id, f"added a reference: {link(row)}")
    with ctx.read() as session:
        record = postmortems.load_summary(session, pm_id=pm_id)
    # The new link is the last: show the last page.
    return update(build_references_modal(record, (len(record.references) - 1) // PAGE_SIZE,
                                         adds_of(ctx) + 1))


def delete_reference(ctx: Ctx) -> None:
    with ctx.unit() as session:
        row = delete_owned(session, references.REFERENCE, pm_id=ctx.require_pm(),
                           row_id=tail_number(ctx.value), actor=ctx.actor, now=ctx.now())
        ctx.announce(session, row.postmortem_id, f"deleted a reference: {bk.escape(row.label)}")
    show_page(ctx, ctx.meta.page)


def turn_page(ctx: Ctx) -> None:
    show_page(ctx, tail_number(ctx.value))


def show_page(ctx: Ctx, page: int) -> None:
    def view() -> dict[str, Any]:
        with ctx.read() as session:
            record = postmortems.load_summary(session, pm_id=ctx.require_pm())
        require_workspace(record.postmortem, ctx.user_team_id)
        return build_references_modal(record, page, adds_of(ctx))

    redraw(ctx, view)


def register_listeners(router: Router) -> None:
    router.view(Callback.REFERENCES)(submit_reference)
    router.action(Action.REFERENCE_DELETE)(delete_reference)
    router.action(Action.REFERENCE_PAGE)(turn_page)
