"""The 5 Whys: how the next question is asked, and the vocabulary of contributing factors."""

from __future__ import annotations

from collections.abc import Sequence

from storage.tables import Why

MIN_WHYS = 5
FACTOR_CATEGORIES = ("Process", "Code", "Infrastructure", "Communication")
FACTOR_SEVERITIES = ("High", "Med", "Low")


def next_question(incident_title: str, whys: Sequence[Why]) -> str:
    """Why 1 asks about the incident; every later why asks about the previous answer."""
    if not whys:
        return f"Why did this happen: {incident_title.rstrip('.?!')}?"
    last = whys[-1].answer.strip().rstrip(".?!")
    first, rest = last[:1].lower(), last[1:]
    return f"Why {first}{rest}?"
