"""Per-workspace state beside the post-mortems: names as Slack last gave them, settings, who
opened the App Home, and the monthly program reports as rendered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field

from storage.types import TableModel, UTCDateTime


class Person(TableModel, table=True):
    """A Slack user's display name as last resolved, so documents render offline with names."""

    __tablename__ = "person"

    # "" when the workspace is not known (single-workspace installs).
    team_id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(primary_key=True, max_length=32)
    display_name: str = Field(max_length=255)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class SlackChannel(TableModel, table=True):
    """A Slack channel's name as last resolved (without the leading #)."""

    __tablename__ = "slack_channel"

    team_id: str = Field(primary_key=True, max_length=32)
    channel_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=255)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class WorkspaceSetting(TableModel, table=True):
    __tablename__ = "workspace_setting"

    team_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_type=Text)


class HomeTab(TableModel, table=True):
    """A user who opened the bot's App Home, and the tracker filters they last chose: whose
    Home to publish again when something of theirs changes (bot/slack/home/)."""

    __tablename__ = "home_tab"

    # "" when the workspace is not known (single-workspace installs).
    team_id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(primary_key=True, max_length=32)
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    opened_at: datetime = Field(sa_type=UTCDateTime)


class ProgramReport(TableModel, table=True):
    """The monthly program report as rendered: its chart (PNG bytes) and its table (mrkdwn),
    kept so that the upload sends what was rendered, once, however often it is retried."""

    __tablename__ = "program_report"
    __table_args__ = (UniqueConstraint("team_id", "month", name="uq_program_report_month"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    month: str = Field(max_length=7)  # "2026-11"
    chart: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    table: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
