"""Rendered monthly program reports: the chart's bytes and the table, one per workspace and
month (the upload row reads them when it is sent)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from storage.workspace_tables import ProgramReport


def get_report(session: Session, *, team_id: str | None, month: str) -> ProgramReport | None:
    stmt = select(ProgramReport).where(
        ProgramReport.team_id == (team_id or ""), ProgramReport.month == month
    )
    return session.exec(stmt).first()


def save_report(
    session: Session, *, team_id: str | None, month: str, chart: bytes, table: str,
    now: datetime,
) -> ProgramReport:
    """Store the month's report, replacing an earlier rendering of it."""
    report = get_report(session, team_id=team_id, month=month)
    if report is None:
        report = ProgramReport(team_id=team_id or "", month=month, chart=chart, table=table,
                               created_at=now)
    else:
        report.chart, report.table, report.created_at = chart, table, now
    session.add(report)
    session.flush()
    return report
