"""Quality checks before review, from seed 002's anti-patterns and the other seeds' guidance.

Errors block submitting for review unless the author overrides them with a reason;
warnings are advice. Every rule's level can be changed (or the rule turned off) per team.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from flows.blame import find_blame
from flows.policy import Policy
from storage.record import ActionItemData, PostmortemRecord

Level = Literal["error", "warning"]

DEFAULT_LEVELS: dict[str, Level] = {
    "blame": "error",
    "vague_action": "warning",
    "action_owner": "error",
    "action_due_date": "error",
    "no_timeline": "error",
    "no_detection_time": "warning",
    "went_well": "warning",
    "five_whys": "error",
    "late": "warning",
    "no_action_items": "error",
}
MIN_WENT_WELL = 2
MIN_WHYS = 5
MIN_TITLE_WORDS = 4
DATED_PRIORITIES = frozenset({"P0", "P1", "P2"})
CLOSED_ACTION = frozenset({"done", "wont_do"})


@dataclass(frozen=True)
class Finding:
    rule: str
    level: Level
    message: str
    offending: str | None = None
    # A blameless way to say it (seed 002's reframings), for blame findings.
    suggestion: str | None = None


_VAGUE = [
    re.compile(
        r"(?i)^\s*(?:improve|better|enhance|increase|more|fix|optimi[sz]e|strengthen)\s+"
        r"(?:the\s+|our\s+)?(?:monitoring|alerting|testing|tests|observability|documentation"
        r"|docs|communication|process(?:es)?|logging|performance|reliability|stability)\s*\.?$"
    ),
    re.compile(r"(?i)^\s*(?:better|more)\s+\w+\s*\.?$"),
    re.compile(r"(?i)\bfix\b.{0,40}\bperformance\b"),
    re.compile(r"(?i)^\s*(?:investigate|look\s+into|research|think\s+about|consider|revisit"
               r"|review)\b"),
]
_VAGUE_CRITERIA = re.compile(
    r"(?i)^\s*(?:done|fixed|complete[d]?|finished|resolved|it\s+works|works|ok|n/?a|tbd|-+"
    r"|when\s+done|better|improved)\s*\.?$"
)

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP_OWNER = re.compile(
    r"(?i)(?:<!subteam\^|<!(?:here|channel|everyone)>|@[\w.-]*(?:team|squad|group|ops)\b"
    r"|\b(?:team|squad|group|guild|everyone|everybody|all|ops|devs|engineering|we)\b)"
)
_GROUP_IN_TITLE = re.compile(
    r"(?i)<!subteam\^[^>]*>|<!(?:here|channel|everyone)>|@[\w.-]*-?(?:team|squad|group)\b"
    r"|\bowner:\s*[^,;)]*\b(?:team|squad|group)\b"
)


def _levels(overrides: Mapping[str, Level | None] | None) -> dict[str, Level | None]:
    levels: dict[str, Level | None] = dict(DEFAULT_LEVELS)
    if overrides:
        levels.update(overrides)
    return levels


def check_quality(
    record: PostmortemRecord,
    policy: Policy,
    now: datetime,
    *,
    levels: Mapping[str, Level | None] | None = None,
) -> list[Finding]:
    """Every finding, errors first; `levels` changes a rule's level, None turns it off."""
    active = _levels(levels)
    raw: list[tuple[str, str, str | None, str | None]] = [
        *((f.rule, f.message, f.offending, f.suggestion) for f in _blame(record)),
        *((*item, None) for item in _actions(record)),
        *((*item, None) for item in _sections(record, policy, now)),
    ]
    findings: list[Finding] = []
    seen: set[tuple[str, str, str | None]] = set()
    for rule, message, offending, suggestion in raw:
        level = active.get(rule)
        # "five_whys" is an error only without a root cause; with one it is advice.
        if rule == "five_whys" and record.postmortem.root_cause and level == "error":
            level = "warning"
        if level is None or (rule, message, offending) in seen:
            continue
        seen.add((rule, message, offending))
        findings.append(Finding(rule, level, message, offending, suggestion))
    findings.sort(key=lambda f: f.level != "error")
    return findings


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.level == "error"]


def can_submit(findings: Iterable[Finding], override_reason: str | None = None) -> bool:
    """No errors, or the author gave a reason for going ahead anyway."""
    return not blocking(findings) or bool(override_reason and override_reason.strip())


def _blame(record: PostmortemRecord) -> Iterable[Finding]:
    for f in find_blame(record):
        yield Finding("blame", "error", f.message, f.words, f.suggestion)


def _actions(record: PostmortemRecord) -> Iterable[tuple[str, str, str | None]]:
    items = record.action_items
    if not items:
        yield ("no_action_items",
               "There are no action items: add at least one that prevents a recurrence.", None)
    for a in items:
        if a.status == "wont_do":
            continue
        yield from _vague(a)
        yield from _owner(a)
        if a.priority in DATED_PRIORITIES and a.due_on is None and a.status not in CLOSED_ACTION:
            yield ("action_due_date",
                   f"AI-{a.number} is {a.priority} but has no due date; only P3 may wait in "
                   "the backlog.", None)


def _vague(a: ActionItemData) -> Iterable[tuple[str, str, str | None]]:
    ref = f"AI-{a.number}"
    title = a.title.strip()
    for pattern in _VAGUE:
        if match := pattern.search(title):
            yield ("vague_action",
                   f"{ref} is vague: say exactly what changes, e.g. “Add alert for DB pool "
                   "usage over 80%” rather than “Improve monitoring”.", match.group(0).strip())
            break
    else:
        if len(title.split()) < MIN_TITLE_WORDS:
            yield ("vague_action",
                   f"{ref} has a very short title: say what will be done, to what.", title)
    criteria = (a.success_criteria or "").strip()
    if not criteria:
        yield ("vague_action", f"{ref} has no success criteria: how will we know it is done?",
               None)
    elif _VAGUE_CRITERIA.match(criteria):
        yield ("vague_action", f"{ref}'s success criteria are not measurable.", criteria)


def _owner(a: ActionItemData) -> Iterable[tuple[str, str, str | None]]:
    ref = f"AI-{a.number}"
    owner = (a.owner_id or "").strip()
    if not owner:
        yield ("action_owner", f"{ref} has no owner: assign one person, even yourself.", None)
    elif not _SLACK_USER.match(owner) and (
        _GROUP_OWNER.search(owner) or "," in owner or " and " in owner
    ):
        yield ("action_owner",
               f"{ref} is owned by a group: give it a single person as owner.", owner)
    if match := _GROUP_IN_TITLE.search(a.title):
        yield ("action_owner",
               f"{ref} names a group in its title: give it a single person as owner.",
               match.group(0))


def _sections(
    record: PostmortemRecord, policy: Policy, now: datetime
) -> Iterable[tuple[str, str, str | None]]:
    inc, pm = record.incident, record.postmortem
    if not record.timeline:
        yield ("no_timeline",
               "There is no timeline: reconstruct it from logs and the incident channel.", None)
    if inc.detected_at is None:
        yield ("no_detection_time",
               "When was the incident detected? Without it the detection lag is unknown.", None)
    went_well = [x for x in record.learnings_of("went_well") if x.text.strip()]
    if len(went_well) < MIN_WENT_WELL:
        yield ("went_well",
               f"List at least {MIN_WENT_WELL} things that went well "
               f"({len(went_well)} so far): it reinforces good practice.", None)
    whys = [w for w in record.whys if (w.answer or "").strip()]
    if len(whys) < MIN_WHYS:
        if pm.root_cause:
            message = (f"Only {len(whys)} of {MIN_WHYS} whys are answered; check the root "
                       "cause really is systemic.")
        else:
            message = (f"Only {len(whys)} of {MIN_WHYS} whys are answered and there is no "
                       "systemic root cause yet.")
        yield ("five_whys", message, None)
    due = pm.due_at
    if due is None and inc.resolved_at is not None:
        due = policy.deadline.due_at(inc.resolved_at)
    submitted = pm.review_requested_at is not None or pm.status != "draft"
    if due is not None and now > due and not submitted:
        yield ("late",
               f"The deadline ({policy.deadline.describe()} after resolution) has passed; "
               "details fade fast, so submit what you have.", None)
