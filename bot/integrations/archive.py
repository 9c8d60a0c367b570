"""The post-mortem archive: a local folder (POSTMORTEM_ARCHIVE_DIR), and a GitHub repository
through the contents API when configured.

The local file is written atomically: a temporary file beside it, then a rename, so a reader
(or a crash) never sees half a document.

POSTMORTEM_ARCHIVE_REPO is `owner/repo` or `owner/repo:folder` (default folder
`docs/operations/post-mortems/`); GITHUB_TOKEN (Contents: read and write) and GITHUB_API_URL
are the ones the GitHub tracker uses; POSTMORTEM_ARCHIVE_BRANCH picks a branch other than
the repository's default. Publishing creates `<folder>/<name>.md`; republishing updates the
same file with its current sha, so each version is one commit in the repository's history.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bot.integrations.github import DEFAULT_API_URL, call_api
from bot.integrations.http import TrackerError
from flows.archive import ArchivePlace

DEFAULT_FOLDER = "docs/operations/post-mortems/"
NAME = "GitHub archive"


class ArchiveConfigError(ValueError):
    """POSTMORTEM_ARCHIVE_REPO is malformed; the message names the setting."""


@dataclass(frozen=True)
class ArchiveConfig:
    token: str
    repo: str
    folder: str = DEFAULT_FOLDER
    api_url: str = DEFAULT_API_URL
    branch: str | None = None

    @classmethod
    def from_values(cls, values: Mapping[str, str]) -> ArchiveConfig | None:
        """None when no archive repository is configured (the local folder stays the archive)."""
        raw = (values.get("POSTMORTEM_ARCHIVE_REPO") or "").strip()
        if not raw:
            return None
        token = (values.get("GITHUB_TOKEN") or "").strip()
        if not token:
            raise ArchiveConfigError("POSTMORTEM_ARCHIVE_REPO is set but GITHUB_TOKEN is not")
        repo, _, folder = raw.partition(":")
        return cls(
            token=token, repo=parse_repo(repo), folder=parse_folder(folder or DEFAULT_FOLDER),
            api_url=(values.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
            branch=(values.get("POSTMORTEM_ARCHIVE_BRANCH") or "").strip() or None,
        )

    def path_for(self, name: str) -> str:
        if "/" in name or name in ("", ".", ".."):
            raise ValueError(f"not a file name: {name!r}")
        return self.folder + name


def archive_place(archive_dir: Path, values: Mapping[str, str]) -> ArchivePlace:
    """Where published documents are archived, as the document names it: the GitHub
    repository's folder when one is configured (the copy everyone can read; its path as
    `after_publish` stores it), else the local folder as configured."""
    try:
        config = ArchiveConfig.from_values(values)
    except ArchiveConfigError:
        config = None  # publishing reports it; the local folder is still written
    if config is None:
        return ArchivePlace(folder=str(archive_dir).rstrip("/") + "/")
    return ArchivePlace(folder=config.folder, web=web_folder(config))


def web_folder(config: ArchiveConfig) -> str | None:
    """The folder's page on github.com or on a GitHub Enterprise server (API at `/api/v3`);
    None for another API address, whose web address cannot be told from it. Without a branch
    set, `HEAD` is the repository's default branch."""
    api = config.api_url.rstrip("/")
    if api == DEFAULT_API_URL:
        site = "https://github.com"
    elif api.endswith("/api/v3"):
        site = api.removesuffix("/api/v3")
    else:
        return None
    return f"{site}/{config.repo}/blob/{quote(config.branch or 'HEAD')}/{quote(config.folder)}"


def parse_repo(value: str) -> str:
    parts = value.strip().split("/")
    if len(parts) != 2 or not all(parts) or any(p in (".", "..") for p in parts):
        raise ArchiveConfigError(
            f"POSTMORTEM_ARCHIVE_REPO: “{value}” is not owner/repo[:folder]")
    return "/".join(parts)


def parse_folder(value: str) -> str:
    """`a/b/` with no empty, `.` or `..` segments; "" means the repository's root."""
    segments = [s for s in value.strip().strip("/").split("/") if s]
    if any(s in (".", "..") for s in segments):
        raise ArchiveConfigError(f"POSTMORTEM_ARCHIVE_REPO: folder “{value}” leaves the repo")
    return "".join(s + "/" for s in segments)


def write_local(folder: Path, name: str, markdown: str) -> Path:
    """`folder/name` holds `markdown` (created or replaced whole); returns its path."""
    if "/" in name or os.sep in name or name in ("", ".", ".."):
        raise ValueError(f"not a file name: {name!r}")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(markdown)
            out.flush()
            os.fsync(out.fileno())
        # mkstemp makes the file private; an archive is for reading.
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


@dataclass(frozen=True)
class ArchivedFile:
    path: str
    url: str  # the file on GitHub, for the thread
    sha: str  # the blob's sha, needed for the next update
    commit_sha: str | None
    created: bool
    changed: bool


def archive_document(
    config: ArchiveConfig, path: str, markdown: str, *, message: str
) -> ArchivedFile:
    """Create or update `path` with `markdown`; unchanged content makes no commit.

    A concurrent update (another replica republishing) shows as a sha conflict: the current
    sha is read again and the write retried once.
    """
    for attempt in range(2):
        current = _get(config, path)
        if current is not None and _decoded(current) == markdown:
            return ArchivedFile(path, str(current.get("html_url") or ""), str(current["sha"]),
                                None, created=False, changed=False)
        body: dict[str, Any] = {
            "message": message,
            "content": base64.b64encode(markdown.encode("utf-8")).decode("ascii"),
        }
        if current is not None:
            body["sha"] = current["sha"]
        if config.branch:
            body["branch"] = config.branch
        try:
            answer = _call(config, "PUT", _url(config, path), body)
        except TrackerError as err:
            if err.status in (409, 422) and attempt == 0:
                continue
            raise
        if not isinstance(answer, dict) or not isinstance(answer.get("content"), dict):
            raise TrackerError(f"{NAME} answered without the file")
        content, commit = answer["content"], answer.get("commit") or {}
        return ArchivedFile(path, str(content.get("html_url") or ""), str(content["sha"]),
                            commit.get("sha"), created=current is None, changed=True)
    raise TrackerError(f"{NAME}: {path} kept changing while we wrote it")  # pragma: no cover


def _get(config: ArchiveConfig, path: str) -> dict[str, Any] | None:
    url = _url(config, path)
    if config.branch:
        url += "?ref=" + quote(config.branch, safe="")
    try:
        answer = _call(config, "GET", url, None)
    except TrackerError as err:
        if err.status == 404:
            return None
        raise
    if isinstance(answer, list) or not isinstance(answer, dict) or answer.get("type") != "file":
        raise TrackerError(f"{NAME}: {path} exists and is not a file")
    return answer


def _decoded(entry: Mapping[str, Any]) -> str | None:
    if entry.get("encoding") != "base64" or entry.get("content") is None:
        return None  # files over 1 MB come without content: just write
    try:
        return base64.b64decode(str(entry["content"])).decode("utf-8")
    except ValueError:
        return None


def _url(config: ArchiveConfig, path: str) -> str:
    return f"{config.api_url}/repos/{config.repo}/contents/{quote(path, safe='/')}"


def _call(config: ArchiveConfig, method: str, url: str, body: Any) -> Any:
    return call_api(config.token, method, url, body, name=NAME)
