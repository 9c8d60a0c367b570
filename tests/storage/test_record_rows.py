"""The record's plain rows (storage/record.py) carry every column of their tables: a column
added to `ActionItem` or `Why` and not to its row would be missing from every document."""

from __future__ import annotations

from typing import Any

import pytest

from storage.record import ActionItemRow, WhyItem
from storage.tables import ActionItem, Why


@pytest.mark.parametrize(("row", "table"), [(ActionItemRow, ActionItem), (WhyItem, Why)])
def test_a_plain_row_has_every_column_of_its_table(row: Any, table: Any) -> None:
    assert set(row._fields) == {column.name for column in table.__table__.columns}
