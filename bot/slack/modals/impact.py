"""Impact: duration (computed, editable), users, requests, data, revenue, SLA and error
budget, support load, regulatory notification. Every field optional."""

from __future__ import annotations

from typing import Any

from bot.slack import blocks as bk
from bot.slack.context import Ctx
from bot.slack.forms import text
from bot.slack.ids import Action, Callback
from bot.slack.meta import Meta
from bot.slack.router import Reply, Router
from flows import impact
from flows.durations import impact_window
from flows.errors import FieldErrors
from flows.permissions import require_editor
from storage.queries import postmortems
from storage.record import PostmortemRecord

DURATION = "pm.impact.minutes"
SLO = "pm.impact.slo"
# block id -> (Postmortem attribute, label, placeholder)
TEXT_FIELDS = {
    "pm.impact.users": ("users_affected", "Users affected", "~500 users (25% of active users)"),
    "pm.impact.requests": ("requests_failed", "Requests failed", "~1,200 requests"),
    "pm.impact.customer": (
        "customer_impact",
        "What customers saw",
        "“Service Temporarily Unavailable” at checkout",
    ),
    "pm.impact.data": ("data_impact", "Data impact", "None / corrupted records / lost data"),
    "pm.impact.revenue": ("revenue_impact", "Revenue impact", "$150 estimated"),
    "pm.impact.sla": ("sla_breach", "SLA breach", "Yes — 98.5% for 12 min (target 99.9%)"),
    "pm.impact.budget": (
        "error_budget_used",
        "Error budget used",
        "Leave empty to compute it from the SLO and the duration",
    ),
    "pm.impact.tickets": ("support_tickets", "Support tickets", "3 tickets"),
    "pm.impact.regulatory": (
        "regulatory_notification",
        "Regulatory notification required",
        "No / Yes — GDPR notice sent 2026-11-22",
    ),
}


def build_impact_modal(record: PostmortemRecord) -> dict[str, Any]:
    pm = record.postmortem
    duration = impact_window(record)
    minutes = str(int(duration.total_seconds() // 60)) if duration is not None else None
    computed = pm.impact_minutes is None and minutes is not None
    blocks: list[bk.Block] = [
        bk.text_input(
            DURATION,
            "Impact duration (minutes)",
            initial=minutes,
            optional=True,
            max_length=7,
            hint=(
                "Computed from started → mitigated/resolved; change it if users were "
                "affected for a different span."
                if computed
                else "Entered by hand."
            ),
        ),
        bk.text_input(
            SLO,
            "SLO target (%)",
            optional=True,
            max_length=8,
            initial=None if pm.slo_target is None else f"{pm.slo_target:g}",
            placeholder="99.9",
        ),
    ]
    for block_id, (attr, label, placeholder) in TEXT_FIELDS.items():
        blocks.append(
            bk.text_input(
                block_id,
                label,
                initial=getattr(pm, attr),
                optional=True,
                placeholder=placeholder,
                multiline=attr == "customer_impact",
            )
        )
    return bk.modal(
        "Impact", blocks, callback_id=Callback.IMPACT, private_metadata=Meta(pm_id=record.id).dump()
    )


def read_impact(values: dict[str, Any], computed_minutes: int | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    raw_minutes = text(values, DURATION)
    out["impact_minutes"] = None
    if raw_minutes:
        if not (raw_minutes.isascii() and raw_minutes.isdigit() and len(raw_minutes) <= 7):
            errors[DURATION] = "Minutes as a whole number, e.g. 42."
        elif int(raw_minutes) != computed_minutes:
            out["impact_minutes"] = int(raw_minutes)
    raw_slo = text(values, SLO).rstrip("%").strip()
    out["slo_target"] = None
    if raw_slo:
        try:
            slo = float(raw_slo)
            if not 0 < slo < 100:
                raise ValueError
            out["slo_target"] = slo
        except ValueError:
            errors[SLO] = "A percentage between 0 and 100, e.g. 99.9."
    for block_id, (attr, _, _) in TEXT_FIELDS.items():
        try:
            out[attr] = text(values, block_id) or None
        except FieldErrors as err:
            errors.update(err.errors)
    if errors:
        raise FieldErrors(errors)
    return out


def register_listeners(router: Router) -> None:
    router.action(Action.OPEN_IMPACT)(open_impact)
    router.view(Callback.IMPACT)(submit_impact)


def open_impact(ctx: Ctx) -> None:
    with ctx.read() as session:
        record = postmortems.load_summary(session, pm_id=ctx.require_pm())
    require_editor(record.postmortem, ctx.user_id, "edit the impact", team_id=ctx.user_team_id)
    ctx.open_view(build_impact_modal(record))


def submit_impact(ctx: Ctx) -> Reply:
    pm_id = ctx.require_pm()
    with ctx.read() as session:
        computed = impact.computed_minutes(postmortems.load_summary(session, pm_id=pm_id))
    changes = read_impact(ctx.values(), computed)
    with ctx.unit() as session:
        changed = impact.save_impact(session, pm_id=pm_id, actor=ctx.actor, changes=changes,
                                     now=ctx.now())
        if changed:
            labels = {attr: label.lower() for attr, label, _ in TEXT_FIELDS.values()}
            labels |= {"impact_minutes": "duration", "slo_target": "SLO"}
            ctx.announce(session, pm_id,
                         "updated the impact: " + ", ".join(labels[k] for k in changed))
    return None
