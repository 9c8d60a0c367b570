"""Names, not ids: Slack user and channel ids as the people reading the document know them.

The renderer gets two maps (user id → display name, channel id → name); a bare id is shown
only when neither Slack nor the stored names know it. Slack's own markup in captured
messages (`<@U123>`, `<#C123|name>`, `<https://x|label>`) becomes plain text the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import compress

from flows.document.escape import Md, md_inline
from storage.record import PostmortemRecord, timeline_columns

_SLACK_USER = frozenset("UW")
# Slack's entities only: <@U…>, <#C…>, <!here>, <!subteam^S…|@team>, <https://…|label>.
_ENTITY = re.compile(
    r"<(@(?=[UW][A-Z0-9]+[|>])|#(?=[CG][A-Z0-9]+[|>])|!(?=[a-z]))?"
    r"((?:[UWCG][A-Z0-9]+)|(?:[a-z][\w^.-]*)|(?:(?:https?|mailto):[^<>|\s]+))"
    r"(?:\|([^<>]*))?>"
)
# Entries whose text came from a Slack message carry Slack's markup and escaping.
SLACK_SOURCES = frozenset({"message", "reaction"})
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_IN_TEXT = re.compile(r"<@([UW][A-Z0-9]+)|<#([CG][A-Z0-9]+)")


def looks_like_user_id(value: str) -> bool:
    return bool(_USER_ID.match(value))


@dataclass
class Names:
    people: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._mentions: dict[str, Md] = {}

    def person(self, user_id: str, label: str | None = None) -> str:
        """A display name; Slack's own label next; the id only when nothing else is known."""
        return self.people.get(user_id) or (label or "").lstrip("@") or user_id

    def mention(self, user_id: str | None) -> Md:
        """A Slack user id as `@name`; other text (an actor like "PagerDuty") escaped."""
        if not user_id:
            return Md("")
        hit = self._mentions.get(user_id)
        if hit is None:
            name = self.people.get(user_id)
            if name is not None:
                hit = md_inline("@" + name)
            elif user_id[0] in _SLACK_USER and user_id[1:].isalnum() and user_id.isupper():
                hit = Md("@" + user_id)
            else:
                hit = md_inline(user_id)
            self._mentions[user_id] = hit
        return hit

    def channel(self, channel_id: str | None) -> Md:
        """`#name`; the bare id when the name is unknown."""
        if not channel_id:
            return Md("")
        name = self.channels.get(channel_id)
        if name:
            return md_inline("#" + name.lstrip("#"))
        return md_inline(channel_id)

    def plain(self, text: str) -> str:
        """Slack message markup as the text a person saw; other text untouched."""
        if "<" not in text and "&" not in text:
            return text
        if "<" in text:
            text = _ENTITY.sub(self._entity, text)
        # Slack escapes these three in message text.
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    def _entity(self, m: re.Match[str]) -> str:
        sigil, target, label = m.group(1), m.group(2), m.group(3)
        if sigil == "@":
            return "@" + self.person(target, label)
        if sigil == "#":
            return "#" + (self.channels.get(target) or label or target).lstrip("#")
        if sigil == "!":
            if target.startswith("subteam^"):
                return label or "@group"
            if target.startswith("date^"):
                return label or ""
            return "@" + target
        if not target.startswith(("http", "mailto")):
            return m.group(0)  # not an entity after all: leave the text alone
        return f"{label} ({target})" if label and label != target else target


def slack_ids(record: PostmortemRecord) -> tuple[set[str], set[str]]:
    """Every Slack user and channel id the document may show, for one lookup of names."""
    pm, inc = record.postmortem, record.incident
    users = {pm.owner_id, pm.facilitator_id, pm.commander_id, *pm.reviewers, *pm.attendees}
    users |= {a.owner_id for a in record.action_items}
    users |= {d.reviewer_id for d in record.decisions}
    users |= {d.author_id for d in record.documents}
    users |= {t.ticked_by for t in record.compliance}
    channels = {inc.channel_id, pm.channel_id}
    # Thousands of entries, a handful of actors: each distinct actor is checked once, and
    # the columns are gone through by C-level maps, not a Python loop per entry.
    timeline = timeline_columns(record.timeline)
    users |= {a for a in set(timeline.actor) if a and _USER_ID.match(a)}
    from_slack = map(SLACK_SOURCES.__contains__, timeline.source)
    # Most timelines hold no Slack message: one C-level pass over the sources says so.
    texts = () if SLACK_SOURCES.isdisjoint(timeline.source) else timeline.text
    for text in compress(texts, from_slack):
        if "<" in text:
            for user, chan in _IN_TEXT.findall(text):
                if user:
                    users.add(user)
                else:
                    channels.add(chan)
    return {u for u in users if u}, {c for c in channels if c}
