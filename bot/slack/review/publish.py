"""What a published version owes the world: the document in the thread, the executive summary
in the announce channel, and the archive (a local folder and/or a GitHub repository).

The Slack parts are outbox rows written in the publishing transaction, each under a key that
names the version, so a retry or a redelivery never posts one twice. The archive is written
right after the commit; a failure there is told to the owner (through the outbox too) and
`/postmortem deliver ID` writes it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.deps import Deps
from bot.integrations.archive import (
    ArchiveConfig,
    ArchiveConfigError,
    archive_document,
    write_local,
)
from bot.integrations.http import TrackerError
from bot.slack import blocks as bk
from bot.slack import outbox
from bot.slack.delivery import deliver_now
from bot.slack.review.views import build_executive_summary
from flows.archive import file_name
from flows.publishing import record_archive
from storage.db import session_scope
from storage.kinds import MESSAGE, UPLOAD
from storage.queries import postmortems
from storage.queries.outbox import retry_outbox
from storage.record import DocumentData, PostmortemRecord
from storage.tables import Document

log = logging.getLogger(__name__)


def permalink(client: WebClient, channel: str | None, ts: str | None) -> str | None:
    """The thread's link for messages elsewhere (a read; None when Slack cannot say)."""
    if not (channel and ts):
        return None
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except SlackApiError:
        return None


def summary_key(record: PostmortemRecord, document: DocumentData) -> str:
    return f"summary:{record.id}:{document.version}"


def queue_publication(
    session: Session, deps: Deps, record: PostmortemRecord, document: DocumentData, *,
    link: str | None, now: datetime,
) -> list[int]:
    """The version's upload to the thread and its executive summary, each once."""
    pm = record.postmortem
    stem = file_name(record).removesuffix(".md")
    ids = outbox.upload(
        session, pm, document, filename=f"{stem}-v{document.version}.md", now=now,
        title=f"Post-mortem: {record.incident.title} (v{document.version})",
        comment=f"Published version {document.version} of the post-mortem.",
    )
    message = build_executive_summary(record, link, deps.policy.deadline.timezone)
    return ids + outbox.post(session, channel=deps.settings.announce_channel, message=message,
                             key=summary_key(record, document), now=now, pm_id=record.id,
                             team_id=pm.team_id)


@dataclass
class Archived:
    path: str | None = None
    url: str | None = None
    problems: list[str] = field(default_factory=list)


def archive(deps: Deps, record: PostmortemRecord, document: Document) -> Archived:
    """Write the version to the local folder and, when configured, commit it to GitHub."""
    name, done = file_name(record), Archived()
    try:
        done.path = str(write_local(Path(deps.settings.archive_dir), name, document.markdown))
    except OSError as err:
        done.problems.append(f"writing the archive file failed: {err}")
    try:
        config = ArchiveConfig.from_values(deps.settings.extra)
    except ArchiveConfigError as err:
        done.problems.append(str(err))
        return done
    if config is None:
        return done
    message = (f"Post-mortem {record.incident.reference} v{document.version}: "
               f"{record.incident.title}")
    try:
        found = archive_document(config, config.path_for(name), document.markdown,
                                 message=message[:250])
    except TrackerError as err:
        done.problems.append(f"committing it to {config.repo} failed: {err}")
        return done
    done.path, done.url = found.path, found.url or None
    return done


def after_publish(deps: Deps, pm_id: int, document_id: int) -> Archived:
    """Archive a published version, remember where, and say so in the thread (once per
    version); a problem goes to the owner with the command that retries."""
    with session_scope(deps.sessions) as session:
        record = postmortems.load_record(session, pm_id=pm_id)
        document = postmortems.get_document(session, pm_id=pm_id, document_id=document_id)
    done = archive(deps, record, document)
    now, pm = deps.now(), record.postmortem
    with session_scope(deps.sessions) as session:
        record_archive(session, pm_id=pm_id, path=done.path, url=done.url)
        ids: list[int] = []
        if done.url and pm.channel_id and pm.message_ts:
            text = (f":card_index_dividers: Version {document.version} is archived: "
                    f"<{bk.escape(done.url)}|{bk.escape(Path(done.path or '').name)}>")
            ids += outbox.post(session, channel=pm.channel_id, thread_ts=pm.message_ts,
                               message={"text": text}, now=now, pm_id=pm_id,
                               team_id=pm.team_id, key=f"archived:{pm_id}:{document.version}")
        if done.problems:
            log.error("post-mortem %s published with problems: %s", pm_id,
                      "; ".join(done.problems))
            text = (f":warning: Post-mortem #{pm_id} is published and stored, but "
                    + bk.escape("; ".join(done.problems))
                    + f". Run `/postmortem deliver {pm_id}` to retry.")
            ids += outbox.post(session, channel=pm.owner_id, message={"text": text}, now=now,
                               pm_id=pm_id, team_id=pm.team_id)
    deliver_now(deps, ids)
    return done


def deliver(
    deps: Deps, client: WebClient, record: PostmortemRecord, document: DocumentData
) -> None:
    """`/postmortem deliver ID`: what this published version still owes Slack goes out now
    (never a second copy of what went out), and the archive is written again."""
    link = permalink(client, record.postmortem.channel_id, record.postmortem.message_ts)
    now = deps.now()
    with session_scope(deps.sessions) as session:
        pm = postmortems.get_postmortem(session, pm_id=record.id)
        ids = queue_publication(session, deps, record, document, link=link, now=now)
        # Anything this post-mortem's thread or summary waits for goes now, not at its retry.
        ids += retry_outbox(session, pm_id=record.id, kinds=[MESSAGE, UPLOAD], now=now)
        ids += outbox.refresh(session, pm, now=now)
    deliver_now(deps, list(dict.fromkeys(ids)))
    assert document.id is not None
    after_publish(deps, record.id, document.id)
