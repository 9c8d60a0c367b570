"""Publishing: store the final document, upload it to the thread, archive it, tell engineering.

The database commit comes first: once it is published in the database, a failed upload or
announcement is retried by hand (`/postmortem publish-again`) and never loses the document."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.slack.messages import refresh_control_message
from bot.slack.people import display_name
from bot.slack.review.views import build_executive_summary
from flows.document import render_markdown
from flows.lifecycle import PUBLISHED
from flows.reminders.plan import moot_kinds_on, plan_follow_ups
from flows.review import ensure_publishable, next_version
from storage.db import session_scope
from storage.queries import audit, postmortems
from storage.queries.reminders import add_reminders, cancel_reminders
from storage.record import PostmortemRecord
from storage.tables import Document

log = logging.getLogger(__name__)


def people_names(client: WebClient, record: PostmortemRecord) -> dict[str, str]:
    """Slack ids in the record → display names, so the document reads @alice, not @U0ALICE."""
    pm = record.postmortem
    ids = {pm.owner_id, pm.facilitator_id, pm.commander_id, *pm.reviewers, *pm.attendees}
    ids |= {a.owner_id for a in record.action_items}
    ids |= {d.reviewer_id for d in record.decisions}
    ids |= {d.author_id for d in record.documents}
    return {uid: display_name(client, uid) for uid in ids if uid}


def render_for(
    deps: Deps, client: WebClient, record: PostmortemRecord, template: str | None = None
) -> str:
    return render_markdown(
        record,
        template=template or record.postmortem.template or deps.policy.default_template,
        templates_dir=deps.settings.templates_dir,
        tz=deps.policy.deadline.timezone,
        now=deps.now(),
        people=people_names(client, record),
    )


def archive_name(record: PostmortemRecord) -> str:
    inc = record.incident
    day: datetime = inc.started_at or inc.resolved_at or inc.created_at
    slug = re.sub(r"[^a-z0-9]+", "-", inc.title.lower()).strip("-")[:60].strip("-") or "incident"
    return f"POST-MORTEM-{day:%Y-%m-%d}-{slug}.md"


def store_document(
    deps: Deps, client: WebClient, pm_id: int, *, actor_id: str, final: bool, change: str
) -> tuple[PostmortemRecord, Document]:
    """Render and keep a version of the document (a review draft)."""
    with session_scope(deps.sessions) as session:
        record = postmortems.load_record(session, pm_id=pm_id)
        document = _document(deps, client, record, actor_id=actor_id, final=final, change=change)
        session.add(document)
    return record, document


def _document(
    deps: Deps,
    client: WebClient,
    record: PostmortemRecord,
    *,
    actor_id: str,
    final: bool,
    change: str,
) -> Document:
    document = Document(
        postmortem_id=record.id,
        version=next_version(record, final=final),
        template=record.postmortem.template or deps.policy.default_template,
        markdown="",
        change=change,
        author_id=actor_id,
        created_at=deps.now(),
    )
    # The version being written belongs in its own changelog.
    record.documents.append(document)
    document.markdown = render_for(deps, client, record)
    return document


def publish(deps: Deps, client: WebClient, pm_id: int, *, actor_id: str) -> Document:
    """Published in one transaction: status, final document, moot reminders, follow-ups."""
    now = deps.now()
    with session_scope(deps.sessions) as session:
        record = postmortems.load_record(session, pm_id=pm_id)
        ensure_publishable(record)
        pm = record.postmortem
        pm.status, pm.published_at, pm.updated_at = PUBLISHED, now, now
        document = _document(
            deps, client, record, actor_id=actor_id, final=True, change="Published after sign-off"
        )
        session.add(pm)
        session.add(document)
        cancel_reminders(
            session, pm_id=pm_id, kinds=moot_kinds_on("published"), now=now, reason="published"
        )
        add_reminders(
            session, plan_follow_ups(pm, deps.policy, now, severity=record.incident.severity)
        )
        audit.add_event(
            session,
            pm_id=pm_id,
            actor_id=actor_id,
            at=now,
            kind="published",
            summary=f"published version {document.version}",
        )
    deliver(deps, client, record, document)
    return document


def deliver(deps: Deps, client: WebClient, record: PostmortemRecord, document: Document) -> None:
    """The published document's three destinations; each failure is logged and reported."""
    pm = record.postmortem
    name = archive_name(record)
    link = permalink(client, pm.channel_id, pm.message_ts)
    problems: list[str] = []
    try:
        client.files_upload_v2(
            channel=pm.channel_id,
            thread_ts=pm.message_ts,
            content=document.markdown,
            filename=name,
            title=f"Post-mortem: {record.incident.title} (v{document.version})",
            initial_comment=f"Published version {document.version} of the post-mortem.",
        )
    except SlackApiError as err:
        problems.append(f"upload to the thread failed: `{err.response.get('error')}`")
    try:
        folder = Path(deps.settings.archive_dir)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(document.markdown, encoding="utf-8")
    except OSError as err:
        problems.append(f"writing the archive file failed: {err}")
    try:
        client.chat_postMessage(
            channel=deps.settings.announce_channel,
            **build_executive_summary(record, link, deps.now()),
        )
    except SlackApiError as err:
        problems.append(
            f"the summary in {deps.settings.announce_channel} failed: `{err.response.get('error')}`"
        )
    refresh_control_message(deps, client, record.id)
    if problems:
        log.error("post-mortem %s published with problems: %s", record.id, "; ".join(problems))
        client.chat_postMessage(
            channel=pm.owner_id,
            text=(
                f":warning: Post-mortem #{record.id} is published and stored, but "
                + "; ".join(problems)
                + f". Run `/postmortem deliver {record.id}` to retry."
            ),
        )


def permalink(client: WebClient, channel: str | None, ts: str | None) -> str | None:
    if not (channel and ts):
        return None
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except SlackApiError:
        return None

