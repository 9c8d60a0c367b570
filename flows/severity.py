"""Severity names: SEV0–SEV4, also spelled P0–P4 (Opsgenie, Bilko) or SEV-1."""

from __future__ import annotations

import re

from flows.errors import FieldErrors

LEVELS = range(0, 5)
LABELS = {0: "Critical", 1: "Major", 2: "Moderate", 3: "Minor", 4: "Low"}
_PATTERN = re.compile(r"^\s*(?:sev|p|priority|severity)?[\s_-]*([0-4])\s*$", re.IGNORECASE)


def parse_severity(value: str | int, field: str = "severity") -> int:
    """`SEV1`, `sev-1`, `P1`, `1` → 1. Anything else is a field error."""
    if isinstance(value, int) and value in LEVELS:
        return value
    match = _PATTERN.match(str(value))
    if not match:
        raise FieldErrors({field: f"“{value}” is not a severity: use SEV0–SEV4 (or P0–P4)"})
    return int(match.group(1))


def severity_name(level: int) -> str:
    return f"SEV{level}"


def severity_label(level: int) -> str:
    return f"SEV{level} ({LABELS.get(level, '?')})"
