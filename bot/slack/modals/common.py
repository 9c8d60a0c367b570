"""What every section modal does the same way: find the post-mortem, check who is asking,
save in one transaction with an audit event, then tell the thread and refresh the control
message."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from slack_sdk import WebClient
from sqlmodel import Session

from bot.deps import Deps
from bot.slack.messages import note_in_thread, refresh_control_message
from bot.slack.meta import meta_of
from bot.slack.people import is_channel_member
from flows.errors import NotAllowed, PostmortemError
from flows.permissions import can_edit
from storage.db import session_scope
from storage.queries import audit, keys, postmortems
from storage.record import PostmortemRecord
from storage.tables import Postmortem

T = TypeVar("T")


def action_pm_id(body: dict[str, Any]) -> int:
    """The post-mortem a button belongs to: its value, or the modal's metadata."""
    action = (body.get("actions") or [{}])[0]
    value = action.get("value") or (action.get("selected_option") or {}).get("value")
    if value and str(value).split(":")[0].isdigit():
        return int(str(value).split(":")[0])
    pm_id = meta_of(body).pm_id
    if pm_id is None:
        raise PostmortemError("I could not tell which post-mortem this is for.")
    return pm_id


def load_record(deps: Deps, pm_id: int) -> PostmortemRecord:
    with session_scope(deps.sessions) as session:
        return postmortems.load_record(session, pm_id=pm_id)


def require_participant(client: WebClient, pm: Postmortem, user_id: str) -> None:
    """Adding timeline entries and learnings is open to the incident channel."""
    if can_edit(pm, user_id):
        return
    if pm.channel_id and is_channel_member(client, pm.channel_id, user_id):
        return
    raise NotAllowed("Only people in the incident channel can add to this post-mortem.")


@contextmanager
def change(
    deps: Deps,
    pm_id: int,
    actor_id: str,
    kind: str,
    summary: str,
    detail: dict[str, Any] | None = None,
) -> Iterator[Session]:
    """A unit of work on one post-mortem that leaves an audit event and bumps `updated_at`."""
    with session_scope(deps.sessions) as session:
        yield session
        pm = postmortems.get_postmortem(session, pm_id=pm_id)
        pm.updated_at = deps.now()
        session.add(pm)
        audit.add_event(
            session,
            pm_id=pm_id,
            actor_id=actor_id,
            at=deps.now(),
            kind=kind,
            summary=summary,
            detail=detail,
        )


def announce(deps: Deps, client: WebClient, pm_id: int, actor_id: str, summary: str) -> None:
    """Thread note ("@user added 3 timeline entries") and the control message refreshed."""
    note_in_thread(deps, client, pm_id, f"<@{actor_id}> {summary}")
    refresh_control_message(deps, client, pm_id)


def open_view(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Open from a message, push when the click came from inside a modal."""
    if body.get("view") and body.get("container", {}).get("type") == "view":
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def once(deps: Deps, body: dict[str, Any]) -> bool:
    """False for a second delivery of the same submission (a double click)."""
    view = body.get("view") or {}
    key = f"view:{view.get('id')}:{view.get('hash', '')}"
    with session_scope(deps.sessions) as session:
        return keys.claim_key(session, key=key, now=deps.now())


def run(deps: Deps, fn: Callable[[Session], T]) -> T:
    with session_scope(deps.sessions) as session:
        return fn(session)
