"""How listeners are registered: the one place that decides what runs before Slack's ack and
what after it, and where a failure goes.

- Buttons, shortcuts and events: acked at once; the handler runs after the ack on the
  background pool, so a database or Slack that is slow never delays the ack.
- Modal submissions: the handler runs before the ack, because its answer (field errors, the
  next view) is the ack. Work it defers with `ctx.later` runs after. Forms whose answer is
  only "close" are saved after the ack instead (`form`, bot/slack/inbox.py).
- Slash commands: the handler's return value is the ephemeral answer.
Every handler takes the request's `Ctx` and nothing else; failures go to bot/slack/errors.py.
Listeners are registered by name and handed to Bolt together (`mount`), once all are known.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.deps import Deps
from bot.slack import errors, inbox
from bot.slack.context import Ctx, Repeat
from bot.slack.inbox import SavedAfterAck
from bot.slack.middleware import require_workspace

log = logging.getLogger(__name__)

Handler = Callable[[Ctx], None]
Reply = dict[str, Any] | None
SubmitHandler = Callable[[Ctx], Reply]
CommandHandler = Callable[[Ctx], str | None]


def update(view: dict[str, Any]) -> dict[str, Any]:
    """Answer a submission by replacing the modal with `view`."""
    return {"response_action": "update", "view": view}


def push(view: dict[str, Any]) -> dict[str, Any]:
    return {"response_action": "push", "view": view}


Listener = Callable[[Ack, BoltContext], None]
# The request kinds whose listeners are looked up by name (see `mount`), and where the name is.
KINDS: dict[str, Callable[[dict[str, Any]], str]] = {
    "action": lambda body: str(((body.get("actions") or [{}])[0]).get("action_id") or ""),
    "view": lambda body: str((body.get("view") or {}).get("callback_id") or ""),
    "shortcut": lambda body: str(body.get("callback_id") or ""),
    "command": lambda body: str(body.get("command") or ""),
}


class Router:
    def __init__(self, app: App, deps: Deps) -> None:
        self.app, self.deps = app, deps
        self._named: dict[str, dict[str, Listener]] = {kind: {} for kind in KINDS}
        self._mounted = False

    def mount(self) -> None:
        """Hand Bolt one listener per kind of request, for every name registered. Bolt asks
        its listeners one by one whether a request is theirs, each question costing as much as
        a small handler: a hundred listeners cost an ack more than the rest of its work."""
        self._mounted = True
        bolt = {"action": self.app.action, "view": self.app.view,
                "shortcut": self.app.shortcut, "command": self.app.command}
        for kind, listeners in self._named.items():
            if listeners:
                names = re.compile("^(?:" + "|".join(map(re.escape, sorted(listeners))) + ")$")
                bolt[kind](names)(_dispatcher(KINDS[kind], listeners))

    def _add(self, kind: str, name: str, listener: Listener) -> None:
        if self._mounted:
            raise RuntimeError(f"the {kind} {name!r} was registered after mount()")
        if name in self._named[kind]:
            raise ValueError(f"two listeners for the {kind} {name!r}")
        self._named[kind][name] = listener

    def action(self, *action_ids: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for action_id in action_ids:
                self._add("action", action_id, self._after_ack(handler))
            return handler

        return register

    def shortcut(self, callback_id: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._add("shortcut", callback_id, self._after_ack(handler))
            return handler

        return register

    def event(self, name: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.app.event(name)(self._after_ack(handler))
            return handler

        return register

    def view(self, callback_id: str) -> Callable[[SubmitHandler], SubmitHandler]:
        def register(handler: SubmitHandler) -> SubmitHandler:
            def listener(ack: Ack, context: BoltContext) -> None:
                ctx: Ctx = context["ctx"]
                try:
                    require_workspace(ctx)
                    reply = handler(ctx)
                except Repeat:
                    reply = None
                except Exception as error:
                    reply = _refused(ctx, error)
                ack(**(reply or {}))
                self._run_later(ctx)

            self._add("view", callback_id, listener)
            return handler

        return register

    def form(self, callback_id: str, form: SavedAfterAck) -> None:
        """A form saved after its ack: checked, written to the inbox, acked (the modal
        closes), saved on the background pool."""

        def listener(ack: Ack, context: BoltContext) -> None:
            ctx: Ctx = context["ctx"]
            try:
                form.check(ctx)
                submission_id = inbox.receive(ctx)
            except Exception as error:
                ack(**(_refused(ctx, error) or {}))
                self._run_later(ctx)
                return
            ack()
            if submission_id is not None:
                self.deps.background.submit(lambda: inbox.save(form, ctx, submission_id),
                                            yield_at_most=inbox.SAVE_YIELD)

        self._add("view", callback_id, listener)

    def command(self, name: str) -> Callable[[CommandHandler], CommandHandler]:
        def register(handler: CommandHandler) -> CommandHandler:
            def listener(ack: Ack, context: BoltContext) -> None:
                ctx: Ctx = context["ctx"]
                try:
                    text = handler(ctx)
                except Exception as error:
                    text = errors.user_message(error, name)
                ack(response_type="ephemeral", text=text) if text else ack()
                self._run_later(ctx)

            self._add("command", name, listener)
            return handler

        return register

    def _after_ack(self, handler: Handler) -> Callable[..., None]:
        def listener(ack: Ack, context: BoltContext) -> None:
            ack()
            ctx: Ctx = context["ctx"]
            ctx.after_ack = True
            self.deps.background.submit(lambda: _run(handler, ctx))

        listener.__name__ = handler.__name__
        return listener

    def _run_later(self, ctx: Ctx) -> None:
        for work, yield_at_most in ctx.take_later():
            self.deps.background.submit(lambda work=work: _run_after(work, ctx),
                                        yield_at_most=yield_at_most)


def _dispatcher(name_of: Callable[[dict[str, Any]], str],
                listeners: dict[str, Listener]) -> Callable[..., None]:
    def dispatch(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        listeners[name_of(body)](ack, context)

    return dispatch


def _run(handler: Handler, ctx: Ctx) -> None:
    try:
        require_workspace(ctx)
        handler(ctx)
    except Repeat:
        return
    except Exception as error:
        errors.tell(ctx, error)


def _run_after(work: Callable[[], None], ctx: Ctx) -> None:
    ctx.after_ack = True
    try:
        work()
    except Repeat:
        return  # a double-clicked submit whose unit runs after the ack: the first one saved
    except Exception as error:
        errors.tell(ctx, error)


def _refused(ctx: Ctx, error: Exception) -> Reply:
    """A submission that cannot be saved: say why at the form, keeping what was typed."""
    found = errors.modal_errors(ctx, error)
    if found:
        return {"response_action": "errors", "errors": found}
    # A form with no inputs (a notice) cannot show an error: tell the user instead.
    ctx.later(lambda: errors.tell(ctx, error))
    return None
