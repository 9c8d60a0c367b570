"""One Slack request as every listener reads it, resolved once by the middleware.

Who is asking (user and workspace), where (channel, the modal's private_metadata), which
post-mortem the click or the form is about, and the request's own unit of work: a write
transaction whose outbox rows are delivered once it commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.deps import Deps
from bot.slack import outbox
from bot.slack.delivery import deliver_now
from bot.slack.forms import view_values
from bot.slack.meta import Meta
from flows.errors import NotFound, PostmortemError
from flows.permissions import Actor
from storage.db import read_scope, session_scope
from storage.queries import inbox, keys, postmortems
from storage.tables import Incident, Postmortem

log = logging.getLogger(__name__)


# How long a change's outbox delivery may wait for the acks of a burst (seconds).
OUTBOX_YIELD = 10.0


class Repeat(Exception):
    """The same submission arrived twice (a double click): the first one did the work."""


@dataclass
class Ctx:
    deps: Deps
    client: WebClient
    body: dict[str, Any]
    user_id: str
    team_id: str | None
    # The user's own workspace: differs from `team_id` for a guest from a Slack Connect org.
    user_team_id: str | None
    channel_id: str | None
    trigger_id: str | None
    meta: Meta
    action: dict[str, Any] = field(default_factory=dict)
    pm_id: int | None = None
    # Set while running after the ack (actions, shortcuts, events): deliveries go out inline.
    after_ack: bool = False
    # A form saved after its ack (bot/slack/inbox.py): its inbox row, deleted by the save.
    submission_id: int | None = None
    # Work for after the ack, each with how long it may yield to acks (bot/slack/background.py).
    _later: list[tuple[Callable[[], None], float | None]] = field(default_factory=list)
    _outbox: list[int] = field(default_factory=list)
    _named: tuple[Postmortem, Incident] | None = None
    _named_read: bool = False

    # ---- reading the request ---------------------------------------------------------------

    @property
    def view(self) -> dict[str, Any]:
        return dict(self.body.get("view") or {})

    @property
    def value(self) -> str:
        """The clicked button's value (or the picked option's)."""
        value = self.action.get("value") or (self.action.get("selected_option") or {}).get(
            "value"
        )
        return str(value or "")

    def require_view(self) -> dict[str, Any]:
        """The modal a click came from; a button that only makes sense inside one says so."""
        view = self.view
        if not view.get("id"):
            raise PostmortemError("That button works inside its form: open the form from the "
                                  "post-mortem's control message.")
        return view

    def form_key(self) -> str:
        """A submitted view's delivery key: one per submission, the same for a double click."""
        view = self.view
        return f"view:{view.get('id')}:{view.get('hash', '')}"

    def values(self) -> dict[str, Any]:
        """A submitted modal's inputs, keyed by block_id."""
        return view_values(self.view)

    def named(self) -> tuple[Postmortem, Incident] | None:
        """The post-mortem the request names and its incident, as committed when first asked:
        read once per request (the workspace check, a form's time context), for reading only.
        None when it names none, or one that is gone."""
        if not self._named_read and self.pm_id is not None:
            with self.read() as session:
                pm = session.get(Postmortem, self.pm_id)
                incident = session.get(Incident, pm.incident_id) if pm is not None else None
            self._named = (pm, incident) if pm is not None and incident is not None else None
            self._named_read = True
        return self._named

    def require_named(self) -> tuple[Postmortem, Incident]:
        named = self.named()
        if named is None:
            raise NotFound(f"There is no post-mortem #{self.require_pm()}.")
        return named

    def require_pm(self) -> int:
        if self.pm_id is None:
            raise PostmortemError("I could not tell which post-mortem this is for.")
        return self.pm_id

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.user_team_id)

    def now(self) -> datetime:
        return self.deps.now()

    # ---- doing the work --------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction: never waits for the write lock (storage/db.py)."""
        with read_scope(self.deps.sessions) as session:
            yield session

    @contextmanager
    def unit(self) -> Iterator[Session]:
        """A write transaction. A submitted form is claimed in it, so a double-clicked submit
        saves once (`Repeat`) and a save that fails leaves nothing to swallow the retry."""
        with session_scope(self.deps.sessions) as session:
            if self.body.get("type") == "view_submission":
                if not keys.claim_key(session, key=self.form_key(), now=self.now()):
                    raise Repeat
                if self.submission_id is not None:
                    inbox.settle(session, submission_id=self.submission_id)
            before = len(self._outbox)
            yield session
            queued = self._outbox[before:]
        if queued:
            self.send_outbox(queued)

    def announce(self, session: Session, pm_id: int, text: str) -> None:
        """In the current unit: a thread note "@user <text>" and the control message redrawn,
        both sent once the unit commits. `text` is written by the bot: escape user text in it."""
        pm = postmortems.get_postmortem(session, pm_id=pm_id)
        self.queue(outbox.announce(session, pm, f"<@{self.user_id}> {text}", now=self.now()))

    def queue(self, ids: list[int]) -> None:
        """Outbox rows written in the current unit: delivered once it commits."""
        self._outbox.extend(ids)

    def send_outbox(self, ids: list[int]) -> None:
        if self.after_ack:
            deliver_now(self.deps, ids)
        else:
            # The rows are committed: the sweep sends whatever is not sent, so in a burst
            # their delivery can wait for the acks longer than work a user is looking at.
            self.later(lambda: deliver_now(self.deps, ids), yield_at_most=OUTBOX_YIELD)

    def later(self, work: Callable[[], None], *, yield_at_most: float | None = None) -> None:
        """Run after the ack (from a handler that runs before it); at once when already after.
        `yield_at_most`: how long it may wait for the acks of a burst (default: the pool's,
        short enough for a modal opened with the request's trigger_id)."""
        if self.after_ack:
            work()
        else:
            self._later.append((work, yield_at_most))

    def take_later(self) -> list[tuple[Callable[[], None], float | None]]:
        work, self._later = self._later, []
        return work

    # ---- answering the user ----------------------------------------------------------------

    def open_view(self, view: dict[str, Any]) -> dict[str, Any]:
        """Open a modal, or push it when the click came from inside one."""
        if self.body.get("view") and (self.body.get("container") or {}).get("type") == "view" \
                and self.view.get("type") == "modal":
            return dict(self.client.views_push(trigger_id=self.trigger_id, view=view).data)
        return dict(self.client.views_open(trigger_id=self.trigger_id, view=view).data)

    def tell(self, text: str, channel_id: str | None = None) -> None:
        """An ephemeral message where the user is working; a DM when that channel refuses us."""
        tell_user(self.client, user_id=self.user_id, channel_id=channel_id or self.channel_id,
                  text=text)


def tell_user(client: WebClient, *, user_id: str, channel_id: str | None, text: str) -> None:
    if channel_id:
        try:
            client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
            return
        except SlackApiError as err:
            log.warning(
                "ephemeral to %s in %s failed: %s", user_id, channel_id, err.response.get("error")
            )
    try:
        client.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as err:
        log.error("could not reach %s at all: %s", user_id, err.response.get("error"))
