"""What a user's Home tab shows of the tracker: the filters they picked and the page.

Kept in the view's private_metadata (what Slack sends back with a click) and in the
`home_tab` row (what a refresh publishes again). Option values read "<filter>:<choice>".
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from bot.slack.ids import Action
from storage.kinds import CLOSED, DRAFT, IN_REVIEW, PUBLISHED
from storage.queries.tracker import TrackerFilter

ANY = "any"
# Status choices: the lifecycle, and the two words `/postmortem list` knows too.
STATUSES = {
    ANY: "Any status", "open": "Not closed", "overdue": "Overdue", DRAFT: "Draft",
    IN_REVIEW: "In review", PUBLISHED: "Published", CLOSED: "Closed",
}
SEVERITIES = (0, 1, 2, 3, 4)
FILTER_OF = {
    Action.HOME_STATUS: "status", Action.HOME_SEVERITY: "severity",
    Action.HOME_SERVICE: "service", Action.HOME_TEAM: "team",
}
NAME_MAX = 120  # a service or team name longer than this is not one we offered


@dataclass(frozen=True)
class HomeState:
    status: str = ANY
    severity: str = ANY
    service: str = ANY
    team: str = ANY
    page: int = 0

    def dump(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v not in (ANY, 0)},
                          separators=(",", ":"))

    def as_dict(self) -> dict[str, Any]:
        return json.loads(self.dump())  # type: ignore[no-any-return]

    @classmethod
    def load(cls, data: str | dict[str, Any] | None) -> HomeState:
        """Whatever comes back is checked: a forged or stale value means "any"."""
        try:
            raw = json.loads(data) if isinstance(data, str) else dict(data or {})
        except (TypeError, ValueError):
            raw = {}
        if not isinstance(raw, dict):
            raw = {}
        state = cls()
        for name in ("status", "severity", "service", "team"):
            value = raw.get(name)
            if isinstance(value, str) and value and valid(name, value):
                state = replace(state, **{name: value})
        page = raw.get("page")
        if isinstance(page, int) and 0 <= page < 100_000:
            state = replace(state, page=page)
        return state

    def choose(self, name: str, value: str) -> HomeState:
        """A new pick resets the page: page 7 of another selection means nothing."""
        if not valid(name, value):
            value = ANY
        return replace(self, **{name: value}, page=0)

    def tracker_filter(self) -> TrackerFilter:
        status = self.status
        return TrackerFilter(
            statuses=(status,) if status in (DRAFT, IN_REVIEW, PUBLISHED, CLOSED) else (),
            open=status == "open",
            overdue=status == "overdue",
            severity=None if self.severity == ANY else int(self.severity),
            service=None if self.service == ANY else self.service,
            teams=() if self.team == ANY else (self.team,),
        )

    @property
    def filtered(self) -> bool:
        return any(v != ANY for v in (self.status, self.severity, self.service, self.team))


def valid(name: str, value: str) -> bool:
    if value == ANY:
        return True
    if name == "status":
        return value in STATUSES
    if name == "severity":
        return value.isdigit() and int(value) in SEVERITIES
    return 0 < len(value) <= NAME_MAX


def option_value(name: str, choice: str) -> str:
    return f"{name}:{choice}"


def parse_option(value: str) -> tuple[str, str]:
    """`"service:checkout-api"` → ("service", "checkout-api")."""
    name, _, choice = value.partition(":")
    return name, choice
