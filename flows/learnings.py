"""Learnings: what went well, poorly, lucky, surprises and the lessons, as lists of entries."""

from __future__ import annotations

LEARNING_KINDS = {
    "went_well": "What went well",
    "went_poorly": "What went poorly",
    "lucky": "Where we got lucky",
    "surprise": "Surprising findings",
    "lesson_technical": "Technical lessons",
    "lesson_process": "Process lessons",
    "lesson_culture": "Culture lessons",
}
