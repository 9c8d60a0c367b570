"""The archived document's file name, `<date>-<reference>-<title slug>.md`, and the place the
document names as its archive location.

The reference is unique per incident, so the name is too: when making the reference safe for
a path changes it (or leaves room for a case-only clash on case-insensitive disks), a short
hash of the original keeps two references from landing on one name. Titles keep their
letters: accents are dropped ("Bašić" → "basic"), other scripts stay as they are ("сбой").
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from urllib.parse import quote

from storage.record import PostmortemRecord

SLUG_MAX = 60
_SAFE_REF = re.compile(r"[^A-Za-z0-9._-]+")


def slug(text: str, limit: int = SLUG_MAX) -> str:
    """Lower-case letters and digits of any script, joined by single hyphens."""
    out: list[str] = []
    dash = False
    for ch in "".join(_plain(c) for c in unicodedata.normalize("NFC", text)).lower():
        if ch.isalnum():
            if dash and out:
                out.append("-")
            out.append(ch)
            dash = False
        else:
            dash = True
    return "".join(out)[:limit].strip("-")


def _plain(ch: str) -> str:
    """Latin letters lose their accents (é → e, ß stays); other scripts keep theirs (й stays)."""
    if ch.isascii() or not unicodedata.name(ch, "").startswith("LATIN"):
        return ch
    return "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))


def safe_reference(reference: str) -> str:
    ref = _SAFE_REF.sub("-", reference.strip()).strip("-.") or "incident"
    if ref != reference or ref != ref.upper():
        ref += "-" + hashlib.sha1(reference.encode("utf-8")).hexdigest()[:6]
    return ref


def archive_name(record: PostmortemRecord) -> str:
    """e.g. `2026-11-21-INC-2026-11-21-001-checkout-down.md`; the date is the incident's (UTC)."""
    inc = record.incident
    day: datetime = inc.started_at or inc.resolved_at or inc.created_at
    parts = [f"{day:%Y-%m-%d}", safe_reference(inc.reference)]
    if title := slug(inc.title):
        parts.append(title)
    return "-".join(parts) + ".md"


def file_name(record: PostmortemRecord) -> str:
    """The archive's file name; a post-mortem archived before keeps its own file."""
    stored = record.postmortem.archive_path
    return PurePosixPath(stored).name if stored else archive_name(record)


@dataclass(frozen=True)
class ArchivePlace:
    """Where this installation archives published documents: the folder as a reader should see
    it (`docs/operations/post-mortems/`, or a GitHub repository's folder) and, when it has one,
    the folder's web address."""

    folder: str
    web: str | None = None


def archive_location(
    place: ArchivePlace | None, record: PostmortemRecord, *, publishing: bool
) -> tuple[str | None, str | None]:
    """(where, link) for the document's archive location. Once a version is archived, where it
    went, as stored. The version being published is written to the archive after it is
    rendered, under a name known before: it names its own file rather than saying it is not
    archived yet."""
    pm = record.postmortem
    if pm.archive_path or not (publishing and place):
        return pm.archive_path, pm.archive_url
    name = archive_name(record)
    return place.folder + name, (place.web + quote(name) if place.web else None)
