"""The draft summary the Details modal offers, and the document shows when the author wrote none.

Free text is never spliced into a grammatical slot ("experienced <title>", "mitigated by
<mitigation>"): people write titles as sentences and mitigations in the past tense, so
those go after a label or a colon, exactly as typed. Only our own data (dates, services,
durations) is built into prose. Every combination of present and missing fields reads as
correct English (tests/flows/test_summary.py tries all of them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flows.durations import Durations, incident_durations
from storage.record import PostmortemRecord

SUMMARY_MAX = 3000
_ENDS = (".", "!", "?", "…")


@dataclass(frozen=True)
class SummaryDraft:
    """The draft in parts, for templates that give each its own line; '' where nothing is known."""

    incident: str
    impact: str
    cause: str
    resolution: str

    @property
    def text(self) -> str:
        return " ".join(p for p in (self.incident, self.impact, self.cause, self.resolution) if p)

    def fitted(self, limit: int = SUMMARY_MAX) -> str:
        """The draft within `limit` characters (a modal's initial value): whole parts are
        dropped from the end first, and only a single oversized part is cut, with "…"."""
        parts = [p for p in (self.incident, self.impact, self.cause, self.resolution) if p]
        while len(parts) > 1 and len(" ".join(parts)) > limit:
            parts.pop()
        text = " ".join(parts)
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def one_line(text: str | None) -> str:
    """Text on one line, as typed otherwise; '' for nothing."""
    return " ".join((text or "").split())


def sentence(text: str) -> str:
    """`text` ended with a full stop unless it already ends a sentence."""
    text = text.rstrip(" ,;:")
    if not text:
        return ""
    # "(Really.)" and "“Done.”" already end their sentence inside the bracket or quote.
    core = text.rstrip(")]\"'”’»")
    return text if core.endswith(_ENDS) else text + "."


def labelled(label: str, text: str | None) -> str:
    """"Root cause: <text as typed>." or '' when there is no text."""
    value = one_line(text)
    return sentence(f"{label}: {value}") if value else ""


def join_words(words: Sequence[str]) -> str:
    words = [w for w in words if w]
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def draft_summary(
    record: PostmortemRecord, tz: str = "UTC", durations: Durations | None = None
) -> SummaryDraft:
    """`durations` when the caller already has them (the renderer does)."""
    inc, pm = record.incident, record.postmortem
    durations = durations or incident_durations(record)
    start = durations.milestones.get("started")
    lead = ""
    if start is not None:
        local = start.astimezone(ZoneInfo(tz))
        lead = f"On {local:%Y-%m-%d} at {local:%H:%M} {local.tzname()}, "
    services = join_words([one_line(s) for s in inc.services])
    title = one_line(inc.title).rstrip(" ,;:")
    what = f"an incident affected {services}" if services else "an incident occurred"
    first = lead + what
    first = first[0].upper() + first[1:]
    incident = f"{first}: {sentence(title)}" if title else sentence(first)

    impact_parts = []
    if durations.impact:
        impact_parts.append(f"User impact lasted {durations.impact.text}.")
    impact_parts.append(labelled("Users affected", pm.users_affected))
    impact_parts.append(labelled("Customer impact", pm.customer_impact))
    impact = " ".join(p for p in impact_parts if p)

    cause = labelled("Root cause", pm.root_cause)
    resolution = " ".join(
        p for p in (labelled("Mitigation", pm.mitigation),
                    labelled("Permanent fix", pm.permanent_fix)) if p
    )
    return SummaryDraft(incident, impact, cause, resolution)


def summary_text(record: PostmortemRecord, tz: str = "UTC") -> str:
    """The author's summary when there is one, otherwise the draft."""
    own = (record.postmortem.summary or "").strip()
    return own or draft_summary(record, tz).text
