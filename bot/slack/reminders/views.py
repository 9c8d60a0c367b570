"""Reminder messages: deadline, escalation, weekly nudge, follow-up and digest.

Pure builders: rows and dates in, `{"text", "blocks"}` out (chat.postMessage keyword args).
User text is escaped in both. Button values are plain strings the listeners parse with the
`parse_*` helpers below.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.slack import blocks as bk
from bot.slack.home.rows import link, place_link
from bot.slack.ids import Action, ActionItemBlock
from bot.slack.values import as_id
from flows.errors import PostmortemError
from flows.reminders.plan import is_overdue, nudge_order
from storage.kinds import RECURRENCE
from storage.tables import ActionItem, Incident, Postmortem

Message = dict[str, Any]
# A message holds 50 blocks; each item takes two (text + buttons) besides header and footer.
NUDGE_MAX_ITEMS = 20
LIST_MAX_ITEMS = 15


def item_value(item: ActionItem) -> str:
    """`"<action_item_id>"`: the nudge buttons act on one item, whoever's nudge it was in."""
    return str(item.id)


def parse_item_value(value: str) -> int:
    if as_id(value) is None:
        raise PostmortemError("I could not tell which action item this button is for.")
    return as_id(value) or 0


def follow_up_value(pm_id: int, reminder_id: int) -> str:
    """`"<postmortem_id>:<reminder_id>"`: the answer is stored on that follow-up row."""
    return f"{pm_id}:{reminder_id}"


def parse_follow_up_value(value: str) -> tuple[int, int]:
    pm_id, _, reminder_id = value.partition(":")
    found = as_id(pm_id), as_id(reminder_id)
    if found[0] is None or found[1] is None:
        raise PostmortemError("I could not tell which check-in this answer is for.")
    return found[0], found[1]


def _pm_line(pm: Postmortem, incident: Incident, permalink: str | None) -> str:
    title = bk.escape(f"{incident.reference}: {incident.title}")
    if permalink:
        return f"<{permalink}|{title}>"
    where = f" in <#{pm.channel_id}>" if pm.channel_id else ""
    return f"*{title}*{where}"


def _left(due_at: datetime, now: datetime) -> str:
    minutes = int((due_at - now).total_seconds() // 60)
    word = "left" if minutes >= 0 else "overdue"
    minutes = abs(minutes)
    if minutes >= 48 * 60:
        return f"{minutes // (24 * 60)} days {word}"
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60:02d} min {word}"
    return f"{minutes} min {word}"


def build_deadline_reminder(
    pm: Postmortem, incident: Incident, *, now: datetime, permalink: str | None = None
) -> Message:
    """DM to the owner before the deadline."""
    assert pm.due_at is not None
    left = _left(pm.due_at, now)
    reference = bk.escape(incident.reference)
    text = f"Post-mortem for {reference} is due {pm.due_at:%Y-%m-%d %H:%M} UTC ({left})"
    blocks = [
        bk.section(
            f":hourglass_flowing_sand: The post-mortem {_pm_line(pm, incident, permalink)} "
            f"is due {bk.slack_date(pm.due_at)} — *{left}*."
        ),
        bk.context("You own it. Open the thread to fill in the missing sections."),
    ]
    return {"text": text, "blocks": blocks}


def build_escalation(
    pm: Postmortem,
    incident: Incident,
    *,
    stage: int,
    now: datetime,
    permalink: str | None = None,
) -> Message:
    """Stage 1: to the facilitator and reviewers; later stages: to the announce channel."""
    assert pm.due_at is not None
    late = _left(pm.due_at, now)
    text = f"Post-mortem for {bk.escape(incident.reference)} is past its deadline ({late})"
    ask = (
        "Can you help the owner finish it, or agree a new deadline?"
        if stage == 1
        else "It is still not published. Who can help?"
    )
    blocks = [
        bk.section(
            f":rotating_light: The post-mortem {_pm_line(pm, incident, permalink)} "
            f"(owner {bk.user(pm.owner_id)}) was due {bk.slack_date(pm.due_at)} — *{late}*."
        ),
        bk.context(ask),
    ]
    return {"text": text, "blocks": blocks}


def _item_line(item: ActionItem, pm: Postmortem, incident: Incident, today: date) -> str:
    due = f"due {item.due_on:%Y-%m-%d}" if item.due_on else "no due date"
    if is_overdue(item, today):
        assert item.due_on is not None
        due = f":warning: *overdue* since {item.due_on:%Y-%m-%d}"
    state = " · in progress" if item.status == "in_progress" else ""
    return (
        f"*AI-{item.number}* {bk.escape(item.title)}\n"
        f"{bk.escape(incident.reference)}: {bk.escape(incident.title)} · {item.priority} · "
        f"{due}{state}"
    )


def _item_buttons(item: ActionItem) -> bk.Block:
    value = item_value(item)
    return bk.actions(
        [
            bk.button("Done", Action.NUDGE_DONE, value, style="primary"),
            bk.button("In progress", Action.NUDGE_PROGRESS, value),
            bk.button("Snooze a week", Action.NUDGE_SNOOZE, value),
            bk.button("Change due date", Action.NUDGE_DUE, value),
        ],
        block_id=f"{ActionItemBlock.NUDGE_ACTIONS}{item.id}",
    )


def build_nudge(
    owner_id: str, items: Sequence[tuple[ActionItem, Postmortem, Incident]], *, today: date
) -> Message:
    """The weekly DM: every open item the owner has, across post-mortems, overdue first."""
    ordered = sorted(items, key=lambda row: nudge_order(row[0], today))
    overdue = sum(1 for a, _, _ in ordered if is_overdue(a, today))
    count = f"{len(ordered)} open post-mortem action item{'s' if len(ordered) != 1 else ''}"
    text = f"You have {count}" + (f", {overdue} overdue" if overdue else "")
    blocks: list[bk.Block] = [bk.section(f":clipboard: {text}.")]
    for item, pm, incident in ordered[:NUDGE_MAX_ITEMS]:
        blocks.append(
            bk.section(_item_line(item, pm, incident, today),
                       block_id=f"{ActionItemBlock.NUDGE_ITEM}{item.id}")
        )
        blocks.append(_item_buttons(item))
    more = len(ordered) - NUDGE_MAX_ITEMS
    footer = "Snoozed items come back next week."
    if more > 0:
        footer = f"…and {more} more. " + footer
    blocks.append(bk.context(footer))
    return {"text": text, "blocks": blocks}


def build_follow_up(
    pm: Postmortem,
    incident: Incident,
    items: Sequence[ActionItem],
    *,
    scope: str,
    days: int,
    reminder_id: int,
    permalink: str | None = None,
) -> Message:
    """A check-in after publishing; the recurrence one asks a question with two buttons."""
    assert pm.id is not None
    done = sum(1 for a in items if a.status == "done")
    head = f"Day-{days} check-in on {_pm_line(pm, incident, permalink)}"
    text = f"Day-{days} check-in on the post-mortem for {bk.escape(incident.reference)}"
    blocks: list[bk.Block] = [bk.section(f":calendar: {head}: {done}/{len(items)} items done.")]
    open_items = [a for a in items if a.status in ("open", "in_progress")]
    if open_items:
        lines = [
            f"• AI-{a.number} {bk.escape(a.title)} — {bk.user(a.owner_id)}"
            + (f", due {a.due_on:%Y-%m-%d}" if a.due_on else "")
            for a in open_items[:LIST_MAX_ITEMS]
        ]
        blocks.append(bk.section("*Still open*\n" + "\n".join(lines)))
    if scope == RECURRENCE:
        value = follow_up_value(pm.id, reminder_id)
        blocks.append(
            bk.section("*Did this incident, or one with the same root cause, happen again?*")
        )
        blocks.append(
            bk.actions(
                [
                    bk.button("It happened again", Action.FOLLOWUP_RECURRED, value, style="danger"),
                    bk.button(
                        "No recurrence", Action.FOLLOWUP_NO_RECURRENCE, value, style="primary"
                    ),
                ],
                block_id=f"{ActionItemBlock.FOLLOW_UP_ANSWER}{reminder_id}",
            )
        )
        text += ": did it happen again?"
    elif open_items:
        blocks.append(bk.context("Blocked? Say so in the thread so it can be escalated."))
    return {"text": text, "blocks": blocks}


def build_digest(
    items: Sequence[tuple[ActionItem, Postmortem, Incident]], *, first: date, last: date
) -> Message:
    """The channel digest: "N post-mortem action items due this week"."""
    n = len(items)
    text = f"{n} post-mortem action item{'s' if n != 1 else ''} due this week"
    lines = [
        f"• {item.due_on:%a %d %b} — AI-{item.number} {bk.escape(item.title)} "
        f"({bk.escape(incident.reference)}) — {bk.user(item.owner_id)}"
        for item, _, incident in items[:LIST_MAX_ITEMS]
    ]
    if n > LIST_MAX_ITEMS:
        lines.append(f"…and {n - LIST_MAX_ITEMS} more")
    blocks = [
        bk.section(f":spiral_calendar_pad: *{text}* ({first:%d %b}–{last:%d %b})"),
        bk.section("\n".join(lines)),
    ]
    return {"text": text, "blocks": blocks}


def build_rollup(
    manager_id: str, items: Sequence[tuple[ActionItem, Postmortem, Incident]], *, today: date,
    after_days: int,
) -> Message:
    """The weekly DM to an engineering manager: their reports' items overdue `after_days` or
    more, by owner, each linked to its issue (or else to its post-mortem)."""
    n = len(items)
    text = (f"{n} post-mortem action item{'s' if n != 1 else ''} of your reports "
            f"{'are' if n != 1 else 'is'} overdue by {after_days} days or more")
    by_owner: dict[str, list[tuple[ActionItem, Postmortem, Incident]]] = {}
    for row in items:
        by_owner.setdefault(row[0].owner_id or "", []).append(row)
    blocks: list[bk.Block] = [bk.section(f":rotating_light: {bk.user(manager_id)}: {text}.")]
    shown = 0
    for owner, rows in by_owner.items():
        if shown >= LIST_MAX_ITEMS:
            break
        lines = [_rollup_line(item, pm, incident, today)
                 for item, pm, incident in rows[:LIST_MAX_ITEMS - shown]]
        shown += len(lines)
        blocks.append(bk.section(bk.clip(f"*{bk.user(owner)}*\n" + "\n".join(lines))))
    footer = "Their owners get these in their weekly nudge too. A new due date, or won't do " \
             "with a reason, is a fair answer."
    if n > shown:
        footer = f"…and {n - shown} more. " + footer
    blocks.append(bk.context(footer))
    return {"text": text, "blocks": blocks}


def _rollup_line(item: ActionItem, pm: Postmortem, incident: Incident, today: date) -> str:
    assert item.due_on is not None
    late = (today - item.due_on).days
    where = item.tracker_url or place_link(pm.archive_url, pm.channel_id, pm.team_id)
    label = link(where, f"AI-{item.number} {bk.escape(bk.clip(item.title, 150))}")
    return (f"• {label} ({bk.escape(incident.reference)}, {item.priority}) — due "
            f"{item.due_on:%Y-%m-%d}, *{late} days overdue*")
