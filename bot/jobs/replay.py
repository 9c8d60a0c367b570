"""Forms acked but never saved: the process that acked one died before its save committed,
and left it in the inbox (bot/slack/inbox.py). The sweep saves it now, with every check the
save always runs; one that did commit is recognised by its form key and saved once."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from bot.deps import Deps
from bot.slack import inbox
from bot.slack.middleware import context_of
from bot.slack.modals.saved_after_ack import FORMS
from storage.db import read_scope, session_scope
from storage.queries import inbox as store
from storage.queries import keys

log = logging.getLogger(__name__)

# A live save starts within seconds of its ack (bot/slack/background.py holds it back 1 s at
# most); a submission older than this one was left by a process that is gone.
ORPHANED_AFTER = timedelta(minutes=1)


def save_unsaved(deps: Deps, now: datetime, limit: int = 100) -> int:
    """Save the orphaned submissions (oldest first); how many were tried."""
    with read_scope(deps.sessions) as session:
        rows = store.unsaved(session, received_before=now - ORPHANED_AFTER, limit=limit)
    for row in rows:
        assert row.id is not None
        form = FORMS.get(row.callback_id)
        if form is None:
            # Only a form this version no longer saves after its ack: nothing can save it.
            log.error("submission %s: no form %r to save it with", row.id, row.callback_id)
            with session_scope(deps.sessions) as session:
                store.count_failure(session, submission_id=row.id)
            continue
        lease = f"submission:{row.id}"
        with session_scope(deps.sessions) as session:
            # Another replica's sweep may be saving it now: one of them tells the user.
            if not keys.take_lease(session, key=lease, now=now):
                continue
        try:
            inbox.save(form, context_of(deps, json.loads(row.body)), row.id)
        finally:
            with session_scope(deps.sessions) as session:
                keys.release_lease(session, key=lease)
    return len(rows)
