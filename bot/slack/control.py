"""The post-mortem's control message: status, owner, deadline, checklist and the buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.slack import blocks as bk
from bot.slack.home.rows import link, place_link
from bot.slack.ids import Action, Block
from flows.checklist import checklist
from flows.lifecycle import DRAFT, STATUS_LABELS
from flows.related import Suggestion
from flows.severity import severity_label
from storage.record import PostmortemRecord

SECTION_BUTTONS: list[tuple[str, Action]] = [
    ("Details", Action.OPEN_DETAILS),
    ("Timeline", Action.OPEN_TIMELINE),
    ("5 Whys", Action.OPEN_WHYS),
    ("Impact", Action.OPEN_IMPACT),
    ("Learnings", Action.OPEN_LEARNINGS),
    ("Action items", Action.OPEN_ACTION_ITEMS),
]
# The "More" menu (an overflow holds 5 at most): the sections some formats ask for. Each
# option's value is "<pm_id>:<key>"; bot/slack/modals/more.py opens the key's modal.
MORE_SECTIONS: list[tuple[str, str]] = [
    ("Communication", "communication"),
    ("References", "references"),
    ("Supporting data & follow-up", "supporting"),
    ("Financial questions (Bilko)", "finance"),
    ("ARB checklist (enterprise)", "compliance"),
]


def build_control_message(
    record: PostmortemRecord, now: datetime, related: Sequence[Suggestion] = ()
) -> dict[str, Any]:
    """`text` and `blocks` for chat.postMessage / chat.update; `related`: earlier
    post-mortems that look alike (flows/related.py), shown under the checklist."""
    pm, inc = record.postmortem, record.incident
    sections = checklist(record)
    missing = [s for s in sections if not s.done]
    due = bk.slack_date(pm.due_at) if pm.due_at else "no deadline"
    if pm.due_at and pm.status == DRAFT and pm.due_at < now:
        due += " :warning: *overdue*"
    requirement = "Required by policy" if pm.required else "Optional"
    facts = [
        ("Status", STATUS_LABELS.get(pm.status, pm.status)),
        ("Severity", severity_label(inc.severity)),
        ("Owner", bk.user(pm.owner_id)),
        ("Due", due),
        ("Incident", bk.escape(inc.reference)),
        ("Services", bk.escape(", ".join(inc.services)) or "_not set_"),
    ]
    if pm.commander_id:
        facts.append(("Incident commander", bk.user(pm.commander_id)))
    if pm.meeting_at:
        facts.append(("Review meeting", bk.slack_date(pm.meeting_at)
                      + (f" · {len(pm.attendees)} attended" if pm.attendees else "")))
    lines = [
        f"{':white_check_mark:' if s.done else ':white_square:'} {s.label}"
        + ("" if s.done else f" — _{s.hint}_")
        for s in sections
    ]
    open_items = [a for a in record.action_items if a.status in ("open", "in_progress")]
    summary = (
        f"{len(record.timeline)} timeline entries · {len(record.whys)} whys · "
        f"{len(record.action_items)} action items ({len(open_items)} open)"
    )
    value = str(record.id)
    buttons = [bk.button(label, action, value) for label, action in SECTION_BUTTONS]
    if pm.status == DRAFT:
        buttons.append(bk.button("Submit for review", Action.REVIEW_OPEN, value, style="primary"))
    buttons.append(bk.button("Preview document", Action.PREVIEW, value))
    buttons.append(bk.button("Review meeting", Action.OPEN_MEETING, value))
    buttons.append(bk.overflow(Action.OPEN_MORE,
                               [(label, f"{value}:{key}") for label, key in MORE_SECTIONS]))
    blocks: list[bk.Block] = [
        bk.header(f"Post-mortem: {inc.title}"),
        bk.fields(facts),
        bk.section("*Checklist*\n" + "\n".join(lines)),
        bk.context(f"{requirement} · {summary}"),
        *([related_block(record.id, related)] if related else []),
        bk.actions(buttons, block_id=Block.CONTROL_ACTIONS),
    ]
    still = ", ".join(s.label.lower() for s in missing) or "nothing — ready for review"
    # The notification text goes out as mrkdwn too: what people typed must ping nobody.
    named = f"{bk.escape(inc.reference)} “{bk.escape(inc.title)}”"
    text = (
        f"Post-mortem for {named} ({severity_label(inc.severity)}), "
        f"owner {bk.user(pm.owner_id)}, due {pm.due_at:%Y-%m-%d %H:%M} UTC. Still missing: {still}."
        if pm.due_at
        else f"Post-mortem for {named}. Still missing: {still}."
    )
    return {"text": bk.clip(text, 3000), "blocks": blocks}


def related_block(pm_id: int, related: Sequence[Suggestion]) -> bk.Block:
    """":link: Possibly related: INC-… “title” 82 % (similar title, same services) · …", with
    a menu to link those not linked yet (the document cites them; they count as recurrences)."""
    parts, offers = [], []
    for s in related:
        other = s.postmortem
        where = place_link(other.archive_url, other.channel_id, other.team_id)
        parts.append(f"{link(where, f'*{bk.escape(other.reference)}*')} "
                     f"“{bk.escape(bk.clip(other.title, 120))}” {round(s.score * 100)} % "
                     f"({', '.join(s.reasons)})" + (" — linked" if s.linked else ""))
        if not s.linked:
            offers.append((f"{other.reference}: {other.title}", f"{pm_id}:{other.pm_id}"))
    text = bk.clip(":link: *Possibly related:* " + " · ".join(parts))
    # A select rather than an overflow: an overflow wants at least two options.
    menu = {"type": "static_select", "action_id": Action.RELATED_LINK,
            "placeholder": bk.plain("Link as related…"),
            "options": [bk.option(label, value) for label, value in offers]} if offers else None
    return bk.section(text, block_id=Block.CONTROL_RELATED, accessory=menu)
