"""5 Whys: each answer becomes the next "why"; then the systemic root cause, the what / why /
how narrative and the contributing factors."""

from __future__ import annotations

from typing import Any

from bot.slack import blocks as bk
from bot.slack.context import Ctx
from bot.slack.forms import errors_at, fresh_id, text
from bot.slack.ids import Action, Callback
from bot.slack.meta import Meta
from bot.slack.router import Reply, Router, update
from bot.slack.values import require_id
from flows import whys
from flows.errors import FieldErrors
from flows.permissions import require_editor
from flows.whys import (
    FACTOR_CATEGORIES,
    FACTOR_SEVERITIES,
    MIN_WHYS,
    QUESTION_MAX,
    next_question,
)
from storage.queries import postmortems
from storage.record import PostmortemRecord

ANSWER = "pm.whys.answer"
QUESTION = "pm.whys.question"
ROOT_CAUSE = "pm.whys.root_cause"
CAUSE_WHAT = "pm.whys.what"
CAUSE_WHY = "pm.whys.why"
CAUSE_HOW = "pm.whys.how"
NARRATIVE_BLOCKS = {ROOT_CAUSE: "root_cause", CAUSE_WHAT: "cause_what", CAUSE_WHY: "cause_why",
                    CAUSE_HOW: "cause_how"}
FACTOR_TEXT = "pm.factor.text"
FACTOR_CATEGORY = "pm.factor.category"
FACTOR_SEVERITY = "pm.factor.severity"
MAX_SHOWN_WHYS = 30
MAX_FACTORS = 20  # with 30 whys and the inputs, stays under Slack's 100 blocks


def build_whys_modal(record: PostmortemRecord) -> dict[str, Any]:
    pm = record.postmortem
    chain = record.whys
    shown = chain[-MAX_SHOWN_WHYS:]
    lines = [f"*{w.position}. {bk.escape(w.question)}*\n→ {bk.escape(w.answer)}" for w in shown]
    intro = (
        "Ask why until you reach something systemic: a process, tool or safeguard — "
        "never a person. Each answer becomes the next question."
    )
    blocks: list[bk.Block] = [bk.context(intro)]
    if len(chain) > len(shown):
        blocks.append(bk.context(f"_{len(chain) - len(shown)} earlier whys not shown._"))
    blocks += [bk.section(line) for line in lines]
    question = next_question(record.incident.title, chain)
    position = len(chain) + 1
    label = f"Why {position}? {question}"
    more = "" if position > MIN_WHYS else f" ({MIN_WHYS - position + 1} more to reach {MIN_WHYS})"
    # Both start empty for each why (bot/slack/forms.py): Slack would keep the last one's.
    blocks += [
        bk.text_input(
            fresh_id(ANSWER, position),
            bk.clip(label, 2000),
            multiline=True,
            optional=True,
            hint=f"Leave empty when you have reached the systemic cause{more}.",
        ),
        bk.text_input(
            fresh_id(QUESTION, position),
            f"Why {position}, asked in your words (optional)",
            optional=True,
            max_length=QUESTION_MAX,
            hint="The document asks the question above unless you word it here, "
                 "e.g. “Why was the pool exhausted?”",
        ),
    ]
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


def register_listeners(router: Router) -> None:
    router.action(Action.OPEN_WHYS)(open_whys)
    router.view(Callback.WHYS)(submit_whys)
    router.action(Action.WHYS_ADD_FACTOR)(open_factor)
    router.view(Callback.FACTORS)(submit_factor)
    router.action(Action.WHYS_DELETE_FACTOR)(delete_factor)


def _record(ctx: Ctx) -> PostmortemRecord:
    with ctx.read() as session:
        return postmortems.load_summary(session, pm_id=ctx.require_pm())


def open_whys(ctx: Ctx) -> None:
    record = _record(ctx)
    require_editor(record.postmortem, ctx.user_id, "work on the 5 Whys", team_id=ctx.user_team_id)
    ctx.open_view(build_whys_modal(record))


def submit_whys(ctx: Ctx) -> Reply:
    values = ctx.values()
    answer, asked = text(values, ANSWER), text(values, QUESTION)
    if asked and not answer:
        raise FieldErrors({ANSWER: "Answer the question you wrote, or clear it."})
    narrative = {attr: text(values, block) or None for block, attr in NARRATIVE_BLOCKS.items()}
    with ctx.unit() as session, errors_at({"answer": ANSWER, "question": QUESTION}):
        saved = whys.save_whys(session, pm_id=ctx.require_pm(), actor=ctx.actor, answer=answer,
                               narrative=narrative, now=ctx.now(),
                               question=asked or None)
        notes = []
        if saved.answered:
            notes.append(f"answered why {saved.answered}")
        if "root_cause" in saved.changed:
            notes.append("set the systemic root cause")
        if set(saved.changed) - {"root_cause"}:
            notes.append("updated the root-cause narrative")
        if notes:
            ctx.announce(session, ctx.require_pm(), " and ".join(notes))
    # The next why, in the same modal: the answer just given is its default question.
    return update(build_whys_modal(_record(ctx))) if saved.answered else None


def open_factor(ctx: Ctx) -> None:
    record = _record(ctx)
    require_editor(record.postmortem, ctx.user_id, "add contributing factors",
                   team_id=ctx.user_team_id)
    ctx.client.views_push(trigger_id=ctx.trigger_id, view=build_factor_modal(record.id))


def submit_factor(ctx: Ctx) -> Reply:
    values = ctx.values()
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
    with ctx.unit() as session:
        whys.add_factor(session, pm_id=ctx.require_pm(), actor=ctx.actor, text=factor,
                        category=values[FACTOR_CATEGORY], severity=values[FACTOR_SEVERITY],
                        now=ctx.now())
        ctx.announce(session, ctx.require_pm(),
                     f"added a contributing factor: {bk.escape(factor[:200])}")
    # Redraw the whys modal underneath so the new factor shows.
    previous = ctx.view.get("previous_view_id")
    if previous:
        ctx.later(lambda: ctx.client.views_update(view_id=previous,
                                                  view=build_whys_modal(_record(ctx))))
    return None


def delete_factor(ctx: Ctx) -> None:
    _, _, factor_id = ctx.value.partition(":")
    with ctx.unit() as session:
        factor = whys.delete_factor(session, pm_id=ctx.require_pm(), actor=ctx.actor,
                                    factor_id=require_id(factor_id, "factor"),
                                    now=ctx.now())
        ctx.announce(session, ctx.require_pm(),
                     f"deleted a contributing factor: {bk.escape(factor.text[:200])}")
    if ctx.view:
        ctx.client.views_update(view_id=ctx.view["id"], hash=ctx.view.get("hash"),
                                view=build_whys_modal(_record(ctx)))
