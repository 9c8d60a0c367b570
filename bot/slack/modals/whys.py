"""5 Whys: each answer becomes the next "why"; then the systemic root cause, the what / why /
how narrative and the contributing factors."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import select

from bot.deps import Deps
from bot.slack import blocks as bk
from bot.slack.forms import text, view_values
from bot.slack.ids import Action, Callback
from bot.slack.meta import Meta, meta_of
from bot.slack.modals.common import action_pm_id, announce, change, load_record, once, open_view
from flows.errors import FieldErrors, NotFound
from flows.permissions import require_editor
from flows.whys import FACTOR_CATEGORIES, FACTOR_SEVERITIES, MIN_WHYS, next_question
from storage.queries import postmortems
from storage.record import PostmortemRecord
from storage.tables import ContributingFactor, Why

ANSWER = "pm.whys.answer"
ROOT_CAUSE = "pm.whys.root_cause"
CAUSE_WHAT = "pm.whys.what"
CAUSE_WHY = "pm.whys.why"
CAUSE_HOW = "pm.whys.how"
FACTOR_TEXT = "pm.factor.text"
FACTOR_CATEGORY = "pm.factor.category"
FACTOR_SEVERITY = "pm.factor.severity"
MAX_SHOWN_WHYS = 30
MAX_FACTORS = 20  # with 30 whys and the inputs, stays under Slack's 100 blocks


def build_whys_modal(record: PostmortemRecord) -> dict[str, Any]:
    pm = record.postmortem
    whys = record.whys
    shown = whys[-MAX_SHOWN_WHYS:]
    lines = [f"*{w.position}. {bk.escape(w.question)}*\n→ {bk.escape(w.answer)}" for w in shown]
    intro = (
        "Ask why until you reach something systemic: a process, tool or safeguard — "
        "never a person. Each answer becomes the next question."
    )
    blocks: list[bk.Block] = [bk.context(intro)]
    if len(whys) > len(shown):
        blocks.append(bk.context(f"_{len(whys) - len(shown)} earlier whys not shown._"))
    blocks += [bk.section(line) for line in lines]
    question = next_question(record.incident.title, whys)
    position = len(whys) + 1
    label = f"Why {position}? {question}"
    more = "" if position > MIN_WHYS else f" ({MIN_WHYS - position + 1} more to reach {MIN_WHYS})"
    blocks.append(
        bk.text_input(
            ANSWER,
            bk.clip(label, 2000),
            multiline=True,
            optional=True,
            hint=f"Leave empty when you have reached the systemic cause{more}.",
        )
    )
    blocks += [
        bk.divider(),
        bk.text_input(
            ROOT_CAUSE,
            "Systemic root cause",
            initial=pm.root_cause,
            multiline=True,
            optional=True,
            placeholder="The process, tool or gap the whys revealed",
        ),
        bk.text_input(
            CAUSE_WHAT,
            "What: the specific technical cause",
            initial=pm.cause_what,
            multiline=True,
            optional=True,
        ),
        bk.text_input(
            CAUSE_WHY,
            "Why: the chain of events that led to it",
            initial=pm.cause_why,
            multiline=True,
            optional=True,
        ),
        bk.text_input(
            CAUSE_HOW,
            "How: the mechanism of user impact",
            initial=pm.cause_how,
            multiline=True,
            optional=True,
        ),
        bk.divider(),
        bk.section(
            "*Contributing factors*" + ("" if record.factors else "\n_None yet._"),
            accessory=bk.button("Add factor", Action.WHYS_ADD_FACTOR, str(record.id)),
        ),
    ]
    blocks += [
        bk.section(
            f"• {bk.escape(f.text)} — {f.category}, {f.severity}",
            accessory=bk.button("Delete", Action.WHYS_DELETE_FACTOR, f"{record.id}:{f.id}"),
        )
        for f in record.factors[:MAX_FACTORS]
    ]
    return bk.modal(
        "5 Whys",
        blocks,
        callback_id=Callback.WHYS,
        submit="Save",
        private_metadata=Meta(pm_id=record.id).dump(),
    )


def build_factor_modal(pm_id: int) -> dict[str, Any]:
    blocks = [
        bk.text_input(
            FACTOR_TEXT,
            "Contributing factor",
            multiline=True,
            placeholder="Aggressive retries caused a thundering herd",
        ),
        bk.select(FACTOR_CATEGORY, "Category", [(c, c) for c in FACTOR_CATEGORIES]),
        bk.select(FACTOR_SEVERITY, "Severity", [(s, s) for s in FACTOR_SEVERITIES]),
    ]
    return bk.modal(
        "Contributing factor",
        blocks,
        callback_id=Callback.FACTORS,
        submit="Add",
        private_metadata=Meta(pm_id=pm_id).dump(),
    )


def register(app: App, deps: Deps) -> None:
    @app.action(Action.OPEN_WHYS)
    def handle_open_whys(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        record = load_record(deps, action_pm_id(body))
        require_editor(record.postmortem, body["user"]["id"], "work on the 5 Whys")
        open_view(client, body, build_whys_modal(record))

    @app.view(Callback.WHYS)
    def handle_whys_submission(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        user_id = body["user"]["id"]
        pm_id = meta_of(body).pm_id
        assert pm_id is not None
        values = view_values(body["view"])
        answer = text(values, ANSWER)
        narrative = {
            "root_cause": text(values, ROOT_CAUSE) or None,
            "cause_what": text(values, CAUSE_WHAT) or None,
            "cause_why": text(values, CAUSE_WHY) or None,
            "cause_how": text(values, CAUSE_HOW) or None,
        }
        if not once(deps, body):
            ack()
            return
        with change(deps, pm_id, user_id, "whys", "worked on the 5 Whys") as session:
            pm = postmortems.get_postmortem(session, pm_id=pm_id)
            require_editor(pm, user_id, "work on the 5 Whys")
            changed = [k for k, v in narrative.items() if getattr(pm, k) != v]
            for key in changed:
                setattr(pm, key, narrative[key])
            if answer:
                whys = list(
                    session.exec(
                        select(Why).where(Why.postmortem_id == pm_id).order_by(Why.position)
                    ).all()
                )
                incident = postmortems.get_incident(session, incident_id=pm.incident_id)
                session.add(
                    Why(
                        postmortem_id=pm_id,
                        position=len(whys) + 1,
                        question=next_question(incident.title, whys),
                        answer=answer,
                    )
                )
        record = load_record(deps, pm_id)
        if answer:
            # The next why, in the same modal: the answer just given is its question.
            ack(response_action="update", view=build_whys_modal(record))
        else:
            ack()
        notes = []
        if answer:
            notes.append(f"answered why {len(record.whys)}")
        if "root_cause" in changed:
            notes.append("set the systemic root cause")
        if set(changed) - {"root_cause"}:
            notes.append("updated the root-cause narrative")
        if notes:
            announce(deps, client, pm_id, user_id, " and ".join(notes))

    @app.action(Action.WHYS_ADD_FACTOR)
    def handle_add_factor(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        pm_id = action_pm_id(body)
        record = load_record(deps, pm_id)
        require_editor(record.postmortem, body["user"]["id"], "add contributing factors")
        client.views_push(trigger_id=body["trigger_id"], view=build_factor_modal(pm_id))

    @app.view(Callback.FACTORS)
    def handle_factor_submission(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        user_id = body["user"]["id"]
        pm_id = meta_of(body).pm_id
        assert pm_id is not None
        values = view_values(body["view"])
        factor = text(values, FACTOR_TEXT)
        errors = {}
        if not factor:
            errors[FACTOR_TEXT] = "Describe the factor."
        if values.get(FACTOR_CATEGORY) not in FACTOR_CATEGORIES:
            errors[FACTOR_CATEGORY] = "Pick a category."
        if values.get(FACTOR_SEVERITY) not in FACTOR_SEVERITIES:
            errors[FACTOR_SEVERITY] = "Pick a severity."
        if errors:
            raise FieldErrors(errors)
        if not once(deps, body):
            ack()
            return
        with change(deps, pm_id, user_id, "factor", "added a contributing factor") as session:
            pm = postmortems.get_postmortem(session, pm_id=pm_id)
            require_editor(pm, user_id, "add contributing factors")
            session.add(
                ContributingFactor(
                    postmortem_id=pm_id,
                    text=factor,
                    category=values[FACTOR_CATEGORY],
                    severity=values[FACTOR_SEVERITY],
                )
            )
        ack()
        # Refresh the whys modal underneath so the new factor shows.
        previous = body["view"].get("previous_view_id")
        if previous:
            client.views_update(view_id=previous, view=build_whys_modal(load_record(deps, pm_id)))
        announce(
            deps, client, pm_id, user_id, f"added a contributing factor: {bk.escape(factor[:200])}"
        )

    @app.action(Action.WHYS_DELETE_FACTOR)
    def handle_delete_factor(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        pm_id = action_pm_id(body)
        factor_id = int(body["actions"][0]["value"].split(":")[1])
        with change(deps, pm_id, user_id, "factor_deleted", "deleted a factor") as session:
            pm = postmortems.get_postmortem(session, pm_id=pm_id)
            require_editor(pm, user_id, "delete contributing factors")
            factor = session.get(ContributingFactor, factor_id)
            if factor is None or factor.postmortem_id != pm_id:
                raise NotFound("That factor was already deleted.")
            deleted = factor.text
            session.delete(factor)
        view = body.get("view")
        if view:
            client.views_update(
                view_id=view["id"],
                hash=view.get("hash"),
                view=build_whys_modal(load_record(deps, pm_id)),
            )
        announce(
            deps,
            client,
            pm_id,
            user_id,
            f"deleted a contributing factor: {bk.escape(deleted[:200])}",
        )
