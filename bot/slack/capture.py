"""Adding to the timeline from Slack itself: the "Add to PM timeline" message shortcut opens a
prefilled entry modal, and the configured reaction (:pushpin:) adds a message directly."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError

from bot.deps import Deps
from bot.slack import blocks as bk
from bot.slack.forms import view_values
from bot.slack.ids import Callback
from bot.slack.messages import tell_user
from bot.slack.meta import Meta, meta_of
from bot.slack.modals import timeline as tm
from bot.slack.modals.common import announce, load_record
from bot.slack.people import display_name, user_tz
from flows import timeline as tl
from flows.errors import FieldErrors, NotFound, PostmortemError
from storage.db import session_scope
from storage.queries import postmortems
from storage.tables import Postmortem

log = logging.getLogger(__name__)


class AlreadyOnTimeline(PostmortemError):
    pass


def capture_target(deps: Deps, channel_id: str) -> Postmortem | None:
    """The post-mortem a message in `channel_id` belongs to, if one is being written there."""
    with session_scope(deps.sessions) as session:
        found = postmortems.find_postmortems_in_channel(session, channel_id=channel_id)
        return tl.capture_target(found)


def is_captured(deps: Deps, pm_id: int, key: str) -> bool:
    return any(e.message_key == key for e in load_record(deps, pm_id).timeline)


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
    window = {"channel": channel_id, "latest": ts, "inclusive": True, "limit": 1}
    try:
        for message in client.conversations_history(**window).get("messages", []):
            if message.get("ts") == ts:
                return dict(message)
        replies = client.conversations_replies(ts=ts, oldest=ts, **window)
        return next((dict(m) for m in replies.get("messages", []) if m.get("ts") == ts), None)
    except SlackApiError as err:
        log.warning("could not read %s/%s: %s", channel_id, ts, err.response.get("error"))
        return None


def build_already_there_modal(pm_id: int) -> dict[str, Any]:
    return bk.modal(
        "Already on timeline",
        [bk.section(f":pushpin: This message is already on the timeline of post-mortem #{pm_id}.")],
        callback_id=Callback.SHORTCUT_TIMELINE_SUBMIT, submit=None, close="OK",
    )


def register(app: App, deps: Deps) -> None:
    @app.shortcut(Callback.SHORTCUT_TIMELINE)
    def handle_timeline_shortcut(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        try:
            open_capture_modal(body, client)
        except PostmortemError as err:
            # Told here, not raised: raising after the ack races Bolt (see modals.timeline.acked).
            tell_user(client, user_id=body["user"]["id"], channel_id=body["channel"]["id"],
                      text=str(err))

    def open_capture_modal(body: dict[str, Any], client: WebClient) -> None:
        channel_id, message = body["channel"]["id"], body["message"]
        user_id, ts = body["user"]["id"], str(body["message"]["ts"])
        pm = capture_target(deps, channel_id)
        if pm is None or pm.id is None:
            raise NotFound("There is no post-mortem being written in this channel, so there is "
                           "no timeline to add this message to.")
        key = tl.message_key(channel_id, ts)
        if is_captured(deps, pm.id, key):
            raise AlreadyOnTimeline(
                f":pushpin: This message is already on the timeline of post-mortem #{pm.id}.")
        tz = user_tz(client, user_id)
        draft = tl.captured_entry(
            channel_id=channel_id, ts=ts, text=str(message.get("text") or ""),
            author=author_name(client, message), link=permalink(client, channel_id, ts),
            source="message",
        )
        typed = tl.typed_form(draft.occurred_at, tz)
        extra = {**tm.entry_prefill_meta(draft.occurred_at, tz, typed),
                 "key": key, "link": draft.link}
        client.views_open(trigger_id=body["trigger_id"], view=tm.build_entry_modal(
            title="Add to timeline", callback_id=Callback.SHORTCUT_TIMELINE_SUBMIT,
            meta=Meta(pm_id=pm.id, channel_id=channel_id, extra=extra),
            prefill=tm.Prefill(typed=typed, text=bk.clip(draft.text), actor=draft.actor or ""),
            tz=tz, submit="Add",
        ))

    @app.view(Callback.SHORTCUT_TIMELINE_SUBMIT)
    def handle_shortcut_submission(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        meta, user_id = meta_of(body), body["user"]["id"]
        if meta.pm_id is None:
            # The "already there" notice shares this callback and has no form.
            ack()
            return
        try:
            form = tm.read_entry_form(view_values(body["view"]), tm.entry_context(deps, meta))
            draft = tl.EntryDraft(
                occurred_at=form.occurred_at, text=form.text, actor=form.actor, source="message",
                message_key=meta.extra.get("key"), link=meta.extra.get("link"),
            )
            entry = tm.add_entry(deps, meta.pm_id, user_id, draft, view_key=tm.view_key(body))
        except FieldErrors as err:
            ack(response_action="errors", errors=err.errors)
            return
        except PostmortemError as err:
            ack(response_action="errors", errors={tm.TEXT: str(err)})
            return
        except tm.Repeat:
            ack()
            return
        except IntegrityError:
            # Pinned by someone else (or added twice) while this modal was open.
            ack(response_action="update", view=build_already_there_modal(meta.pm_id))
            return
        ack()
        announce(deps, client, meta.pm_id, user_id,
                 tm.note("added a message to the timeline", entry))

    @app.event("reaction_added")
    def handle_reaction_added(body: dict[str, Any], event: dict[str, Any], client: WebClient,
                              context: dict[str, Any]) -> None:
        # Skin tones arrive as "name::skin-tone-2"; the emoji is what was configured.
        if str(event.get("reaction") or "").split("::")[0] != deps.settings.timeline_reaction:
            return
        bots = {context.get("bot_user_id"),
                *((a or {}).get("user_id") for a in body.get("authorizations") or [])}
        item = event.get("item") or {}
        if event.get("user") in bots - {None} or item.get("type") != "message":
            return
        channel_id, ts = str(item.get("channel") or ""), str(item.get("ts") or "")
        pm = capture_target(deps, channel_id)
        if pm is None or pm.id is None or is_captured(deps, pm.id, tl.message_key(channel_id, ts)):
            return
        message = fetch_message(client, channel_id, ts)
        if message is None:
            return
        draft = tl.captured_entry(
            channel_id=channel_id, ts=ts, text=str(message.get("text") or ""),
            author=author_name(client, message), link=permalink(client, channel_id, ts),
            source="reaction",
        )
        try:
            entry = tm.add_entry(deps, pm.id, str(event["user"]), draft)
        except IntegrityError:
            # Two pins racing on one message: the first one is the entry.
            return
        announce(deps, client, pm.id, str(event["user"]),
                 tm.note("pinned a message to the timeline", entry))
