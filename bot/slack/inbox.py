"""Forms saved after their ack: written down first, acked, then saved off the request path.

A form's save is tens of database statements and, under a burst, a wait for SQLite's one
writer; Slack wants its ack within 3 s and the user wants the modal to close now. So a form
listed in bot/slack/modals/saved_after_ack.py is answered in three steps:

1. before the ack, its own checks, which read no database (`check`): a bad field is shown at
   the field, the modal stays open with what was typed;
2. before the ack, the raw submission is written to the inbox, together with the others of
   a burst (storage/inbox_writer.py); a double click finds its key there and is acked with
   nothing more to do;
3. after the ack, the form's usual save (`save`) runs with every check it always had, in a
   transaction that also deletes the inbox row. Should the process die before that commits,
   the sweep saves it (bot/jobs/replay.py); the save's own form key (Ctx.unit) makes a save
   that did commit a no-op the second time.

A check that needs the database (the post-mortem closed meanwhile, the user left the channel)
now refuses after the ack: the user is told privately, with what they typed, so nothing is
lost.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.slack import errors
from bot.slack.context import Ctx, Repeat
from bot.slack.middleware import require_workspace
from flows.errors import PostmortemError
from storage.db import session_scope
from storage.queries import inbox as store

log = logging.getLogger(__name__)

# How long a save may wait for the acks of a burst (seconds): its submission is safe in the
# inbox and its modal closed, so the acks go first for longer than a modal's 1 s.
SAVE_YIELD = 10.0
# What of the typed values a refusal quotes back: under Slack's 3000 characters a text.
QUOTE_MAX = 2400


@dataclass(frozen=True)
class SavedAfterAck:
    # The form's own checks, from the request alone (FieldErrors at the fields).
    check: Callable[[Ctx], None]
    # The save, as it would run before an ack: reads, permission checks, the unit of work.
    save: Callable[[Ctx], object]


def receive(ctx: Ctx) -> int | None:
    """Write the submission down before its ack; None when it already was (a double click)."""
    return ctx.deps.inbox.receive(
        key=ctx.form_key(), callback_id=str(ctx.view.get("callback_id") or ""),
        team_id=ctx.team_id, body=json.dumps(_kept(ctx.body), separators=(",", ":")),
        now=ctx.now(),
    )


def _kept(body: dict[str, Any]) -> dict[str, Any]:
    """The payload as Slack sent it but for the modal's blocks: a save reads the typed values
    (view.state), the metadata and the view's id, never the blocks, which are most of it."""
    view = {k: v for k, v in (body.get("view") or {}).items() if k != "blocks"}
    return {**body, "view": view}


def save(form: SavedAfterAck, ctx: Ctx, submission_id: int) -> None:
    """After the ack (or from the sweep): save the submission, or tell the user why not."""
    ctx.after_ack = True
    ctx.submission_id = submission_id
    try:
        require_workspace(ctx)
        form.save(ctx)
    except Repeat:
        _settle(ctx, submission_id)  # saved before: by the live request, or an earlier sweep
    except PostmortemError as error:
        _settle(ctx, submission_id)
        tell_unsaved(ctx, error)
    except Exception as error:
        with session_scope(ctx.deps.sessions) as session:
            attempts = store.count_failure(session, submission_id=submission_id)
        if attempts >= store.MAX_ATTEMPTS:
            tell_unsaved(ctx, error)
        else:
            log.warning("submission %s not saved (attempt %s of %s), the sweep retries",
                        submission_id, attempts, store.MAX_ATTEMPTS, exc_info=error)


def _settle(ctx: Ctx, submission_id: int) -> None:
    with session_scope(ctx.deps.sessions) as session:
        store.settle(session, submission_id=submission_id)


def tell_unsaved(ctx: Ctx, error: Exception) -> None:
    """The modal is gone: say why it was not saved and give back what was typed."""
    reason = errors.user_message(error, str(ctx.view.get("callback_id") or "view_submission"))
    title = str((ctx.view.get("title") or {}).get("text") or "form")
    typed = [str(v) for v in ctx.values().values() if isinstance(v, str) and v.strip()]
    text = f"{reason}\nYour “{title}” was not saved."
    if typed:
        quoted = "\n".join("> " + line for value in typed for line in value.splitlines())
        if len(quoted) > QUOTE_MAX:
            quoted = quoted[:QUOTE_MAX] + "…"
        text += f" What you typed:\n{quoted}"
    if ctx.user_id:
        errors.tell_text(ctx, text)
