"""private_metadata: the little state a modal carries between open and submit."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.slack.values import as_id

PRIVATE_METADATA_LIMIT = 3000


@dataclass(frozen=True)
class Meta:
    pm_id: int | None = None
    channel_id: str | None = None
    entry_id: int | None = None
    page: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def dump(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v not in (None, {}, 0)}
        text = json.dumps(data, separators=(",", ":"))
        if len(text) > PRIVATE_METADATA_LIMIT:
            raise ValueError("private_metadata over Slack's 3000 characters")
        return text

    @classmethod
    def load(cls, text: str | None) -> Meta:
        """What `dump` wrote; anything else (a view that is not ours) reads as empty."""
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        page, channel, extra = data.get("page"), data.get("channel_id"), data.get("extra")
        return cls(
            pm_id=as_id(data.get("pm_id")),
            channel_id=channel if isinstance(channel, str) else None,
            entry_id=as_id(data.get("entry_id")),
            page=page if isinstance(page, int) and 0 <= page < 10_000 else 0,
            extra=extra if isinstance(extra, dict) else {},
        )


def meta_of(body: dict[str, Any]) -> Meta:
    return Meta.load(body.get("view", {}).get("private_metadata"))
