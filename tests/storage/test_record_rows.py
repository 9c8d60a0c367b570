"""The record's plain rows (storage/record.py) carry every column of their tables: a column
added to a table and not to its row would be missing from every document."""

from __future__ import annotations

from typing import Any

import pytest

from storage.record import (
    ActionItemRow,
    ComplianceRow,
    DecisionRow,
    DocumentRow,
    EventRow,
    FactorRow,
    LearningRow,
    ReferenceRow,
    WhyItem,
)
from storage.tables import (
    ActionItem,
    AuditEvent,
    ComplianceTick,
    ContributingFactor,
    Document,
    Learning,
    Reference,
    ReviewDecision,
    Why,
)


@pytest.mark.parametrize(("row", "table"), [
    (ActionItemRow, ActionItem), (WhyItem, Why), (FactorRow, ContributingFactor),
    (LearningRow, Learning), (ReferenceRow, Reference), (ComplianceRow, ComplianceTick),
    (DecisionRow, ReviewDecision), (EventRow, AuditEvent),
])
def test_a_plain_row_has_every_column_of_its_table(row: Any, table: Any) -> None:
    assert set(row._fields) == {column.name for column in table.__table__.columns}


def test_a_stored_version_is_listed_without_its_markdown() -> None:
    # The record lists every version; the text is read for the one version that needs it.
    assert set(DocumentRow._fields) == {
        column.name for column in Document.__table__.columns} - {"markdown"}
