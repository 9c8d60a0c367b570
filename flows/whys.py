"""The 5 Whys: the question each answer replies to, and the vocabulary of contributing factors.

A question is either the team's own or quotes what it asks about word for word: "Why did
this happen: “The database connection pool was exhausted”?". Turning an answer into a
question by grammar ("Why the database connection pool was exhausted?") gets English
wrong more often than right, so it is never done.
"""

from __future__ import annotations

from collections.abc import Sequence

from flows.errors import FieldErrors
from storage.tables import Why

MIN_WHYS = 5
FACTOR_CATEGORIES = ("Process", "Code", "Infrastructure", "Communication")
FACTOR_SEVERITIES = ("High", "Med", "Low")
ANSWER_MAX = 3000
QUESTION_MAX = 500


def next_question(incident_title: str, whys: Sequence[Why]) -> str:
    """Why 1 asks about the incident, every later why about the previous answer, quoted."""
    subject = whys[-1].answer if whys else incident_title
    quoted = " ".join(subject.split()).rstrip(".!?;:, ")
    return f"Why did this happen: “{quoted}”?" if quoted else "Why did this happen?"


def read_why(
    answer: str | None, question: str | None, *, incident_title: str, whys: Sequence[Why]
) -> tuple[str, str]:
    """(question, answer) for the next why: the team's own question if they wrote one."""
    errors: dict[str, str] = {}
    text = (answer or "").strip()
    asked = " ".join((question or "").split())
    if not text:
        errors["answer"] = "Answer the why, or leave the form when you reached the root cause."
    elif len(text) > ANSWER_MAX:
        errors["answer"] = f"Keep the answer under {ANSWER_MAX} characters."
    if len(asked) > QUESTION_MAX:
        errors["question"] = f"Keep the question under {QUESTION_MAX} characters."
    if errors:
        raise FieldErrors(errors)
    if asked and not asked.endswith("?"):
        asked += "?"
    return asked or next_question(incident_title, whys), text
