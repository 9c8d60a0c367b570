"""The archive: the document committed through GitHub's contents API, created then updated,
and the local file written atomically."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.integrations.archive import (
    DEFAULT_FOLDER,
    ArchiveConfig,
    ArchiveConfigError,
    archive_document,
    archive_place,
    write_local,
)
from bot.integrations.http import TrackerError
from flows.archive import ArchivePlace, archive_name
from tests.fakes.trackers import FakeGitHub, blob_sha
from tests.flows.factories import full_record

REPO = "acme/handbook"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


def config(github: FakeGitHub, repo: str = REPO, **extra: str) -> ArchiveConfig:
    values = {"POSTMORTEM_ARCHIVE_REPO": repo, "GITHUB_TOKEN": FakeGitHub.TOKEN,
              "GITHUB_API_URL": github.url + "/"} | extra
    found = ArchiveConfig.from_values(values)
    assert found is not None
    return found


def test_settings() -> None:
    assert ArchiveConfig.from_values({}) is None
    plain = ArchiveConfig.from_values({"POSTMORTEM_ARCHIVE_REPO": "acme/docs", "GITHUB_TOKEN": "t"})
    assert plain is not None
    assert (plain.repo, plain.folder, plain.api_url) == (
        "acme/docs", DEFAULT_FOLDER, "https://api.github.com")
    folder = ArchiveConfig.from_values(
        {"POSTMORTEM_ARCHIVE_REPO": "acme/docs:/ops//pm/", "GITHUB_TOKEN": "t"})
    assert folder is not None and folder.path_for("x.md") == "ops/pm/x.md"
    root = ArchiveConfig.from_values({"POSTMORTEM_ARCHIVE_REPO": "acme/docs:/",
                                      "GITHUB_TOKEN": "t"})
    assert root is not None and root.path_for("x.md") == "x.md"
    for bad in ("acme", "acme/docs/extra", "acme/docs:../up", "/docs"):
        with pytest.raises(ArchiveConfigError, match="POSTMORTEM_ARCHIVE_REPO"):
            ArchiveConfig.from_values({"POSTMORTEM_ARCHIVE_REPO": bad, "GITHUB_TOKEN": "t"})
    with pytest.raises(ArchiveConfigError, match="GITHUB_TOKEN"):
        ArchiveConfig.from_values({"POSTMORTEM_ARCHIVE_REPO": "acme/docs"})


def test_publish_creates_then_republish_updates_the_same_file(github: FakeGitHub) -> None:
    cfg = config(github)
    name = archive_name(full_record())
    path = cfg.path_for(name)
    assert path == "docs/operations/post-mortems/2026-03-14-INC-2026-03-14-001-checkout-api-" \
        "returned-500-errors.md"
    first = archive_document(cfg, path, "# v1\n", message="Publish INC-2026-03-14-001 v1.0")
    assert first.created and first.changed
    assert first.url == f"https://github.com/{REPO}/blob/main/{path}"
    assert github.file(REPO, path) == "# v1\n"
    second = archive_document(cfg, path, "# v2 — naïve\n", message="Republish v1.1")
    assert not second.created and second.changed
    assert github.file(REPO, path) == "# v2 — naïve\n"
    put = [r for r in github.requests if r.method == "PUT"]
    assert "sha" not in put[0].body and put[1].body["sha"] == first.sha
    assert [c[3] for c in github.commits] == ["Publish INC-2026-03-14-001 v1.0", "Republish v1.1"]
    # Publishing the same text again makes no commit.
    same = archive_document(cfg, path, "# v2 — naïve\n", message="again")
    assert not same.changed and len(github.commits) == 2


def test_a_concurrent_update_is_read_again_and_retried(github: FakeGitHub) -> None:
    cfg = config(github)
    path = cfg.path_for("a.md")
    archive_document(cfg, path, "one\n", message="one")
    # Between our read and our write another replica commits: GitHub answers 409 once.
    github.fail_next(409, {"message": "a.md does not match"}, method="PUT")
    done = archive_document(cfg, path, "two\n", message="two")
    assert done.changed and github.file(REPO, path) == "two\n"
    assert done.sha == blob_sha(b"two\n")


def test_branch_and_non_ascii_names(github: FakeGitHub) -> None:
    cfg = config(github, "acme/handbook:pm", POSTMORTEM_ARCHIVE_BRANCH="docs")
    path = cfg.path_for("2026-11-21-INC-7-сбой-оплаты.md")
    archive_document(cfg, path, "x\n", message="m")
    assert github.file(REPO, path, branch="docs") == "x\n"
    assert github.file(REPO, path) is None
    get = next(r for r in github.requests if r.method == "GET")
    assert get.query == {"ref": ["docs"]} and get.path.endswith("сбой-оплаты.md")


def test_failures_are_readable(github: FakeGitHub) -> None:
    cfg = config(github)
    bad = ArchiveConfig(token="wrong", repo=REPO, api_url=github.url)
    with pytest.raises(TrackerError, match="GitHub archive answered 401: Bad credentials"):
        archive_document(bad, cfg.path_for("a.md"), "x", message="m")
    github.fail_next(403, {"message": "Resource not accessible by integration"})
    with pytest.raises(TrackerError, match="403: Resource not accessible"):
        archive_document(cfg, cfg.path_for("a.md"), "x", message="m")
    offline = ArchiveConfig(token="t", repo=REPO, api_url="http://127.0.0.1:9")
    with pytest.raises(TrackerError, match="could not be reached"):
        archive_document(offline, "a.md", "x", message="m")


def test_settings_carry_the_archive_repo() -> None:
    from bot.settings import Settings

    settings = Settings.from_env({"POSTMORTEM_ARCHIVE_REPO": "acme/docs:pm",
                                  "GITHUB_TOKEN": "t"}, dotenv=None)
    found = ArchiveConfig.from_values(settings.extra)
    assert found is not None and found.path_for("a.md") == "pm/a.md"


def test_the_local_file_is_replaced_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "archive"
    path = write_local(folder, "a.md", "# v1\n")
    assert path == folder / "a.md" and path.read_text() == "# v1\n"
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)

    def crash(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("bot.integrations.archive.os.replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_local(folder, "a.md", "# v2, half written\n")
    assert path.read_text() == "# v1\n"
    assert [p.name for p in folder.iterdir()] == ["a.md"]  # no temporary file left behind
    with pytest.raises(ValueError):
        write_local(folder, "../escape.md", "x")


def test_the_place_documents_name_as_their_archive() -> None:
    assert archive_place(Path("docs/operations/post-mortems"), {}) == ArchivePlace(
        "docs/operations/post-mortems/")
    github = {"POSTMORTEM_ARCHIVE_REPO": REPO, "GITHUB_TOKEN": "t"}
    assert archive_place(Path("local"), github) == ArchivePlace(
        DEFAULT_FOLDER, f"https://github.com/{REPO}/blob/HEAD/{DEFAULT_FOLDER}")
    enterprise = {**github, "POSTMORTEM_ARCHIVE_REPO": f"{REPO}:incidents/post mortems",
                  "GITHUB_API_URL": "https://git.acme.com/api/v3/",
                  "POSTMORTEM_ARCHIVE_BRANCH": "docs/pm"}
    assert archive_place(Path("local"), enterprise) == ArchivePlace(
        "incidents/post mortems/",
        f"https://git.acme.com/{REPO}/blob/docs/pm/incidents/post%20mortems/")
    # Another API address says nothing of the web pages: the path alone, no guessed link.
    assert archive_place(Path("local"), {**github, "GITHUB_API_URL": "http://127.0.0.1:9"}) == (
        ArchivePlace(DEFAULT_FOLDER))
    # A malformed setting is reported by publishing; the local folder is still written.
    assert archive_place(Path("local"), {"POSTMORTEM_ARCHIVE_REPO": "acme"}) == (
        ArchivePlace("local/"))
