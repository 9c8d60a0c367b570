"""A post-mortem's small parts read as plain rows (storage/record.py) on the driver's cursor.

`load_record` reads nine of them per record, a handful of rows each (and the timeline, its
thousands, on the same cursor). Through SQLAlchemy's
execution (statement cache, execution context, result rows) each one cost several times its
read on the driver (0.03 ms against 0.007 for a few rows), and more again in a render, where
the caches are cold: about 0.6 ms of the 4 a long post-mortem's record took to read there.
The statement is compiled once per dialect and its columns converted as SQLAlchemy would, by
the column types' own result processors; it runs on the session's connection, so inside its
transaction. It bypasses the engine's execute events (and so `echo`): nothing here needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import repeat
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import Connection, bindparam
from sqlalchemy import select as core_select
from sqlalchemy.engine import Dialect

R = TypeVar("R", bound=NamedTuple)


class _Compiled(NamedTuple):
    sql: str
    positional: bool
    # (column index, processor) for the columns the driver's values need converting in
    processors: list[tuple[int, Callable[[Any], Any]]]


class PlainPart(Generic[R]):
    """`row`'s columns of `model`'s rows of one post-mortem, in `order`."""

    def __init__(self, row: type[R], model: Any, *order: Any) -> None:
        table = model.__table__
        self.row = row
        self.statement = (
            core_select(*(table.c[name] for name in row._fields))
            .where(table.c.postmortem_id == bindparam("pm_id")).order_by(*order))
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, conn: Connection, pm_id: int) -> list[Any]:
        """The post-mortem's rows, as `row`s (typed as the record's lists of them are)."""
        with self.executed(conn, pm_id) as cursor:
            rows: Any = cursor.fetchall()
        compiled = self._compiled[conn.dialect.name]
        if compiled.processors and rows:
            columns: list[Any] = list(zip(*rows, strict=True))
            for i, process in compiled.processors:
                columns[i] = map(process, columns[i])
            rows = zip(*columns, strict=True)
        # tuple.__new__ straight from C: `_make` is a Python call per row.
        return list(map(tuple.__new__, repeat(self.row), rows))

    @contextmanager
    def executed(self, conn: Connection, pm_id: int) -> Iterator[Any]:
        """The driver's cursor, the statement executed, its values not converted (for a
        caller that converts them its own way: the timeline, a column at a time)."""
        compiled = self._compiled.get(conn.dialect.name) or self._compile(conn.dialect)
        driver = conn.connection.driver_connection
        assert driver is not None  # the session's connection, open in its transaction
        cursor = driver.cursor()
        try:
            cursor.execute(compiled.sql, (pm_id,) if compiled.positional else {"pm_id": pm_id})
            yield cursor
        finally:
            cursor.close()

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        assert not compiled.positional or compiled.positiontup == ["pm_id"], compiled.string
        processors: list[tuple[int, Callable[[Any], Any]]] = []
        for i, column in enumerate(self.statement.selected_columns):
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                processors.append((i, process))
        self._compiled[dialect.name] = done = _Compiled(
            compiled.string, bool(compiled.positional), processors)
        return done
