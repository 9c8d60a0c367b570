"""Typed times for the timeline: `14:05`, `2026-11-21 14:05`, `14:05 CET`, `yesterday 22:40`.

Parsed with python-dateutil against the incident's date and the user's own time zone: the
server's zone is never used. Zone abbreviations are mapped explicitly, because dateutil
would otherwise guess from the host (or drop them silently)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as du_parser
from dateutil import tz as du_tz

from flows.errors import FieldErrors

# Abbreviations people type in incident channels. Ambiguous ones (IST, CST, BST…) are mapped
# to what most teams mean only when unambiguous enough; the rest must be typed as IANA names.
ZONE_ABBREVIATIONS: dict[str, tzinfo] = {
    "UTC": UTC,
    "GMT": UTC,
    "Z": UTC,
    "CET": du_tz.tzoffset("CET", 3600),
    "CEST": du_tz.tzoffset("CEST", 7200),
    "EET": du_tz.tzoffset("EET", 7200),
    "EEST": du_tz.tzoffset("EEST", 10800),
    "WET": du_tz.tzoffset("WET", 0),
    "WEST": du_tz.tzoffset("WEST", 3600),
    "BST": du_tz.tzoffset("BST", 3600),
    "MSK": du_tz.tzoffset("MSK", 10800),
    "EST": du_tz.tzoffset("EST", -5 * 3600),
    "EDT": du_tz.tzoffset("EDT", -4 * 3600),
    "CDT": du_tz.tzoffset("CDT", -5 * 3600),
    "MST": du_tz.tzoffset("MST", -7 * 3600),
    "MDT": du_tz.tzoffset("MDT", -6 * 3600),
    "PST": du_tz.tzoffset("PST", -8 * 3600),
    "PDT": du_tz.tzoffset("PDT", -7 * 3600),
    "JST": du_tz.tzoffset("JST", 9 * 3600),
    "AEST": du_tz.tzoffset("AEST", 10 * 3600),
    "AEDT": du_tz.tzoffset("AEDT", 11 * 3600),
}
AMBIGUOUS = {"IST", "CST", "AST", "SST"}
_RELATIVE = re.compile(r"^\s*(today|yesterday|tomorrow)\b[\s,]*(?:at\s+)?", re.IGNORECASE)
_IANA = re.compile(r"\s+([A-Za-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?)\s*$")
_ABBR = re.compile(r"\s+([A-Za-z]{1,5})\s*$")
_OFFSET = re.compile(r"[+-]\d{2}:?\d{2}\s*$")
# A clock time must be spelled out: dateutil reads "14.05" as 14 November and "1405" as a year.
_CLOCK = re.compile(r"\d{1,2}:\d{2}|\d{1,2}\s*[ap]\.?m\b", re.IGNORECASE)
# What most entries are ("14:05", "14:05:30"): read here, as dateutil would read it, because
# dateutil's general parser was the larger part of a timeline entry's checks before its ack.
_BARE_CLOCK = re.compile(r"\s*([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?\s*")


def parse_typed_time(
    text: str, *, user_tz: str, default_day: date, now: datetime, field: str = "time"
) -> datetime:
    """The moment `text` names, as aware UTC; unclear input is a field error, never a guess."""
    raw = " ".join(text.split())
    if not raw:
        raise FieldErrors({field: "Type a time, e.g. 14:05 or 2026-11-21 14:05."})
    if not re.search(r"\d", raw):
        # Checked first: otherwise the last word ("after lunch") would be read as a zone.
        raise FieldErrors({field: f"“{text}” has no time in it."})
    try:
        local_zone: tzinfo = ZoneInfo(user_tz)
    except (ZoneInfoNotFoundError, ValueError):
        local_zone = UTC
    zone: tzinfo = local_zone
    body = raw
    if match := _IANA.search(body):
        try:
            zone = ZoneInfo(match.group(1))
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise FieldErrors({field: f"Unknown time zone “{match.group(1)}”."}) from err
        body = body[: match.start()]
    elif (match := _ABBR.search(body)) and match.group(1).lower() not in ("am", "pm"):
        abbr = match.group(1).upper()
        if abbr in AMBIGUOUS:
            raise FieldErrors({field: f"“{abbr}” is ambiguous: use a zone like Asia/Kolkata."})
        if abbr not in ZONE_ABBREVIATIONS:
            raise FieldErrors({field: f"Unknown time zone “{match.group(1)}”."})
        zone = ZONE_ABBREVIATIONS[abbr]
        body = body[: match.start()]
    day = default_day
    if match := _RELATIVE.match(body):
        # The user's "yesterday", not the server's, and not the incident's day.
        today = now.astimezone(local_zone).date()
        shift = {"today": 0, "yesterday": -1, "tomorrow": 1}[match.group(1).lower()]
        day = today + timedelta(days=shift)
        body = body[match.end() :]
        if re.search(r"\d{4}-\d{2}-\d{2}|/", body):
            raise FieldErrors({field: "Give either a relative day or a date, not both."})
    if not re.search(r"\d", body):
        raise FieldErrors({field: f"“{text}” has no time in it."})
    if not _CLOCK.search(body):
        raise FieldErrors({field: f"“{text}” has no time of day I can read: write it like 14:05."})
    if bare := _BARE_CLOCK.fullmatch(body):
        hour, minute, second = (int(g or 0) for g in bare.groups())
        parsed = datetime(day.year, day.month, day.day, hour, minute, second)
    else:
        try:
            parsed = du_parser.parse(
                body, default=datetime(day.year, day.month, day.day), dayfirst=False,
                fuzzy=False)
        except (ValueError, OverflowError) as err:
            raise FieldErrors({field: f"I can't read “{text}” as a time, e.g. 14:05."}) from err
    if slashed := re.match(r"\s*(\d{1,2})/(\d{1,2})\b", body):
        first, second = int(slashed.group(1)), int(slashed.group(2))
        if first <= 12 and second <= 12 and first != second:
            raise FieldErrors({field: f"“{text}” is ambiguous (day/month?): use YYYY-MM-DD."})
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
        if isinstance(zone, ZoneInfo) and not _exists(parsed):
            raise FieldErrors({field: f"{parsed:%H:%M} does not exist on that day (clock change)."})
    at: datetime = parsed.astimezone(UTC)
    return at


def _exists(local: datetime) -> bool:
    roundtrip = local.astimezone(UTC).astimezone(local.tzinfo)
    return roundtrip.replace(tzinfo=None) == local.replace(tzinfo=None)
