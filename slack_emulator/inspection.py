"""Read-only views of the emulated Slack for assertions: messages, views, home tabs, files.

Everything is a deep copy, so a test cannot change what the bot will see by accident.
"""

from __future__ import annotations

import copy
from typing import Any

from slack_emulator.state import EmulatorState


class Inspection:
    _state: EmulatorState

    def messages(self, channel: str, team_id: str | None = None) -> list[dict[str, Any]]:
        """Every message in `channel` (a channel id, #name or user id), oldest first."""
        with self._state.lock:
            ws = self._state.team(team_id)
            target = ws.resolve_channel(channel, ids_only=False)
            if target is None:
                return []
            return sorted(copy.deepcopy(target.messages), key=lambda m: float(m["ts"]))

    def thread(self, channel: str, ts: str, team_id: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.messages(channel, team_id) if ts in (m["ts"], m.get("thread_ts"))]

    def im_channel(self, user_id: str, team_id: str | None = None) -> str:
        with self._state.lock:
            return self._state.team(team_id).im_for(user_id).id

    @property
    def ephemeral_messages(self) -> list[dict[str, Any]]:
        """Ephemeral messages of every team (each carries its `team`)."""
        with self._state.lock:
            return copy.deepcopy(self._state.ephemeral)

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """Every modal and home view ever stored, by view id (each carries its `team_id`)."""
        with self._state.lock:
            return copy.deepcopy(self._state.views)

    def is_view_open(self, view_id: str) -> bool:
        with self._state.lock:
            return self._state.stack_of(view_id) is not None or any(
                view_id in ws.home_views.values() for ws in self._state.teams.values()
            )

    def view_stack(self, view_id: str) -> list[str]:
        with self._state.lock:
            return list(self._state.stack_of(view_id) or [])

    def close_view(self, view_id: str) -> list[str]:
        with self._state.lock:
            return self._state.close_view(view_id)

    def home_of(self, user_id: str, team_id: str | None = None) -> dict[str, Any] | None:
        """The home tab view published for `user_id` (None before any views.publish)."""
        with self._state.lock:
            view_id = self._state.team(team_id).home_views.get(user_id)
            return copy.deepcopy(self._state.views[view_id]) if view_id else None

    @property
    def uploaded_files(self) -> list[dict[str, Any]]:
        """One entry per (file, channel) share: id, team_id, title, filename, mimetype,
        content (bytes), channel_id, thread_ts, initial_comment."""
        with self._state.lock:
            return copy.deepcopy(self._state.uploaded_files)

    def file_info(self, file_id: str) -> dict[str, Any] | None:
        """The file object files.info returns for `file_id`."""
        with self._state.lock:
            record = self._state.file_records.get(file_id)
            return copy.deepcopy(record) if record else None
