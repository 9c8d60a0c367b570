"""views.* methods plus the modal stack behaviour shared with simulated user actions."""

from __future__ import annotations

import copy
import json
from typing import Any

from slack_emulator.rules import hash_error, push_error, trigger_error, view_rejection
from slack_emulator.state import EmulatorState, Reply, fail, ok
from slack_emulator.workspace import Workspace

Args = dict[str, Any]
# "view_too_large: Error returned if the provided view is greater than 250kb."
VIEW_MAX_BYTES = 250_000


def _check_view(ws: Workspace, view: Any, keep_id: str | None = None) -> Reply | None:
    rejection = view_rejection(view)
    if rejection is not None:
        return Reply(rejection.body())
    if len(json.dumps(view).encode()) > VIEW_MAX_BYTES:
        return fail("view_too_large")
    external_id = view.get("external_id")
    st = ws.st
    if external_id and any(
        v.get("external_id") == external_id
        and v.get("team_id") == ws.team_id
        and vid != keep_id
        and vid not in st.closed_views
        for vid, v in st.views.items()
    ):
        return fail("duplicate_external_id")
    return None


def _consume_trigger(ws: Workspace, trigger_id: Any) -> str | Reply | None:
    """Returns the view the trigger came from (None for message/command triggers) or an error."""
    st = ws.st
    trigger = st.triggers.get(trigger_id) if isinstance(trigger_id, str) else None
    if trigger is not None and trigger.team_id not in (None, ws.team_id):
        # A trigger Slack sent for another workspace means nothing to this token.
        trigger = None
    error = trigger_error(
        trigger.issued_at if trigger else None,
        trigger.used if trigger else False,
        st.clock(),
        st.trigger_ttl,
    )
    if error is not None:
        return fail(error)
    assert trigger is not None
    trigger.used = True
    return trigger.view_id


def _store(
    ws: Workspace, view: dict[str, Any], view_id: str, root: str | None, previous: str | None,
    state: dict[str, Any] | None = None,
) -> dict[str, Any]:
    st = ws.st
    stored = copy.deepcopy(view)
    stored.update(
        id=view_id,
        team_id=ws.team_id,
        app_id=st.app_id,
        bot_id=ws.bot_id,
        app_installed_team_id=ws.team_id,
        hash=st.new_hash(),
        root_view_id=root,
        previous_view_id=previous,
        state=drawn_state(view, state),
    )
    for key, default in (
        ("private_metadata", ""),
        ("callback_id", ""),
        ("external_id", ""),
        ("clear_on_close", False),
        ("notify_on_close", False),
        ("submit", None),
        ("close", None),
    ):
        stored.setdefault(key, default)
    st.views[view_id] = stored
    st.changed.notify_all()
    return stored


def open_view(ws: Workspace, args: Args) -> Reply:
    view = args.get("view")
    problem = _check_view(ws, view)
    if problem is not None:
        return problem
    if view.get("type") != "modal":
        return fail("invalid_arguments")
    source = _consume_trigger(ws, args.get("trigger_id"))
    if isinstance(source, Reply):
        return source
    view_id = ws.st.new_id("V")
    stored = _store(ws, view, view_id, view_id, None)
    ws.st.stacks[view_id] = [view_id]
    return ok(view=copy.deepcopy(stored))


def _target(ws: Workspace, args: Args) -> str | Reply:
    st = ws.st
    view_id, external_id = args.get("view_id"), args.get("external_id")
    if not view_id and not external_id:
        return fail("invalid_arguments")
    if not view_id:
        view_id = next(
            (
                vid
                for vid, v in st.views.items()
                if v.get("external_id") == external_id and ws.owns_view(vid)
            ),
            None,
        )
    if not ws.owns_view(view_id) or view_id in st.closed_views:
        return fail("not_found")
    return str(view_id)


def replace_view(ws: Workspace, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
    current = ws.st.views[view_id]
    return _store(ws, view, view_id, current.get("root_view_id"), current.get("previous_view_id"),
                  state=kept_input(current.get("state"), view))


# Where an input element keeps its initial value, and where its state reports it.
_INITIAL = {
    "initial_value": "value", "initial_option": "selected_option",
    "initial_options": "selected_options", "initial_user": "selected_user",
    "initial_users": "selected_users", "initial_conversation": "selected_conversation",
    "initial_conversations": "selected_conversations", "initial_channel": "selected_channel",
    "initial_channels": "selected_channels", "initial_date": "selected_date",
    "initial_time": "selected_time", "initial_date_time": "selected_date_time",
}


def drawn_state(view: dict[str, Any], kept: dict[str, Any] | None) -> dict[str, Any]:
    """The state of a newly drawn view: what the user's input kept (an update), and every
    other input's initial value, which a submission reports even when nobody touched it."""
    values = copy.deepcopy((kept or {}).get("values") or {})
    for block in view.get("blocks") or []:
        element = block.get("element") if isinstance(block, dict) else None
        if block.get("type") != "input" or not isinstance(element, dict):
            continue
        action_id = element.get("action_id")
        if action_id in values.get(block.get("block_id"), {}):
            continue
        for initial, reported in _INITIAL.items():
            if initial in element:
                values.setdefault(block.get("block_id"), {})[action_id] = {
                    "type": element.get("type"), reported: copy.deepcopy(element[initial])}
    return {"values": values}


def kept_input(state: dict[str, Any] | None, view: dict[str, Any]) -> dict[str, Any]:
    """What the user entered stays in each input whose block_id and action_id the new view
    repeats ("preserving input entry", views.update and response_action update alike); every
    other input starts as the new view draws it."""
    inputs = {
        (b.get("block_id"), b["element"].get("action_id"))
        for b in view.get("blocks") or []
        if isinstance(b, dict) and b.get("type") == "input" and isinstance(b.get("element"), dict)
    }
    kept: dict[str, Any] = {}
    for block_id, actions in ((state or {}).get("values") or {}).items():
        for action_id, entry in actions.items():
            if (block_id, action_id) in inputs:
                kept.setdefault(block_id, {})[action_id] = copy.deepcopy(entry)
    return {"values": kept}


def update_view(ws: Workspace, args: Args) -> Reply:
    target = _target(ws, args)
    if isinstance(target, Reply):
        return target
    error = hash_error(args.get("hash"), ws.st.views[target].get("hash"))
    if error is not None:
        return fail(error)
    view = args.get("view")
    problem = _check_view(ws, view, keep_id=target)
    if problem is not None:
        return problem
    return ok(view=copy.deepcopy(replace_view(ws, target, view)))


def push_onto(ws: Workspace, below: str, view: dict[str, Any]) -> Reply:
    stack = ws.st.stack_of(below)
    if stack is None:
        return fail("not_found")
    error = push_error(len(stack))
    if error is not None:
        return fail(error)
    view_id = ws.st.new_id("V")
    stored = _store(ws, view, view_id, stack[0], stack[-1])
    stack.append(view_id)
    return ok(view=copy.deepcopy(stored))


def push_view(ws: Workspace, args: Args) -> Reply:
    view = args.get("view")
    problem = _check_view(ws, view)
    if problem is not None:
        return problem
    source = _consume_trigger(ws, args.get("trigger_id"))
    if isinstance(source, Reply):
        return source
    if source is None:
        # A trigger from outside a modal: push onto the most recently opened modal, if any.
        roots = [root for root in ws.st.stacks if ws.owns_view(root)]
        if not roots:
            return fail("not_found")
        source = roots[-1]
    return push_onto(ws, source, view)


def publish_view(ws: Workspace, args: Args) -> Reply:
    """views.publish: one home tab per user, replaced wholesale (hash guards races)."""
    user_id = args.get("user_id")
    if (
        not isinstance(user_id, str)
        or not user_id
        or (ws.st.strict_channels and user_id not in ws.users)
    ):
        return Reply(
            {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": ["invalid `user_id`"]},
            }
        )
    if not ws.st.app.home_tab_enabled:
        return fail("not_enabled")
    view = args.get("view")
    view_id = ws.home_views.get(user_id)
    problem = _check_view(ws, view, keep_id=view_id)
    if problem is not None:
        return problem
    if view.get("type") != "home":
        return Reply(
            {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {
                    "messages": ["[ERROR] must be home [json-pointer:/view/type]"]
                },
            }
        )
    if view_id is not None:
        error = hash_error(args.get("hash"), ws.st.views[view_id].get("hash"))
        if error is not None:
            return fail(error)
    else:
        view_id = ws.st.new_id("V")
        ws.home_views[user_id] = view_id
    return ok(view=copy.deepcopy(_store(ws, view, view_id, view_id, None)))


def _input_block_ids(view: dict[str, Any]) -> set[str]:
    return {
        b.get("block_id", "")
        for b in view.get("blocks", [])
        if isinstance(b, dict) and b.get("type") == "input"
    }


def apply_response_action(st: EmulatorState, view_id: str, body: dict[str, Any]) -> Reply:
    """What Slack does with the bot's ack body to a view_submission."""
    action = body.get("response_action")
    if view_id not in st.views or view_id in st.closed_views:
        return fail("not_found")
    ws = st.team(st.views[view_id].get("team_id"))
    if action in (None, ""):
        return ok(closed=st.close_view(view_id))
    if action == "clear":
        root = st.views[view_id].get("root_view_id") or view_id
        return ok(closed=st.close_view(root))
    if action == "errors":
        errors = body.get("errors")
        if not isinstance(errors, dict) or not errors:
            return fail("invalid_arguments")
        unknown = sorted(set(errors) - _input_block_ids(st.views[view_id]))
        if unknown:
            # Slack silently drops these, so the user never sees the message: a real bug.
            return fail("invalid_arguments", unknown_block_ids=unknown)
        return ok()
    view = body.get("view")
    problem = _check_view(ws, view, keep_id=view_id if action == "update" else None)
    if problem is not None:
        return problem
    if action == "update":
        return ok(view=copy.deepcopy(replace_view(ws, view_id, view)))
    if action == "push":
        return push_onto(ws, view_id, view)
    return fail("invalid_arguments")
