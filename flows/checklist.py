"""What the control message's checklist asks for: the parts every seed has, plus the inputs the
post-mortem's own template (its seed) requires — the ARB checklist for the enterprise
format, the financial questions for Bilko, communication and supporting data for the
comprehensive one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flows.compliance import ARB_ITEMS
from storage.record import PostmortemRecord

DEFAULT_TEMPLATE = "comprehensive"


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    done: bool
    hint: str


Check = Callable[[PostmortemRecord], tuple[bool, str]]


def _details(r: PostmortemRecord) -> tuple[bool, str]:
    return bool(r.incident.services and r.postmortem.commander_id), (
        "services and incident commander")


def _summary(r: PostmortemRecord) -> tuple[bool, str]:
    done = bool((r.postmortem.summary or "").strip())
    return done, "2–3 sentences in Details (a draft is offered)"


def _timeline(r: PostmortemRecord) -> tuple[bool, str]:
    detected = r.incident.detected_at is not None or any(
        e.milestone == "detected" for e in r.timeline)
    return bool(r.timeline) and detected, "timeline entries and detection time"


def _whys(r: PostmortemRecord) -> tuple[bool, str]:
    pm = r.postmortem
    hint = f"{len(r.whys)}/5 whys" + ("" if pm.root_cause else ", systemic root cause")
    return len(r.whys) >= 5 and bool(pm.root_cause), hint


_IMPACT = ("impact_minutes", "users_affected", "requests_failed", "data_impact", "revenue_impact",
           "sla_breach", "error_budget_used", "support_tickets", "customer_impact")


def _impact(r: PostmortemRecord) -> tuple[bool, str]:
    pm = r.postmortem
    return any(getattr(pm, f) is not None for f in _IMPACT), "users, requests, revenue, SLA"


def _learning(kind: str, least: int, hint: str) -> Check:
    return lambda r: (len(r.learnings_of(kind)) >= least, hint)


def _actions(r: PostmortemRecord) -> tuple[bool, str]:
    items = r.action_items
    return bool(items) and all(a.owner_id for a in items), "each with a single owner"


def _lessons(r: PostmortemRecord) -> tuple[bool, str]:
    return any(x.kind.startswith("lesson_") for x in r.learnings), "technical, process or culture"


def _alert(r: PostmortemRecord) -> tuple[bool, str]:
    return bool(r.incident.alert_name), "alert name and where it fired"


def _references(r: PostmortemRecord) -> tuple[bool, str]:
    return bool(r.references), "dashboards, logs, runbooks, related incidents"


def _communication(r: PostmortemRecord) -> tuple[bool, str]:
    pm = r.postmortem
    done = bool(pm.status_page or pm.customer_notice) and bool(pm.stakeholders)
    return done, "status page or customer notice, stakeholders notified"


def _distribution(r: PostmortemRecord) -> tuple[bool, str]:
    return bool(r.postmortem.distribution), "who receives the published post-mortem"


def _meeting(r: PostmortemRecord) -> tuple[bool, str]:
    pm = r.postmortem
    return pm.meeting_at is not None and bool(pm.attendees), "date, duration and attendees"


def _finance(r: PostmortemRecord) -> tuple[bool, str]:
    pm = r.postmortem
    done = bool(pm.finance_modules) and bool(pm.finance_corruption) and bool(pm.finance_precision)
    return done, "accounting module, corrupted data, NUMERIC(19,4) precision"


def _identified(r: PostmortemRecord) -> tuple[bool, str]:
    done = r.incident.identified_at is not None or any(
        e.milestone == "root_cause_identified" for e in r.timeline)
    return done, "mark when the root cause was identified"


def _supporting(r: PostmortemRecord) -> tuple[bool, str]:
    pm = r.postmortem
    graphs = any(ref.kind in ("dashboard", "logs") for ref in r.references)
    return graphs or bool(pm.log_excerpts or pm.config_changes), "graphs, log excerpts, config"


def _cadence(r: PostmortemRecord) -> tuple[bool, str]:
    return bool(r.postmortem.review_cadence), "how often action items are reviewed"


def _compliance(r: PostmortemRecord) -> tuple[bool, str]:
    ticked = {t.item for t in r.compliance}
    return ticked >= set(ARB_ITEMS), f"{len(ticked & set(ARB_ITEMS))}/{len(ARB_ITEMS)} ticked"


SECTIONS: dict[str, tuple[str, Check]] = {
    "details": ("Details and roles", _details),
    "summary": ("Summary", _summary),
    "timeline": ("Timeline", _timeline),
    "root_cause_identified": ("Root cause identified (milestone)", _identified),
    "alert": ("Alert that fired", _alert),
    "whys": ("5 Whys and root cause", _whys),
    "impact": ("Impact", _impact),
    "finance": ("Financial questions", _finance),
    "went_well": ("What went well", _learning("went_well", 2, "at least 2 entries")),
    "went_poorly": ("What went poorly", _learning("went_poorly", 1, "at least 1 entry")),
    "lucky": ("Where we got lucky", _learning("lucky", 1, "at least 1 entry")),
    "action_items": ("Action items", _actions),
    "lessons": ("Lessons learned", _lessons),
    "supporting_data": ("Supporting data", _supporting),
    "references": ("References", _references),
    "communication": ("Communication", _communication),
    "distribution": ("Distribution", _distribution),
    "meeting": ("Review meeting", _meeting),
    "review_cadence": ("Review cadence", _cadence),
    "compliance": ("ARB compliance checklist", _compliance),
}
COMMON = ("details", "summary", "timeline", "whys", "impact", "went_well", "went_poorly",
          "action_items")
# What each built-in template's seed asks for beyond the common parts.
BY_TEMPLATE: dict[str, tuple[str, ...]] = {
    "comprehensive": ("alert", "lessons", "supporting_data", "references", "communication",
                      "distribution", "meeting", "review_cadence"),
    "tz010": ("alert", "references", "distribution"),
    "bilko": ("root_cause_identified", "finance", "lessons", "meeting"),
    "lean": (),
    "enterprise": ("lucky", "compliance"),
}


def checklist(record: PostmortemRecord, template: str | None = None) -> list[Section]:
    """Which parts are filled in, in the order the documents show them. `template` defaults to
    the post-mortem's own; a team's custom template gets the common parts only."""
    name = template or record.postmortem.template or DEFAULT_TEMPLATE
    wanted = set(COMMON) | set(BY_TEMPLATE.get(name, ()))
    out = []
    for key, (label, check) in SECTIONS.items():
        if key in wanted:
            done, hint = check(record)
            out.append(Section(key, label, done, hint))
    return out
