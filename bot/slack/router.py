"""How listeners are registered: the one place that decides what runs before Slack's ack and
what after it, and where a failure goes.

- Buttons, shortcuts and events: acked at once; the handler runs after the ack on the
  background pool, so a database or Slack that is slow never delays the ack.
- Modal submissions: the handler runs before the ack, because its answer (field errors, the
  next view) is the ack. Work it defers with `ctx.later` runs after.
- Slash commands: the handler's return value is the ephemeral answer.
Every handler takes the request's `Ctx` and nothing else; failures go to bot/slack/errors.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.deps import Deps
from bot.slack import errors
from bot.slack.context import Ctx, Repeat
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


class Router:
    def __init__(self, app: App, deps: Deps) -> None:
        self.app, self.deps = app, deps

    def action(self, *action_ids: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for action_id in action_ids:
                self.app.action(action_id)(self._after_ack(handler))
            return handler

        return register

    def shortcut(self, callback_id: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.app.shortcut(callback_id)(self._after_ack(handler))
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
                    reply = handler(ctx)
                except Repeat:
                    reply = None
                except Exception as error:
                    reply = _refused(ctx, error)
                ack(**(reply or {}))
                self._run_later(ctx)

            listener.__name__ = handler.__name__
            self.app.view(callback_id)(listener)
            return handler

        return register

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

            listener.__name__ = handler.__name__
            self.app.command(name)(listener)
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
