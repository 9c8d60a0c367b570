"""Publishing, end to end over signed HTTP: one archive file per post-mortem (local folder and
GitHub repository), the link in the thread, the executive summary exactly once, names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from flows.archive import archive_name
from flows.document.offline import render_stored
from storage.queries import postmortems
from storage.queries.names import channel_names, person_names
from storage.tables import Document, Postmortem
from tests.bot.test_review_publish import make_postmortem, publish_via_slack
from tests.fakes.trackers import FakeGitHub
from tests.harness import USERS, FakeClock, Harness, running_bot

REPO = "acme/handbook"
TITLES = ["Checkout down", "Checkout down!", "Сбой оплаты", "決済障害", "Paiement échoué"]


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture
def archived(
    sqlite_url: str, clock: FakeClock, tmp_path: Path, github: FakeGitHub
) -> Iterator[Harness]:
    """The bot with POSTMORTEM_ARCHIVE_REPO set (and the local folder, as always)."""
    extra = {"POSTMORTEM_ARCHIVE_REPO": f"{REPO}:post-mortems", "GITHUB_TOKEN": FakeGitHub.TOKEN,
             "GITHUB_API_URL": github.url}
    with running_bot(sqlite_url, clock, tmp_path, extra=extra) as bot:
        yield bot


def channel(bot: Harness, n: int) -> str:
    """A channel per post-mortem, so their thread notes never queue behind each other."""
    channel_id = f"C0PM{n}"
    bot.emu.add_channel(channel_id, f"inc-{n}", members=[u for u, _, _ in USERS])
    return channel_id


def final(bot: Harness, pm_id: int) -> Document:
    with bot.session() as session:
        docs = session.exec(select(Document).where(Document.postmortem_id == pm_id)).all()
    return next(d for d in docs if d.version == "1.0")


def summaries(bot: Harness, where: str = "#engineering") -> list:
    return [c for c in bot.emu.calls_to("chat.postMessage")
            if c.ok and c.args.get("channel") == where]


def test_five_colliding_and_non_ascii_titles_make_five_files(
    archived: Harness, github: FakeGitHub
) -> None:
    # Issue 9 finding 5: these used to share one file ("checkout-down") or "…-incident.md".
    bot = archived
    ids = [make_postmortem(bot, title=t, channel_id=channel(bot, n)) for n, t in
           enumerate(TITLES)]
    for pm_id in ids:
        publish_via_slack(bot, pm_id)
    folder = bot.deps.settings.archive_dir
    local = sorted(p.name for p in folder.iterdir())
    assert len(local) == 5 and not [n for n in local if n.startswith(".")]
    committed = {path for (_, _, path) in github.files}
    assert len(committed) == 5
    for pm_id in ids:
        with bot.session() as session:
            record = postmortems.load_record(session, pm_id=pm_id)
        name = archive_name(record)
        document = final(bot, pm_id)
        assert (folder / name).read_text(encoding="utf-8") == document.markdown
        assert github.file(REPO, f"post-mortems/{name}") == document.markdown
        pm = record.postmortem
        assert pm.archive_path == f"post-mortems/{name}"
        assert pm.archive_url == f"https://github.com/{REPO}/blob/main/post-mortems/{name}"
        thread = [m for m in bot.emu.messages(pm.channel_id) if m.get("thread_ts")]
        assert any(pm.archive_url in m["text"] for m in thread)
    assert "2026-11-21-INC-2026-11-21-003-сбой-оплаты.md" in local


def test_redelivery_updates_its_own_file_and_posts_nothing_twice(
    archived: Harness, github: FakeGitHub
) -> None:
    bot = archived
    pm_id = make_postmortem(bot)
    publish_via_slack(bot, pm_id)
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        path = pm.archive_path
        # Renamed after publishing: the archive keeps its file, never starts a second one.
        postmortems.get_incident(session, incident_id=pm.incident_id).title = "Renamed"
        session.commit()
    github.put_file(REPO, path, "someone edited it by hand\n")
    uploads, commits = len(bot.emu.uploaded_files), len(github.commits)
    response = bot.slack.command("/postmortem", text=f"deliver {pm_id}", user_id="U0ALICE",
                                 channel_id="C0INCIDENT")
    assert response.status == 200
    bot.settle()
    assert github.file(REPO, path) == final(bot, pm_id).markdown
    assert len(github.commits) == commits + 1 and {p for (_, _, p) in github.files} == {path}
    assert [p.name for p in bot.deps.settings.archive_dir.iterdir()] == [Path(path).name]
    # The upload and the executive summary went out with the publish: not again.
    assert len(bot.emu.uploaded_files) == uploads
    assert len(summaries(bot)) == 1


def test_a_summary_slack_refused_is_sent_once_by_deliver(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    with running_bot(sqlite_url, clock, tmp_path, announce_channel="#incident-reviews") as bot:
        pm_id = make_postmortem(bot)
        publish_via_slack(bot, pm_id)  # the channel does not exist yet: Slack refuses
        assert summaries(bot, "#incident-reviews") == []
        bot.emu.add_channel("C0REVIEWS", "incident-reviews",
                            members=[u for u, _, _ in USERS])
        for _ in range(2):
            bot.slack.command("/postmortem", text=f"deliver {pm_id}", user_id="U0ALICE",
                              channel_id="C0INCIDENT")
            bot.settle()
        sent = summaries(bot, "#incident-reviews")
        assert len(sent) == 1
        blocks = str(sent[0].args["blocks"])
        # The durations say what they measure, as the document does (flows/durations.py).
        assert "Impact window: 50 min (from first symptom to resolution)" in blocks
        assert "Time to detect: 4 min (from first symptom to detection)" in blocks
        assert "Checkout failed for 46 minutes" in blocks  # the author's summary


def test_the_document_names_people_and_channels_and_remembers_them(bot: Harness) -> None:
    pm_id = make_postmortem(bot)
    publish_via_slack(bot, pm_id)
    markdown = final(bot, pm_id).markdown
    assert "@alice" in markdown and "U0ALICE" not in markdown
    assert "#inc-checkout" in markdown and "C0INCIDENT" not in markdown
    with bot.session() as session:
        assert person_names(session, team_id=None, user_ids=["U0ALICE", "U0DAN"]) == {
            "U0ALICE": "alice", "U0DAN": "dan"}
        assert channel_names(session, team_id=None, channel_ids=["C0INCIDENT"]) == {
            "C0INCIDENT": "inc-checkout"}


def test_a_failed_archive_is_told_to_the_owner(
    archived: Harness, github: FakeGitHub
) -> None:
    bot = archived
    pm_id = make_postmortem(bot)
    github.fail_next(403, {"message": "Resource not accessible by integration"}, method="PUT")
    publish_via_slack(bot, pm_id)
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
    assert pm.status == "published" and pm.archive_url is None
    told = [m["text"] for m in bot.emu.messages(bot.emu.im_channel("U0ALICE"))]
    assert any("403: Resource not accessible" in t and f"/postmortem deliver {pm_id}" in t
               for t in told)
    bot.slack.command("/postmortem", text=f"deliver {pm_id}", user_id="U0ALICE",
                      channel_id="C0INCIDENT")
    bot.settle()
    with bot.session() as session:
        assert session.get(Postmortem, pm_id).archive_url


def location(markdown: str) -> str:
    return next(line for line in markdown.splitlines() if line.startswith("**Archive Location:**"))


def versions(bot: Harness, pm_id: int) -> dict[str, str]:
    with bot.session() as session:
        docs = session.exec(select(Document).where(Document.postmortem_id == pm_id)).all()
    return {d.version: d.markdown for d in docs}


def test_the_archived_document_names_its_own_file(bot: Harness) -> None:
    # The version the archive holds used to say "Not archived yet".
    pm_id = make_postmortem(bot)
    publish_via_slack(bot, pm_id)
    [archived] = bot.deps.settings.archive_dir.iterdir()
    markdown = archived.read_text(encoding="utf-8")
    assert markdown == versions(bot, pm_id)["1.0"]
    assert location(markdown).endswith(f"/archive/{archived.name}")
    assert location(versions(bot, pm_id)["0.1"]) == "**Archive Location:** Not archived yet"


def test_the_repository_copy_names_its_path_then_links_it(
    archived: Harness, github: FakeGitHub
) -> None:
    bot = archived
    pm_id = make_postmortem(bot)
    publish_via_slack(bot, pm_id)
    with bot.session() as session:
        record = postmortems.load_record(session, pm_id=pm_id)
        again = render_stored(session, record, template="comprehensive", tz="UTC",
                              now=bot.clock())
    path = f"post-mortems/{archive_name(record)}"
    # The fake's API address tells no web address: the path, no guessed link.
    assert location(github.file(REPO, path)) == f"**Archive Location:** {path}"
    assert location(again) == f"**Archive Location:** [{path}]({record.postmortem.archive_url})"
