"""Review surfaces: the pre-review checklist modal, the request-changes modal, the reviewer's
DM and the executive summary. User text is escaped in blocks and in `text` alike; mentions
are the bot's own (`bk.user`)."""

from __future__ import annotations

from typing import Any

from bot.slack import blocks as bk
from bot.slack.ids import Action, Callback, ReviewField
from bot.slack.meta import Meta
from flows.durations import incident_durations
from flows.quality import Finding
from flows.review import Reviewer
from flows.severity import severity_label
from flows.summary import summary_text
from storage.record import PostmortemRecord

OVERRIDE = ReviewField.OVERRIDE
COMMENT = ReviewField.COMMENT
OVERRIDE_MAX = 1000
COMMENT_MAX = 2500
MAX_FINDINGS = 40
DM_ITEMS = 8
SUMMARY_ITEMS = 5


def build_checklist_modal(
    record: PostmortemRecord, findings: list[Finding], reviewers: list[Reviewer]
) -> dict[str, Any]:
    """What the quality checks found, errors first, and who will be asked to sign off. At most
    MAX_FINDINGS are shown, so the modal stays within Slack's 100 blocks."""
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
        if finding.suggestion:
            line += f"\n_Try:_ {bk.escape(finding.suggestion[:500])}"
        blocks.append(bk.section(line))
    if len(findings) > MAX_FINDINGS:
        blocks.append(bk.context(f"_{len(findings) - MAX_FINDINGS} more findings not shown._"))
    names = ", ".join(f"{bk.user(r.user_id)} ({r.label})" for r in reviewers)
    blocks.append(bk.context(f"Reviewers who will be asked to sign off: {names}"))
    if errors:
        blocks.append(
            bk.text_input(
                OVERRIDE,
                "Submit anyway? Say why",
                multiline=True,
                optional=True,
                max_length=OVERRIDE_MAX,
                hint="Errors block review unless you give a reason; the document records it. "
                f"Up to {OVERRIDE_MAX:,} characters.",
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
        [
            bk.text_input(COMMENT, "What should change?", multiline=True,
                          max_length=COMMENT_MAX,
                          hint=f"Posted in the post-mortem's thread. Up to {COMMENT_MAX:,} "
                          "characters."),
        ],
        callback_id=Callback.REVIEW_CHANGES,
        submit="Send",
        private_metadata=Meta(pm_id=pm_id).dump(),
    )


def review_summary(record: PostmortemRecord, tz: str = "UTC") -> str:
    """What a reviewer reads in the DM before opening the document."""
    pm = record.postmortem
    parts = [f"*Summary*\n{bk.escape(summary_text(record, tz))}"]
    if pm.root_cause:
        parts.append(f"*Systemic root cause*\n{bk.escape(pm.root_cause)}")
    items = "\n".join(
        f"• AI-{a.number} {bk.escape(a.title[:120])} — {bk.user(a.owner_id)}"
        for a in record.action_items[:DM_ITEMS]
    )
    parts.append(f"*Action items* ({len(record.action_items)})\n{items or '_none_'}")
    if pm.quality_override:
        parts.append(f"*Quality checks overridden:* {bk.escape(pm.quality_override)}")
    return "\n\n".join(parts)


def build_review_request(
    record: PostmortemRecord, reviewer: Reviewer, summary: str, link: str | None
) -> dict[str, Any]:
    """The reviewer's DM: what they are asked to sign, the rendered summary, two buttons."""
    inc = record.incident
    title = bk.escape(inc.title)
    intro = (
        f"{bk.user(record.postmortem.owner_id)} asks you to sign off the post-mortem for "
        f"*{title}* ({severity_label(inc.severity)}) as {reviewer.label}."
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
    return {"text": bk.clip(f"Review requested: {title}"), "blocks": blocks}


def build_executive_summary(
    record: PostmortemRecord, link: str | None, tz: str = "UTC"
) -> dict[str, Any]:
    """The message for the announce channel when a post-mortem is published: the summary, the
    durations with their definitions (flows/durations.py, as in the document), the impact, the
    root cause and the top action items."""
    pm, inc = record.postmortem, record.incident
    durations = incident_durations(record)
    impact = (
        "; ".join(
            v
            for v in (pm.users_affected, pm.requests_failed, pm.revenue_impact, pm.sla_breach)
            if v
        )
        or "not quantified"
    )
    root = ((pm.root_cause or pm.cause_what or "not stated").strip().splitlines() or [""])[0]
    items = sorted(record.action_items, key=lambda a: (a.priority, a.number))[:SUMMARY_ITEMS]
    lines = [
        f"• *AI-{a.number}* {bk.escape(a.title[:150])} — {bk.user(a.owner_id)}, "
        + (f"due {a.due_on:%Y-%m-%d}" if a.due_on else "backlog")
        + f" ({a.priority})"
        for a in items
    ] or ["_No action items._"]
    timings = [f"• {bk.escape(line)}" for line in durations.sentences()] or ["_Not recorded._"]
    blocks: list[bk.Block] = [
        bk.header(f"Post-mortem published: {inc.title}"),
        bk.fields(
            [
                ("Severity", severity_label(inc.severity)),
                ("Impact window", durations.impact.text or "unknown"),
                ("Incident", bk.escape(inc.reference)),
                ("Services", bk.escape(", ".join(inc.services)) or "—"),
            ]
        ),
        bk.section(f"*Summary*\n{bk.escape(bk.clip(summary_text(record, tz), 1500))}"),
        bk.section(f"*Impact*\n{bk.escape(impact)}"),
        bk.section("*Durations*\n" + "\n".join(timings)),
        bk.section(f"*Root cause*\n{bk.escape(root[:500])}"),
        bk.section("*Top action items*\n" + "\n".join(lines)),
    ]
    if link:
        blocks.append(bk.context(f"<{link}|Read the full post-mortem and its discussion>"))
    text = (
        f"Post-mortem published: {bk.escape(inc.title)} ({severity_label(inc.severity)}). "
        f"Root cause: {bk.escape(root[:300])}"
    )
    return {"text": bk.clip(text), "blocks": blocks}
