"""Blame detection over every piece of free text a post-mortem holds.

A finding quotes the words that point at a person and suggests the seed guide's reframing
(seed 002, "Blameless Post-Mortem Culture" and the "Human error" anti-pattern): name the
missing safeguard, not the person who tripped over its absence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from flows.learnings import LEARNING_KINDS
from storage.record import PostmortemRecord

# Names and roles that blame a person: a Slack mention, an @handle, a pronoun or a role noun.
_PERSON = (
    r"(?:<@[UW][A-Z0-9]+(?:\|[^>]*)?>|@[\w.-]+"
    r"|\b(?i:I|he|she|someone|somebody)\b"
    r"|\b(?i:the\s+)?(?i:engineer|developer|on-?call(?:\s+engineer)?|dba)"
    r"(?:\s+@?[A-Z][\w.-]*)?)"
)
_NAME = r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?"
_BLAME_VERB = (
    r"(?i:forgot|made\s+(?:a|an)\s+(?:mistake|error)|messed\s+up|screwed\s+up|was\s+careless"
    r"|was\s+negligent|was\s+stupid|should(?:\s+not|n't)?\s+have|failed\s+to|didn't|did\s+not"
    r"|ignored|missed|knew\b)"
)
# Capitalised words are often systems ("Monitoring should have…"), so a bare name only
# counts with verbs that only people do.
_HUMAN_VERB = (
    r"(?i:forgot|made\s+(?:a|an)\s+(?:mistake|error)|messed\s+up|screwed\s+up|was\s+careless"
    r"|was\s+negligent|should\s+have\s+(?:known|noticed|reali[sz]ed|remembered|asked"
    r"|double-checked|been\s+more\s+careful|paid\s+attention|followed))"
)
PATTERNS = [
    re.compile(r"(?i)\b(?:human|operator|user|manual|engineer|personnel)\s+(?:error|mistake)s?\b"),
    re.compile(rf"{_PERSON}\s+{_BLAME_VERB}"),
    re.compile(rf"{_NAME}\s+{_HUMAN_VERB}"),
    re.compile(r"(?i)\b(?:mistake|error|fault|negligence|carelessness)\s+(?:by|of)\s+"
               r"(?:<@[UW][A-Z0-9]+>|@[\w.-]+|(?-i:[A-Z][a-z]+))"),
]

# Seed 002's reframings, picked by what the words blame.
REFRAMINGS = {
    "forgot": "The deployment pipeline has no test gate for this endpoint",
    "noticed": "There's no monitoring alert for this failure mode",
    "risk": "Known risk was not mitigated with a safeguard",
    "error": "The system allowed X without safeguard Y",
}
_FORGOT = re.compile(r"(?i)forgot|test|check|remember")
_NOTICED = re.compile(r"(?i)notic|miss|ignor|should|aware|see|saw")
_RISK = re.compile(r"(?i)knew|risk")


@dataclass(frozen=True)
class BlameFinding:
    where: str
    words: str
    suggestion: str

    @property
    def message(self) -> str:
        return (f"In {self.where}: “{self.words}” points at a person. Name the system gap "
                f"instead, e.g. “{self.suggestion}”.")


def reframing(words: str) -> str:
    if _RISK.search(words):
        return REFRAMINGS["risk"]
    if _FORGOT.search(words):
        return REFRAMINGS["forgot"]
    if _NOTICED.search(words):
        return REFRAMINGS["noticed"]
    return REFRAMINGS["error"]


_PM_TEXT = (
    ("summary", "the summary"), ("root_cause", "the root cause"),
    ("cause_what", "what happened"), ("cause_why", "why it happened"),
    ("cause_how", "how it caused impact"), ("mitigation", "the mitigation"),
    ("permanent_fix", "the permanent fix"), ("validation", "how recovery was verified"),
    ("users_affected", "users affected"), ("requests_failed", "requests failed"),
    ("customer_impact", "the customer impact"), ("data_impact", "the data impact"),
    ("revenue_impact", "the revenue impact"), ("sla_breach", "the SLA breach"),
    ("support_tickets", "the support load"), ("error_budget_used", "the error budget"),
    ("regulatory_notification", "the regulatory notification"),
    ("geography", "the geographic spread"), ("reputation_impact", "the trust impact"),
    ("contractual_impact", "the contractual impact"),
    ("infrastructure_impact", "the infrastructure impact"),
    ("dependency_impact", "the dependencies impact"), ("internal_impact", "the internal impact"),
    ("status_updates", "the status updates"), ("stakeholders", "the stakeholders"),
    ("status_page", "the status page"), ("customer_notice", "the customer notice"),
    ("public_statements", "social media and press"), ("distribution", "the distribution"),
    ("finance_corruption", "the financial data question"),
    ("finance_precision", "the NUMERIC(19,4) question"),
    ("review_cadence", "the review cadence"), ("next_review", "the next review"),
    ("related_pattern", "the incident pattern"), ("glossary", "the glossary"),
)


def free_texts(record: PostmortemRecord) -> Iterable[tuple[str, str]]:
    """(where, text) for every piece of free text the document shows. Log excerpts and
    configuration are machine output and left alone."""
    inc, pm = record.incident, record.postmortem
    yield "the incident title", inc.title
    for attr, where in _PM_TEXT:
        if text := getattr(pm, attr):
            yield where, text
    for why in sorted(record.whys, key=lambda w: w.position):
        yield f"why #{why.position}", f"{why.question}\n{why.answer or ''}"
    for factor in record.factors:
        yield "a contributing factor", factor.text
    for item in record.learnings:
        yield LEARNING_KINDS.get(item.kind, item.kind).lower(), item.text
    for entry in record.timeline:
        yield "the timeline", entry.text
    for a in record.action_items:
        yield f"AI-{a.number}", f"{a.title}\n{a.success_criteria or ''}"
    for ref in record.references:
        yield "a reference", ref.label


def find_blame(record: PostmortemRecord) -> list[BlameFinding]:
    found = []
    for where, text in free_texts(record):
        for pattern in PATTERNS:
            for match in pattern.finditer(text):
                words = match.group(0)
                found.append(BlameFinding(where, words, reframing(words)))
    return found
