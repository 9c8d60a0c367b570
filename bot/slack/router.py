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
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

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
        """Hand Bolt the listeners, once all are registered: as one middleware that finds a
        request's listener by its kind and name in a table. Bolt's own listeners are asked
        one by one whether a request is theirs, and each question builds every argument a
        listener could take (a dozen payload lookups): for a slash command, with the other
        kinds asked first, that was a third of the ack's own work."""
        self._mounted = True
        self.app.use(_Dispatch(self._named))

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


# The payload types each kind's listeners answer, as Bolt's app.action / view / shortcut /
# command match them.
_KIND_OF_TYPE = {"block_actions": "action", "view_submission": "view", "shortcut": "shortcut",
                 "message_action": "shortcut"}


class _Dispatch(Middleware):
    """The last global middleware: runs the request's listener and answers with its ack.
    A request no listener is registered for goes on to Bolt (events, unknown names)."""

    def __init__(self, named: dict[str, dict[str, Listener]]) -> None:
        self._named = named

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse | None:
        body = req.body
        kind = "command" if "command" in body else _KIND_OF_TYPE.get(str(body.get("type")))
        listener = self._named[kind].get(KINDS[kind](body)) if kind else None
        if listener is None:
            return next()
        ack = req.context.ack
        listener(ack, req.context)
        return ack.response

    @property
    def name(self) -> str:
        return "router"


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
