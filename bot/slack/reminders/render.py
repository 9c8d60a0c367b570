"""A due reminder (flows.reminders.due.Due) as the Slack message that says it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.slack import blocks as bk
from bot.slack.reminders import views
from flows.reminders.due import Due
from storage.kinds import DEADLINE, DIGEST, ESCALATION, FOLLOW_UP, NUDGE, ROLLUP


def render_due(
    due: Due, *, reminder_id: int, now: datetime, permalink: str | None
) -> dict[str, Any]:
    pm, incident = due.postmortem, due.incident
    if due.kind == DEADLINE:
        assert pm and incident
        return views.build_deadline_reminder(pm, incident, now=now, permalink=permalink)
    if due.kind == ESCALATION:
        assert pm and incident
        message = views.build_escalation(pm, incident, stage=due.stage, now=now,
                                         permalink=permalink)
        if due.mentions:
            mentions = " ".join(bk.user(u) for u in due.mentions)
            message["blocks"] = [bk.section(mentions), *message["blocks"]]
        return message
    if due.kind == FOLLOW_UP:
        assert pm and incident
        return views.build_follow_up(pm, incident, due.items, scope=due.scope, days=due.days,
                                     reminder_id=reminder_id, permalink=permalink)
    if due.kind == NUDGE:
        assert due.nudge is not None
        return views.build_nudge(due.nudge.owner_id, due.nudge.items, today=due.nudge.today)
    if due.kind == DIGEST:
        assert due.week is not None
        return views.build_digest(due.rows, first=due.week[0], last=due.week[1])
    if due.kind == ROLLUP:
        assert due.rollup is not None
        r = due.rollup
        return views.build_rollup(r.manager_id, r.rows, today=r.today, after_days=r.after_days)
    raise ValueError(f"no message for reminder kind {due.kind!r}")
