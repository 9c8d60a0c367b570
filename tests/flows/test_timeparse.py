"""Typed timeline times, table-driven: the user's zone, named zones, relative days, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from dateutil import parser as du_parser

from flows.errors import FieldErrors
from flows.timeparse import parse_typed_time

# Sunday morning after a Saturday incident: 10:00 in Berlin, 04:00 in New York.
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
INCIDENT_DAY = date(2026, 11, 21)
BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def parse(text: str, tz: str, day: date = INCIDENT_DAY) -> datetime:
    return parse_typed_time(text, user_tz=tz, default_day=day, now=NOW, field="when")


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        # A bare time is on the incident's day, in the user's own zone.
        ("14:05", BERLIN, utc(2026, 11, 21, 13, 5)),
        ("14:05", NEW_YORK, utc(2026, 11, 21, 19, 5)),
        ("2:05 pm", BERLIN, utc(2026, 11, 21, 13, 5)),
        ("2pm", NEW_YORK, utc(2026, 11, 21, 19, 0)),
        ("14:05:30", BERLIN, utc(2026, 11, 21, 13, 5, 30)),
        # A full date.
        ("2026-11-21 14:05", BERLIN, utc(2026, 11, 21, 13, 5)),
        ("2026-11-21 14:05", NEW_YORK, utc(2026, 11, 21, 19, 5)),
        ("21 Nov 14:05", NEW_YORK, utc(2026, 11, 21, 19, 5)),
        ("2026-11-21T14:05:00+02:00", NEW_YORK, utc(2026, 11, 21, 12, 5)),
        # Abbreviations name the zone, whoever types them.
        ("14:05 CET", BERLIN, utc(2026, 11, 21, 13, 5)),
        ("14:05 CET", NEW_YORK, utc(2026, 11, 21, 13, 5)),
        ("14:05 cet", NEW_YORK, utc(2026, 11, 21, 13, 5)),
        ("14:05 UTC", BERLIN, utc(2026, 11, 21, 14, 5)),
        ("14:05 EST", BERLIN, utc(2026, 11, 21, 19, 5)),
        ("14:05 PDT", BERLIN, utc(2026, 11, 21, 21, 5)),
        # IANA names, including ones with a half-hour offset.
        ("14:05 Europe/London", BERLIN, utc(2026, 11, 21, 14, 5)),
        ("2026-11-21 14:05 Asia/Kolkata", NEW_YORK, utc(2026, 11, 21, 8, 35)),
        ("14:05 America/Argentina/Buenos_Aires", BERLIN, utc(2026, 11, 21, 17, 5)),
        # Relative days are the user's, not the server's: Berlin is already on the 22nd,
        # New York too (04:00), so "yesterday" is the 21st in both, at different instants.
        ("yesterday 22:40", BERLIN, utc(2026, 11, 21, 21, 40)),
        ("yesterday 22:40", NEW_YORK, utc(2026, 11, 22, 3, 40)),
        ("Yesterday at 22:40", BERLIN, utc(2026, 11, 21, 21, 40)),
        ("today 08:00", NEW_YORK, utc(2026, 11, 22, 13, 0)),
        # Day first when the first number cannot be a month; same numbers are not ambiguous.
        ("04/04 14:05", BERLIN, utc(2026, 4, 4, 12, 5)),
        # Summer time on the incident day is honoured.
        ("14:05", BERLIN, utc(2026, 7, 1, 12, 5)),
        # The repeated hour at the autumn change reads as the first (summer time) one.
        ("2026-10-25 02:30", BERLIN, utc(2026, 10, 25, 0, 30)),
        # A time that does not exist in Berlin exists in New York (different change dates).
        ("2026-03-29 02:30", NEW_YORK, utc(2026, 3, 29, 6, 30)),
    ],
)
def test_typed_times_parse_to_the_right_instant(text: str, tz: str, expected: datetime) -> None:
    day = date(2026, 7, 1) if expected.month == 7 else INCIDENT_DAY
    parsed = parse(text, tz, day)
    assert parsed == expected
    assert parsed.tzinfo == UTC


@pytest.mark.parametrize(
    ("text", "tz", "message"),
    [
        ("2026-03-29 02:30", BERLIN, "does not exist"),
        ("2026-03-08 02:30", NEW_YORK, "does not exist"),
        ("14:05 IST", BERLIN, "ambiguous"),
        ("14:05 CST", NEW_YORK, "ambiguous"),
        ("14:05 XYZ", BERLIN, "Unknown time zone"),
        ("14:05 Mars/Olympus", BERLIN, "Unknown time zone"),
        ("03/04 14:05", BERLIN, "ambiguous (day/month?)"),
        ("11/12 09:00", NEW_YORK, "ambiguous (day/month?)"),
        ("soon", BERLIN, "has no time"),
        ("after lunch", NEW_YORK, "has no time"),
        ("", BERLIN, "Type a time"),
        ("   ", NEW_YORK, "Type a time"),
        ("banana 14:05", BERLIN, "can't read"),
        ("25:00", BERLIN, "can't read"),
        ("14.05", BERLIN, "no time of day"),
        ("1405", NEW_YORK, "no time of day"),
        ("2026-11-21", BERLIN, "no time of day"),
        ("yesterday 2026-11-20 14:05", BERLIN, "not both"),
    ],
)
def test_unclear_input_is_a_field_error(text: str, tz: str, message: str) -> None:
    with pytest.raises(FieldErrors) as err:
        parse(text, tz)
    assert list(err.value.errors) == ["when"]
    assert message in err.value.errors["when"]


def test_unknown_user_zone_falls_back_to_utc() -> None:
    assert parse("14:05", "Not/AZone") == utc(2026, 11, 21, 14, 5)


@pytest.mark.parametrize("shape", ["{h}:{m:02d}", "{h:02d}:{m:02d}", " {h}:{m:02d}:07 "])
def test_every_bare_clock_reads_as_dateutil_reads_it(shape: str) -> None:
    day = date(2026, 3, 29)
    for hour in range(24):
        for minute in range(60):
            text = shape.format(h=hour, m=minute)
            seconds = 7 if ":07" in shape else 0
            expected = du_parser.parse(text, default=datetime(2026, 3, 29))
            assert expected == datetime(2026, 3, 29, hour, minute, seconds)
            got = parse_typed_time(text, user_tz="UTC", default_day=day, now=NOW)
            assert got == expected.replace(tzinfo=UTC)
