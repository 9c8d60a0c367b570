"""Learnings: went well, went poorly, where we got lucky, surprises, and lessons (technical,
process, culture). Lists: each line the user types becomes its own entry."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.slack import blocks as bk
from bot.slack.forms import text, view_values
from bot.slack.ids import Action, Callback
from bot.slack.meta import Meta, meta_of
from bot.slack.modals.common import (
    action_pm_id,
    announce,
    change,
    load_record,
    once,
    open_view,
    require_participant,
)
from flows.errors import FieldErrors, NotFound
from flows.learnings import LEARNING_KINDS
from flows.permissions import require_editor_or_creator
from storage.queries import postmortems
from storage.record import PostmortemRecord
from storage.tables import Learning

KIND = "pm.learning.kind"
ITEMS = "pm.learning.items"
MAX_LISTED = 60  # keeps the modal well under Slack's 100 blocks with headers


def build_learnings_modal(record: PostmortemRecord, kind: str = "went_well") -> dict[str, Any]:
    blocks: list[bk.Block] = [
        bk.select(
            KIND,
            "Which list",
            [(label, key) for key, label in LEARNING_KINDS.items()],
            initial=kind,
        ),
        bk.text_input(
            ITEMS,
            "Entries",
            multiline=True,
            optional=True,
            hint="One per line; each line becomes its own entry. Be specific.",
            placeholder="Alert fired within 2 minutes of the error spike",
        ),
    ]
    listed = 0
    for key, label in LEARNING_KINDS.items():
        items = record.learnings_of(key)
        if not items:
            continue
        blocks.append(bk.header(label))
        for item in items:
            if listed >= MAX_LISTED:
                break
            listed += 1
            blocks.append(
                bk.section(
                    f"• {bk.escape(item.text)}",
                    accessory=bk.button("Delete", Action.LEARNING_DELETE, f"{record.id}:{item.id}"),
                )
            )
    if listed < len(record.learnings):
        blocks.append(bk.context(f"_{len(record.learnings) - listed} more not shown._"))
    return bk.modal(
        "Learnings",
        blocks,
        callback_id=Callback.LEARNINGS,
        submit="Add",
        private_metadata=Meta(pm_id=record.id).dump(),
    )


def register(app: App, deps: Deps) -> None:
    @app.action(Action.OPEN_LEARNINGS)
    def handle_open_learnings(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        record = load_record(deps, action_pm_id(body))
        require_participant(client, record.postmortem, body["user"]["id"])
        open_view(client, body, build_learnings_modal(record))

    @app.view(Callback.LEARNINGS)
    def handle_learnings_submission(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        user_id = body["user"]["id"]
        pm_id = meta_of(body).pm_id
        assert pm_id is not None
        values = view_values(body["view"])
        kind = values.get(KIND)
        if kind not in LEARNING_KINDS:
            raise FieldErrors({KIND: "Pick which list these entries belong to."})
        entries = [line.strip(" •-*\t") for line in text(values, ITEMS).splitlines()]
        entries = [e for e in entries if e]
        if not entries:
            raise FieldErrors({ITEMS: "Type at least one entry (one per line)."})
        record = load_record(deps, pm_id)
        require_participant(client, record.postmortem, user_id)
        if not once(deps, body):
            ack()
            return
        label = LEARNING_KINDS[kind]
        with change(
            deps, pm_id, user_id, "learnings", f"added {len(entries)} to {label}"
        ) as session:
            for entry in entries:
                session.add(
                    Learning(
                        postmortem_id=pm_id,
                        kind=kind,
                        text=entry,
                        created_by=user_id,
                        created_at=deps.now(),
                    )
                )
        ack(response_action="update", view=build_learnings_modal(load_record(deps, pm_id), kind))
        noun = "entry" if len(entries) == 1 else "entries"
        announce(deps, client, pm_id, user_id, f"added {len(entries)} {noun} to “{label}”")

    @app.action(Action.LEARNING_DELETE)
    def handle_learning_delete(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        pm_id = action_pm_id(body)
        learning_id = int(body["actions"][0]["value"].split(":")[1])
        with change(deps, pm_id, user_id, "learning_deleted", "deleted a learning") as session:
            pm = postmortems.get_postmortem(session, pm_id=pm_id)
            learning = session.get(Learning, learning_id)
            if learning is None or learning.postmortem_id != pm_id:
                raise NotFound("That entry was already deleted.")
            require_editor_or_creator(pm, user_id, learning.created_by, "delete others' entries")
            deleted = learning.text
            session.delete(learning)
        view = body["view"]
        client.views_update(
            view_id=view["id"],
            hash=view.get("hash"),
            view=build_learnings_modal(load_record(deps, pm_id)),
        )
        announce(deps, client, pm_id, user_id, f"deleted a learning: “{bk.escape(deleted[:200])}”")
