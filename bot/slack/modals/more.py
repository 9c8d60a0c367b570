"""The control message's "More" menu: the sections some formats ask for — communication,
references, supporting data and follow-up, Bilko's financial questions and the enterprise
ARB checklist. Editors only; each form is read by its flows `read_*` and saved by a flows
transition that leaves an audit event, then noted in the thread."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from bot.slack import blocks as bk
from bot.slack.context import Ctx
from bot.slack.forms import errors_at
from bot.slack.ids import (
    Action,
    Callback,
    CommunicationField,
    ComplianceField,
    FinanceField,
    SupportingField,
)
from bot.slack.meta import Meta
from bot.slack.modals.references import open_references
from bot.slack.modals.text_fields import spec_field
from bot.slack.router import Reply, Router
from flows import compliance, sections
from flows.compliance import ARB_ITEMS
from flows.errors import PostmortemError
from flows.inputs import FINANCE_MODULES, read_finance, read_text_fields
from flows.permissions import require_editor
from flows.sections import FieldGroup
from storage.queries import postmortems
from storage.record import PostmortemRecord


class Form:
    """A section edited in one modal: its title, callback, the group of fields it saves and
    the enum its block ids belong to ("pm.<section>.<column>")."""

    def __init__(self, title: str, callback: Callback, group: FieldGroup,
                 ids: type[StrEnum]) -> None:
        self.title, self.callback, self.group = title, callback, group
        self.blocks = {name: str(ids(f"pm.{callback.split('.')[1]}.{name}"))
                       for name in group.columns}

    def modal(self, record: PostmortemRecord, extra: list[bk.Block]) -> dict[str, Any]:
        pm = record.postmortem
        fields = [spec_field(self.blocks[f.name], f, getattr(pm, f.name))
                  for f in self.group.fields]
        return bk.modal(self.title, [*extra, *fields], callback_id=self.callback,
                        private_metadata=Meta(pm_id=record.id, channel_id=pm.channel_id).dump())

    def raw(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The submitted values by column name."""
        return {name: values.get(block) for name, block in self.blocks.items()}


COMMUNICATION = Form("Communication", Callback.COMMUNICATION, sections.COMMUNICATION,
                     CommunicationField)
SUPPORTING = Form("Supporting data", Callback.SUPPORTING, sections.SUPPORTING, SupportingField)
FINANCE = Form("Financial questions", Callback.FINANCE, sections.FINANCE, FinanceField)
FORMS = {"communication": COMMUNICATION, "supporting": SUPPORTING, "finance": FINANCE}


def open_more(ctx: Ctx) -> None:
    section = ctx.value.partition(":")[2]
    openers: dict[str, Callable[[Ctx], None]] = {
        "references": open_references, "compliance": open_compliance,
        **{key: open_form for key in FORMS},
    }
    if section not in openers:
        raise PostmortemError("That menu entry is no longer offered: use the one on the "
                              "post-mortem's current control message.")
    openers[section](ctx)


def _record(ctx: Ctx, what: str) -> PostmortemRecord:
    with ctx.read() as session:
        record = postmortems.load_summary(session, pm_id=ctx.require_pm())
    require_editor(record.postmortem, ctx.user_id, what, team_id=ctx.user_team_id)
    return record


def open_form(ctx: Ctx) -> None:
    form = FORMS[ctx.value.partition(":")[2]]
    record = _record(ctx, f"edit {form.group.name}")
    extra: list[bk.Block] = []
    if form is FINANCE:
        extra = [_modules(form, record.postmortem.finance_modules)]
    elif form is SUPPORTING:
        extra = [bk.context("Graphs and metrics: add dashboards and logs under *References*.")]
    ctx.open_view(form.modal(record, extra))


def _modules(form: Form, chosen: list[str]) -> bk.Block:
    options = [bk.option(label, key) for key, label in FINANCE_MODULES.items()]
    element: dict[str, Any] = {"type": "multi_static_select", "action_id": "value",
                               "options": options}
    initial = [o for o in options if o["value"] in chosen]
    if initial:
        element["initial_options"] = initial
    return bk.input_block(form.blocks["finance_modules"], "Accounting modules affected",
                          element, optional=True,
                          hint="Pick “No accounting module” when none was touched.")


def save(ctx: Ctx, form: Form, read: Callable[[dict[str, Any]], Mapping[str, Any]]) -> Reply:
    pm_id = ctx.require_pm()
    with errors_at(form.blocks):
        changes = read(form.raw(ctx.values()))
    with ctx.unit() as session:
        changed = sections.save_fields(session, pm_id=pm_id, actor=ctx.actor, group=form.group,
                                       changes=changes, now=ctx.now())
        if changed:
            names = ", ".join(form.group.label(name) for name in changed)
            ctx.announce(session, pm_id, f"updated {form.group.name}: {bk.escape(names)}")
    return None


def submit_communication(ctx: Ctx) -> Reply:
    return save(ctx, COMMUNICATION, lambda raw: read_text_fields(COMMUNICATION.group.fields, raw))


def submit_supporting(ctx: Ctx) -> Reply:
    return save(ctx, SUPPORTING, lambda raw: read_text_fields(SUPPORTING.group.fields, raw))


def submit_finance(ctx: Ctx) -> Reply:
    return save(ctx, FINANCE, lambda raw: read_finance(raw.pop("finance_modules"), raw))


# ---- the ARB checklist ---------------------------------------------------------------------


def build_compliance_modal(record: PostmortemRecord) -> dict[str, Any]:
    options = [{"text": bk.plain(question), "value": key} for key, question in ARB_ITEMS.items()]
    element: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": options}
    ticked = {t.item: t for t in record.compliance}
    if ticked:
        element["initial_options"] = [o for o in options if o["value"] in ticked]
    who = [f"• {bk.escape(ARB_ITEMS[t.item])} — {bk.user(t.ticked_by)}, "
           f"{bk.slack_date(t.ticked_at)}" for t in ticked.values() if t.item in ARB_ITEMS]
    blocks = [
        bk.input_block(ComplianceField.ITEMS, "Compliance & archival", element, optional=True),
        bk.context("\n".join(who) if who else "_Nothing ticked yet._"),
    ]
    meta = Meta(pm_id=record.id, channel_id=record.postmortem.channel_id)
    return bk.modal("ARB checklist", blocks, callback_id=Callback.COMPLIANCE,
                    private_metadata=meta.dump())


def open_compliance(ctx: Ctx) -> None:
    ctx.open_view(build_compliance_modal(_record(ctx, "tick the ARB checklist")))


def submit_compliance(ctx: Ctx) -> Reply:
    pm_id = ctx.require_pm()
    with errors_at({compliance.FIELD: ComplianceField.ITEMS}):
        ticked = compliance.read_compliance(ctx.values().get(ComplianceField.ITEMS))
    with ctx.unit() as session:
        changes = compliance.save_compliance(session, pm_id=pm_id, actor=ctx.actor,
                                             ticked=ticked, now=ctx.now())
        if changes.add or changes.remove:
            done = len(ticked)
            ctx.announce(session, pm_id,
                         f"updated the ARB checklist ({done}/{len(ARB_ITEMS)} ticked)")
    return None


def register_listeners(router: Router) -> None:
    router.action(Action.OPEN_MORE)(open_more)
    saves = {Callback.COMMUNICATION: submit_communication, Callback.SUPPORTING: submit_supporting,
             Callback.FINANCE: submit_finance, Callback.COMPLIANCE: submit_compliance}
    for callback_id, on_submit in saves.items():
        router.view(callback_id)(on_submit)
