"""Review surfaces: the pre-review checklist modal, the reviewer's DM, the executive summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.slack import blocks as bk
from bot.slack.ids import Action, Callback
from bot.slack.meta import Meta
from flows.durations import impact_window
from flows.metrics import format_duration
from flows.quality import Finding
from flows.review import Reviewer
from flows.severity import severity_label
from storage.record import PostmortemRecord

OVERRIDE = "pm.review.override"
COMMENT = "pm.review.comment"
MAX_FINDINGS = 40


def build_checklist_modal(
    record: PostmortemRecord, findings: list[Finding], reviewers: list[Reviewer]
) -> dict[str, Any]:
    errors = [f for f in findings if f.level == "error"]
    warnings = [f for f in findings if f.level != "error"]
    blocks: list[bk.Block] = []
    if not findings:
        blocks.append(bk.section(":white_check_mark: *No problems found.* Ready for review."))
    for finding in (errors + warnings)[:MAX_FINDINGS]:
        icon = ":x:" if finding.level == "error" else ":warning:"
        line = f"{icon} *{bk.escape(finding.message)}*"
        if finding.offending:
            line += f"\n> {bk.escape(finding.offending[:500])}"
        blocks.append(bk.section(line))
    if len(findings) > MAX_FINDINGS:
        blocks.append(bk.context(f"_{len(findings) - MAX_FINDINGS} more findings not shown._"))
    names = ", ".join(f"<@{r.user_id}> ({r.label})" for r in reviewers)
    blocks.append(bk.context(f"Reviewers who will be asked to sign off: {names}"))
    if errors:
        blocks.append(
            bk.text_input(
                OVERRIDE,
                "Submit anyway? Say why",
                multiline=True,
                optional=True,
                hint="Errors block review unless you give a reason; the document records it.",
            )
        )
    return bk.modal(
        "Ready for review?",
        blocks,
        callback_id=Callback.REVIEW_SUBMIT,
        submit="Submit for review",
        private_metadata=Meta(pm_id=record.id).dump(),
    )


def build_changes_modal(pm_id: int) -> dict[str, Any]:
    return bk.modal(
        "Request changes",
        [bk.text_input(COMMENT, "What should change?", multiline=True)],
        callback_id=Callback.REVIEW_CHANGES,
        submit="Send",
        private_metadata=Meta(pm_id=pm_id).dump(),
    )


def build_review_request(
    record: PostmortemRecord, reviewer: Reviewer, summary: str, link: str | None
) -> dict[str, Any]:
    """The reviewer's DM: what they are asked to sign, the rendered summary, two buttons."""
    inc = record.incident
    intro = (
        f"<@{record.postmortem.owner_id}> asks you to sign off the post-mortem for "
        f"*{bk.escape(inc.title)}* ({severity_label(inc.severity)}) as {reviewer.label}."
    )
    if link:
        intro += f" <{link}|Open the thread>."
    blocks = [
        bk.section(intro),
        bk.section(bk.clip(summary, 3000)),
        bk.actions(
            [
                bk.button("Approve", Action.REVIEW_APPROVE, str(record.id), style="primary"),
                bk.button(
                    "Request changes", Action.REVIEW_REQUEST_CHANGES, str(record.id), style="danger"
                ),
            ]
        ),
    ]
    return {"text": f"Review requested: {inc.title}", "blocks": blocks}


def build_executive_summary(
    record: PostmortemRecord, link: str | None, now: datetime
) -> dict[str, Any]:
    """The message for #engineering when a post-mortem is published."""
    pm, inc = record.postmortem, record.incident
    duration = impact_window(record)
    impact = (
        "; ".join(
            v
            for v in (pm.users_affected, pm.requests_failed, pm.revenue_impact, pm.sla_breach)
            if v
        )
        or "not quantified"
    )
    root = (pm.root_cause or pm.cause_what or "not stated").strip().splitlines()[0]
    items = sorted(record.action_items, key=lambda a: (a.priority, a.number))[:5]
    lines = [
        f"• *AI-{a.number}* {bk.escape(a.title[:150])} — {bk.user(a.owner_id)}, "
        + (f"due {a.due_on:%Y-%m-%d}" if a.due_on else "backlog")
        + f" ({a.priority})"
        for a in items
    ] or ["_No action items._"]
    blocks: list[bk.Block] = [
        bk.header(f"Post-mortem published: {inc.title}"),
        bk.fields(
            [
                ("Severity", severity_label(inc.severity)),
                ("Duration", format_duration(duration) if duration else "unknown"),
                ("Incident", bk.escape(inc.reference)),
                ("Services", bk.escape(", ".join(inc.services)) or "—"),
            ]
        ),
        bk.section(f"*Impact*\n{bk.escape(impact)}"),
        bk.section(f"*Root cause*\n{bk.escape(root[:500])}"),
        bk.section("*Top action items*\n" + "\n".join(lines)),
    ]
    if link:
        blocks.append(bk.context(f"<{link}|Read the full post-mortem and its discussion>"))
    text = (
        f"Post-mortem published: {inc.title} ({severity_label(inc.severity)}). "
        f"Root cause: {root[:300]}"
    )
    return {"text": text, "blocks": blocks}
