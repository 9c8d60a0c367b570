"""private_metadata: the little state a modal carries between open and submit."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

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
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            pm_id=data.get("pm_id"),
            channel_id=data.get("channel_id"),
            entry_id=data.get("entry_id"),
            page=data.get("page", 0),
            extra=data.get("extra", {}),
        )


def meta_of(body: dict[str, Any]) -> Meta:
    return Meta.load(body.get("view", {}).get("private_metadata"))
