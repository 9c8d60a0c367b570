"""The archived document's file name: `<date>-<reference>-<title slug>.md`.

The reference is unique per incident, so the name is too: when making the reference safe for
a path changes it (or leaves room for a case-only clash on case-insensitive disks), a short
hash of the original keeps two references from landing on one name. Titles keep their
letters: accents are dropped ("Bašić" → "basic"), other scripts stay as they are ("сбой").
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime

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
