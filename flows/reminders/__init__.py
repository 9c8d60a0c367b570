"""Reminders: what is planned when (plan), the weekly nudge (nudge), what a due row says (due)."""
