"""Adding to the timeline from Slack itself: the "Add to PM timeline" message shortcut opens a
prefilled entry modal, and the configured reaction (:pushpin:) adds a message directly. The
same checks as the timeline modal: the post-mortem's workspace, and people in its channel."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import blocks as bk
from bot.slack.context import Ctx
from bot.slack.ids import Callback
from bot.slack.meta import Meta
from bot.slack.modals.timeline_views import (
    Prefill,
    build_entry_modal,
    entry_prefill_meta,
    note,
    read_entry_form,
    time_context,
)
from bot.slack.people import display_name, membership, user_tz
from bot.slack.router import Reply, Router, update
from flows import timeline as tl
from flows.errors import NotFound
from flows.milestones import suggest_milestone
from flows.permissions import Actor, require_participant
from flows.timeline_entries import add_entry, already_there
from storage.queries import parts, postmortems
from storage.tables import Postmortem

log = logging.getLogger(__name__)


def register_listeners(router: Router) -> None:
    router.shortcut(Callback.SHORTCUT_TIMELINE)(open_capture)
    router.view(Callback.SHORTCUT_TIMELINE_SUBMIT)(submit_capture)
    router.event("reaction_added")(reaction_added)


def capture_target(ctx: Ctx, channel_id: str) -> Postmortem | None:
    """The post-mortem a message in `channel_id` belongs to, if one is being written there."""
    with ctx.read() as session:
        return tl.capture_target(
            postmortems.find_postmortems_in_channel(session, channel_id=channel_id,
                                                    team_id=ctx.team_id))


def is_captured(ctx: Ctx, pm_id: int, key: str) -> bool:
    with ctx.read() as session:
        return parts.has_message(session, pm_id=pm_id, message_key=key)


def author_name(client: WebClient, message: dict[str, Any]) -> str | None:
    """Who wrote the message: a person's display name, or the posting app's name."""
    if message.get("user"):
        return display_name(client, str(message["user"]))
    profile = message.get("bot_profile") or {}
    return message.get("username") or profile.get("name")


def permalink(client: WebClient, channel_id: str, ts: str) -> str | None:
    try:
        return str(client.chat_getPermalink(channel=channel_id, message_ts=ts)["permalink"])
    except SlackApiError as err:
        log.warning("chat.getPermalink %s/%s failed: %s", channel_id, ts, err.response.get("error"))
        return None


def fetch_message(client: WebClient, channel_id: str, ts: str) -> dict[str, Any] | None:
    """The message at `ts`: channel history first; thread replies only show up in replies."""
    window: dict[str, Any] = {"channel": channel_id, "latest": ts, "inclusive": True,
                              "limit": 1}
    try:
        history: list[dict[str, Any]] | None = client.conversations_history(
            **window).get("messages")
        for message in history or []:
            if message.get("ts") == ts:
                return dict(message)
        replies: list[dict[str, Any]] | None = client.conversations_replies(
            ts=ts, oldest=ts, **window).get("messages")
        return next((dict(m) for m in replies or [] if m.get("ts") == ts), None)
    except SlackApiError as err:
        log.warning("could not read %s/%s: %s", channel_id, ts, err.response.get("error"))
        return None


def build_already_there_modal(pm_id: int) -> dict[str, Any]:
    return bk.modal("Already on timeline", [bk.section(str(already_there(pm_id)))],
                    callback_id=Callback.SHORTCUT_TIMELINE_SUBMIT, submit=None, close="OK")


def captured(
    ctx: Ctx, channel_id: str, ts: str, message: dict[str, Any], source: str
) -> tl.EntryDraft:
    return tl.captured_entry(
        channel_id=channel_id, ts=ts, text=str(message.get("text") or ""),
        author=author_name(ctx.client, message), link=permalink(ctx.client, channel_id, ts),
        source=source,
    )


def open_capture(ctx: Ctx) -> None:
    channel_id, message = str(ctx.channel_id or ""), dict(ctx.body.get("message") or {})
    ts = str(message.get("ts") or "")
    pm = capture_target(ctx, channel_id)
    if pm is None or pm.id is None:
        raise NotFound("There is no post-mortem being written in this channel, so there is "
                       "no timeline to add this message to.")
    require_participant(pm, ctx.actor, in_channel=membership(ctx.client, channel_id,
                                                             ctx.user_id))
    key = tl.message_key(channel_id, ts)
    if is_captured(ctx, pm.id, key):
        raise already_there(pm.id)
    tz = user_tz(ctx.client, ctx.user_id)
    draft = captured(ctx, channel_id, ts, message, "message")
    typed = tl.typed_form(draft.occurred_at, tz)
    extra = {**entry_prefill_meta(draft.occurred_at, tz, typed), "key": key, "link": draft.link}
    prefill = Prefill(typed=typed, text=bk.clip(draft.text), actor=draft.actor or "",
                      milestone=suggest_milestone(draft.text))
    ctx.open_view(build_entry_modal(
        title="Add to timeline", callback_id=Callback.SHORTCUT_TIMELINE_SUBMIT,
        meta=Meta(pm_id=pm.id, channel_id=channel_id, extra=extra), prefill=prefill, tz=tz,
        submit="Add",
    ))


def submit_capture(ctx: Ctx) -> Reply:
    if ctx.meta.pm_id is None:
        return None  # the "already there" notice shares this callback and has no form
    pm_id, extra = ctx.meta.pm_id, ctx.meta.extra
    with ctx.read() as session:
        pm = postmortems.get_postmortem(session, pm_id=pm_id)
        incident = postmortems.get_incident(session, incident_id=pm.incident_id)
    tz = str(extra.get("tz") or "UTC")
    form = read_entry_form(ctx.values(),
                           time_context(ctx.meta, tl.incident_day(incident, tz, ctx.now()),
                                        ctx.now()))
    draft = tl.EntryDraft(occurred_at=form.occurred_at, text=form.text, actor=form.actor,
                          milestone=form.milestone, source="message",
                          message_key=extra.get("key"), link=extra.get("link"))
    with ctx.unit() as session:
        entry = add_entry(session, pm_id=pm_id, actor=ctx.actor, draft=draft, now=ctx.now(),
                          in_channel=membership(ctx.client, pm.channel_id, ctx.user_id))
        if entry is not None:
            ctx.announce(session, pm_id, note("added a message to the timeline", entry))
    # Pinned by someone else (or added twice) while this modal was open.
    return update(build_already_there_modal(pm_id)) if entry is None else None


def reaction_added(ctx: Ctx) -> None:
    event = dict(ctx.body.get("event") or {})
    # Skin tones arrive as "name::skin-tone-2"; the emoji is what was configured.
    if str(event.get("reaction") or "").split("::")[0] != ctx.deps.settings.timeline_reaction:
        return
    bots = {(a or {}).get("user_id") for a in ctx.body.get("authorizations") or []}
    item = event.get("item") or {}
    if not ctx.user_id or ctx.user_id in bots or item.get("type") != "message":
        return
    channel_id, ts = str(item.get("channel") or ""), str(item.get("ts") or "")
    pm = capture_target(ctx, channel_id)
    if pm is None or pm.id is None or is_captured(ctx, pm.id, tl.message_key(channel_id, ts)):
        return
    message = fetch_message(ctx.client, channel_id, ts)
    if message is None:
        return
    draft = captured(ctx, channel_id, ts, message, "reaction")
    # In a channel shared with another organisation, the event says whose member reacted.
    actor = Actor(ctx.user_id, event.get("user_team") or ctx.user_team_id)
    with ctx.unit() as session:
        entry = add_entry(session, pm_id=pm.id, actor=actor, draft=draft, now=ctx.now(),
                          in_channel=membership(ctx.client, channel_id, ctx.user_id))
        if entry is not None:  # two pins racing on one message: the first one is the entry
            ctx.announce(session, pm.id, note("pinned a message to the timeline", entry))
