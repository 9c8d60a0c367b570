"""Column types shared by the tables, and the base of their models."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import repeat
from operator import add, attrgetter
from typing import Any, cast

from pydantic import ConfigDict
from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel


class TableModel(SQLModel):
    """The base of every table's model (`class X(TableModel, table=True)`).

    Pydantic's validation schema of a model is built by its first validation or dump
    (`defer_build`), not when the class is made: a table model's constructor and the rows
    SQLAlchemy loads skip validation, and only the CLI's export and import validate or dump
    (storage/portable.py), so building the 21 schemas at import cost every start of `serve`
    tens of milliseconds for nothing.
    """

    # Merged into SQLModel's own config (from_attributes, table…) by pydantic; ConfigDict, as
    # sqlmodel exports no name for its subclass of it.
    model_config = ConfigDict(defer_build=True)  # type: ignore[assignment]


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend.

    SQLite keeps no zone, so we refuse naive values on the way in and put UTC back on
    the way out; PostgreSQL stores `timestamptz`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store aware UTC datetimes only")
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name == "sqlite":
            return _from_sqlite
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        at: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if at.tzinfo is None:
            return at.replace(tzinfo=UTC)
        return at.astimezone(UTC)


_UTC_SUFFIX = "+00:00"
_TZINFO = attrgetter("tzinfo")


def _from_sqlite(value: Any) -> datetime | None:
    """SQLite's text (UTC, written without an offset) straight to an aware datetime: parsing
    it with the offset appended is one C call, where parsing and then `replace(tzinfo=…)`
    took ten times as long, and a record's timeline has thousands of them."""
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value + _UTC_SUFFIX)
        if at.tzinfo is not None:  # a date alone parses, but naive
            return at
    except ValueError:  # text that carries its own offset
        pass
    at = datetime.fromisoformat(value)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def from_sqlite_many(values: Sequence[Any]) -> list[datetime | None]:
    """`_from_sqlite` over a column: the usual text parsed by C-level maps, without a Python
    call per value (a long timeline's times were a tenth of reading it); any batch holding
    something else (NULL, text with its own offset) goes value by value."""
    try:
        times = list(map(datetime.fromisoformat, map(add, values, repeat(_UTC_SUFFIX))))
    except (TypeError, ValueError):
        return list(map(_from_sqlite, values))
    if None in map(_TZINFO, times):  # a date alone parses, but naive
        return list(map(_from_sqlite, values))
    return cast(list[datetime | None], times)
