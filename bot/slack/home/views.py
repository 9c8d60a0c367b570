"""The App Home view: the viewer's own work, then the tracker. Pure builder; user text escaped.

Within Slack's limits by construction: at most `ITEMS_SHOWN` items (two blocks each),
`OWED_SHOWN` post-mortems and `PAGE_SIZE` tracker rows (one block each), about 60 blocks of
the 100 a Home tab holds; every text is clipped to 3000 characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.slack import blocks as bk
from bot.slack.home.rows import row_text
from bot.slack.home.state import ANY, SEVERITIES, STATUSES, HomeState, option_value
from bot.slack.ids import Action, HomeBlock
from bot.slack.reminders.dm_views import status_value
from bot.slack.reminders.views import item_value
from flows import action_items as ai
from flows.lifecycle import STATUS_LABELS
from flows.reminders.plan import is_overdue, nudge_order
from flows.tracker_rows import TrackerRow
from storage.tables import ActionItem, Incident, Postmortem

PAGE_SIZE = 20
ITEMS_SHOWN = 10
OWED_SHOWN = 5
SERVICES_OFFERED = 99  # a static select holds 100 options, "any" is one


@dataclass
class HomeData:
    user_id: str
    now: datetime
    state: HomeState
    # The first few of the viewer's open items (earliest due first) and post-mortems owed,
    # with how many there are in all.
    items: Sequence[tuple[ActionItem, Postmortem, Incident]] = ()
    items_total: int = 0
    items_overdue: int = 0
    owed: Sequence[tuple[Postmortem, Incident]] = ()
    owed_total: int = 0
    rows: Sequence[TrackerRow] = ()
    total: int = 0
    services: Sequence[str] = ()
    teams: Sequence[str] = field(default_factory=list)
    # What the viewer's last click did, said at the top (the bot's own words).
    note: str | None = None


def build_home(data: HomeData) -> dict[str, Any]:
    blocks = [*_your_work(data), bk.divider(), *_tracker(data)]
    if data.note:
        blocks.insert(0, bk.context(data.note))
    return {"type": "home", "blocks": blocks, "private_metadata": data.state.dump()}


# ---- your work ------------------------------------------------------------------------------


def _your_work(data: HomeData) -> list[bk.Block]:
    blocks: list[bk.Block] = [bk.header("Your post-mortem work")]
    blocks += _owed(data.owed, data.owed_total, data.now)
    blocks += _items(data, data.now.date())
    return blocks


def _owed(
    owed: Sequence[tuple[Postmortem, Incident]], total: int, now: datetime
) -> list[bk.Block]:
    if not owed:
        return [bk.section(":white_check_mark: No post-mortem waits for you to write it.")]
    blocks = [bk.section(f"*Post-mortems you owe* ({total})")]
    for pm, incident in owed[:OWED_SHOWN]:
        blocks.append(bk.section(_owed_line(pm, incident, now),
                                 block_id=f"{HomeBlock.OWED}{pm.id}"))
    if total > OWED_SHOWN:
        blocks.append(bk.context(f"…and {total - OWED_SHOWN} more: `/postmortem list mine`."))
    return blocks


def _owed_line(pm: Postmortem, incident: Incident, now: datetime) -> str:
    where = f" in <#{pm.channel_id}>" if pm.channel_id else ""
    due = ""
    if pm.due_at:
        late = " :rotating_light: *overdue*" if pm.due_at < now else ""
        due = f" · due {bk.slack_date(pm.due_at)}{late}"
    title = bk.escape(bk.clip(f"{incident.reference}: {incident.title}", 300))
    return f"*#{pm.id}* {title}{where} · {STATUS_LABELS.get(pm.status, pm.status)}{due}"


def _items(data: HomeData, today: date) -> list[bk.Block]:
    if not data.items:
        return [bk.section(":tada: No open action items are yours.")]
    ordered = sorted(data.items, key=lambda row: nudge_order(row[0], today))
    total, overdue = data.items_total, data.items_overdue
    head = f"*Your open action items* ({total}" + (f", {overdue} overdue)" if overdue else ")")
    blocks = [bk.section(head)]
    for item, _pm, incident in ordered[:ITEMS_SHOWN]:
        blocks.append(bk.section(_item_line(item, incident, today),
                                 block_id=f"{HomeBlock.ITEM}{item.id}"))
        blocks.append(_item_buttons(item))
    if total > ITEMS_SHOWN:
        blocks.append(bk.context(f"…and {total - ITEMS_SHOWN} more, due later: "
                                 "the weekly nudge lists them all."))
    return blocks


def _item_line(item: ActionItem, incident: Incident, today: date) -> str:
    due = f"due {item.due_on:%Y-%m-%d}" if item.due_on else "no due date"
    if is_overdue(item, today):
        due = f":warning: *overdue* since {item.due_on:%Y-%m-%d}"
    state = " · in progress" if item.status == ai.IN_PROGRESS else ""
    title = bk.escape(bk.clip(item.title, 1500))
    where = bk.escape(bk.clip(f"{incident.reference}: {incident.title}", 300))
    return f"*{ai.label(item)}* {title}\n{where} · {item.priority} · {due}{state}"


def _item_buttons(item: ActionItem) -> bk.Block:
    """The weekly nudge's buttons and the assignment DM's "won't do": the same action ids and
    values, so the same listeners answer them here."""
    value = item_value(item)
    buttons = [bk.button("Done", Action.NUDGE_DONE, value, style="primary")]
    if item.status == ai.OPEN:
        buttons.append(bk.button("In progress", Action.NUDGE_PROGRESS, value))
    buttons += [
        bk.button("Snooze a week", Action.NUDGE_SNOOZE, value),
        bk.button("Change due date", Action.NUDGE_DUE, value),
        bk.button("Won't do", Action.ACTION_ITEM_STATUS, status_value(item, ai.WONT_DO)),
    ]
    return bk.actions(buttons, block_id=f"{HomeBlock.ITEM_ACTIONS}{item.id}")


# ---- the tracker ----------------------------------------------------------------------------


def _tracker(data: HomeData) -> list[bk.Block]:
    state = data.state
    blocks: list[bk.Block] = [bk.header("Post-mortem tracker"), _filters(data)]
    if not data.rows:
        word = "match these filters" if state.filtered else "yet"
        blocks.append(bk.section(f"No post-mortems {word}."))
        return blocks
    blocks += [bk.section(row_text(row), block_id=f"{HomeBlock.ROW}{row.pm_id}")
               for row in data.rows]
    first = state.page * PAGE_SIZE + 1
    last = first + len(data.rows) - 1
    blocks.append(bk.context(f"Post-mortems {first}–{last} of {data.total:,}, newest incident "
                             "first. `/postmortem status ID` for one, `/postmortem metrics` "
                             "for the numbers."))
    pager = _pager(state.page, last < data.total)
    if pager:
        blocks.append(pager)
    return blocks


def _select(action_id: str, name: str, placeholder: str, choices: list[tuple[str, str]],
            chosen: str) -> dict[str, Any]:
    options = [bk.option(text, option_value(name, value)) for text, value in choices]
    element: dict[str, Any] = {"type": "static_select", "action_id": action_id,
                               "placeholder": bk.plain(placeholder), "options": options}
    initial = [o for o in options if o["value"] == option_value(name, chosen)]
    if initial:
        element["initial_option"] = initial[0]
    return element


def _filters(data: HomeData) -> bk.Block:
    state = data.state
    services = list(data.services[:SERVICES_OFFERED])
    if state.service != ANY and state.service not in services:
        services = [state.service, *services[:SERVICES_OFFERED - 1]]
    elements = [
        _select(Action.HOME_STATUS, "status", "Status", list(
            (label, key) for key, label in STATUSES.items()), state.status),
        _select(Action.HOME_SEVERITY, "severity", "Severity",
                [("Any severity", ANY), *((f"SEV{s}", str(s)) for s in SEVERITIES)],
                state.severity),
        _select(Action.HOME_SERVICE, "service", "Service",
                [("Any service", ANY), *((s, s) for s in services)], state.service),
    ]
    # Only a scope that spans workspaces has a team to choose.
    if len(data.teams) > 1:
        elements.append(_select(Action.HOME_TEAM, "team", "Team",
                                [("Any team", ANY), *((t, t) for t in data.teams)], state.team))
    if state.filtered:
        elements.append(bk.button("Clear filters", Action.HOME_CLEAR, "clear"))
    return bk.actions(elements, block_id=HomeBlock.FILTERS)


def _pager(page: int, more: bool) -> bk.Block | None:
    buttons = []
    if page > 0:
        buttons.append(bk.button("← Newer", Action.HOME_PAGE, f"page:{page - 1}"))
    if more:
        buttons.append(bk.button("Older →", Action.HOME_PAGE, f"page:{page + 1}"))
    return bk.actions(buttons, block_id=HomeBlock.PAGER) if buttons else None
