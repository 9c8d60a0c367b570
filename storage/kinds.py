"""The values that status and kind columns hold, shared by every layer that reads them."""

from __future__ import annotations

# Post-mortem lifecycle: Draft → In review → Published → Closed.
DRAFT, IN_REVIEW, PUBLISHED, CLOSED = "draft", "in_review", "published", "closed"

# Action items.
OPEN, IN_PROGRESS, DONE, WONT_DO = "open", "in_progress", "done", "wont_do"
ITEM_STATUSES = (OPEN, IN_PROGRESS, DONE, WONT_DO)
OPEN_ITEM_STATUSES = (OPEN, IN_PROGRESS)
# Issue trackers an item can be filed in: the prefix of `tracker_ref`, the "always" setting.
GITHUB, JIRA = "github", "jira"
TRACKERS = (GITHUB, JIRA)

# Reminder rows: what the bot owes someone at a time.
DEADLINE, ESCALATION, FOLLOW_UP, NUDGE, DIGEST, SNOOZE = (
    "deadline", "escalation", "follow_up", "nudge", "digest", "snooze",
)
# Outbox rows, in the same table: messages owed right now rather than at a time. A MESSAGE is
# rendered when it is written; a REFRESH redraws a post-mortem's control message from the
# database when it is sent; an UPLOAD puts a stored document version into the thread.
# A CONTROL is a post-mortem's control message, rendered when sent; its ts is kept on the row.
MESSAGE, REFRESH, UPLOAD, CONTROL = "message", "refresh", "upload", "control"
# Reminder row statuses.
PENDING, CLAIMED, SENT, CANCELLED, FAILED = "pending", "claimed", "sent", "cancelled", "failed"
LIVE = (PENDING, CLAIMED)
# The day-30 follow-up asks a question instead of reporting progress.
RECURRENCE = "recurrence"
# A user's App Home published again (views.publish), rendered from the database when sent.
HOME = "home"
# The monthly program report in the announce channel: chart and table, rendered when due.
REPORT = "report"
# Overdue action items rolled up to their owners' engineering managers, weekly: the round
# (no target) plans one row per manager (target: the manager), sent once each.
ROLLUP = "rollup"
