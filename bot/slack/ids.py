"""Every action_id, callback_id and block_id the bot uses, spelled `area.surface.verb`."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    POSTMORTEM = "/postmortem"


class Callback(StrEnum):
    START = "pm.start.submit"
    DETAILS = "pm.details.submit"
    TIMELINE = "pm.timeline.submit"
    TIMELINE_ENTRY = "pm.timeline_entry.submit"
    WHYS = "pm.whys.submit"
    FACTORS = "pm.factors.submit"
    IMPACT = "pm.impact.submit"
    LEARNINGS = "pm.learnings.submit"
    ACTION_ITEM = "pm.action_item.submit"
    # The list has no submit button; its callback is acknowledged all the same.
    ACTION_ITEMS = "pm.action_items.list"
    NUDGE_DUE = "ai.nudge_due.submit"
    WONT_DO = "ai.wont_do.submit"
    SHORTCUT_TIMELINE = "pm.timeline.shortcut"
    SHORTCUT_TIMELINE_SUBMIT = "pm.timeline_capture.submit"
    REVIEW_SUBMIT = "pm.review.submit"
    REVIEW_CHANGES = "pm.review.changes"
    COMMUNICATION = "pm.communication.submit"
    SUPPORTING = "pm.supporting.submit"
    FINANCE = "pm.finance.submit"
    COMPLIANCE = "pm.compliance.submit"
    REFERENCES = "pm.references.submit"
    RECURRENCE = "pm.recurrence.submit"
    MEETING = "pm.meeting.submit"


class Action(StrEnum):
    OPEN_DETAILS = "pm.control.details"
    OPEN_TIMELINE = "pm.control.timeline"
    OPEN_WHYS = "pm.control.whys"
    OPEN_IMPACT = "pm.control.impact"
    OPEN_LEARNINGS = "pm.control.learnings"
    OPEN_ACTION_ITEMS = "pm.control.action_items"
    TIMELINE_ADD = "pm.timeline.add"
    TIMELINE_EDIT = "pm.timeline.edit"
    TIMELINE_DELETE = "pm.timeline.delete"
    TIMELINE_PAGE = "pm.timeline.page"
    WHYS_ADD_FACTOR = "pm.whys.add_factor"
    WHYS_DELETE_FACTOR = "pm.whys.delete_factor"
    LEARNING_DELETE = "pm.learnings.delete"
    LEARNING_PAGE = "pm.learnings.page"
    # The control message's "More" menu: its options carry "<pm_id>:<section>".
    OPEN_MORE = "pm.control.more"
    REFERENCE_DELETE = "pm.references.delete"
    REFERENCE_PAGE = "pm.references.page"
    ACTION_ITEM_ADD = "pm.action_items.add"
    ACTION_ITEM_EDIT = "pm.action_items.edit"
    ACTION_ITEM_PAGE = "pm.action_items.page"
    ACTION_ITEM_STATUS = "ai.dm.status"
    REVIEW_OPEN = "pm.control.review"
    PREVIEW = "pm.control.preview"
    OPEN_MEETING = "pm.control.meeting"
    # Related-incident suggestions: options carry "<pm_id>:<earlier_pm_id>".
    RELATED_LINK = "pm.control.related"
    REVIEW_APPROVE = "pm.review.approve"
    REVIEW_REQUEST_CHANGES = "pm.review.request_changes"
    # Reminder messages: nudge buttons carry "<action_item_id>", follow-ups "<pm_id>:<reminder_id>".
    NUDGE_DONE = "ai.nudge.done"
    NUDGE_PROGRESS = "ai.nudge.progress"
    NUDGE_SNOOZE = "ai.nudge.snooze"
    NUDGE_DUE = "ai.nudge.due"
    FOLLOWUP_RECURRED = "pm.followup.recurred"
    FOLLOWUP_NO_RECURRENCE = "pm.followup.no_recurrence"
    # Webhook offers ("<incident_id>") and issue-tracker buttons ("<action_item_id>").
    OFFER_START = "pm.offer.start"
    TRACKER_GITHUB = "ai.tracker.github"
    TRACKER_JIRA = "ai.tracker.jira"
    TRACKER_RETRY = "ai.tracker.retry"
    # The App Home's tracker: filters (option values "<filter>:<choice>") and pages ("page:N").
    HOME_STATUS = "pm.home.status"
    HOME_SEVERITY = "pm.home.severity"
    HOME_SERVICE = "pm.home.service"
    HOME_TEAM = "pm.home.team"
    HOME_CLEAR = "pm.home.clear"
    HOME_PAGE = "pm.home.page"


class Event(StrEnum):
    APP_HOME_OPENED = "app_home_opened"


class HomeBlock(StrEnum):
    """block_ids of the App Home; those ending in a dot take the action item's id."""

    FILTERS = "pm.home.filters"
    PAGER = "pm.home.pager"
    ITEM = "pm.home.item."
    ITEM_ACTIONS = "pm.home.item_actions."
    OWED = "pm.home.owed."
    ROW = "pm.home.row."


class MeetingField(StrEnum):
    """Inputs of the review meeting modal."""

    WHEN = "pm.meeting.when"
    MINUTES = "pm.meeting.minutes"
    ATTENDEES = "pm.meeting.attendees"


class RecurrenceField(StrEnum):
    """Inputs of the "It happened again" modal."""

    INCIDENT = "pm.recurrence.incident"


class ReviewField(StrEnum):
    """Inputs of the review modals (the checklist's override reason, the reviewer's comment)."""

    OVERRIDE = "pm.review.override"
    COMMENT = "pm.review.comment"


class Block(StrEnum):
    TITLE = "pm.field.title"
    SEVERITY = "pm.field.severity"
    SERVICES = "pm.field.services"
    CHANNEL = "pm.field.channel"
    STARTED_AT = "pm.field.started_at"
    DETECTED_AT = "pm.field.detected_at"
    ACKNOWLEDGED_AT = "pm.field.acknowledged_at"
    MITIGATED_AT = "pm.field.mitigated_at"
    RESOLVED_AT = "pm.field.resolved_at"
    CONTROL_ACTIONS = "pm.control.actions"
    CONTROL_RELATED = "pm.control.related"
    IDENTIFIED_AT = "pm.field.identified_at"


class DetailsField(StrEnum):
    REFERENCE = "pm.field.reference"
    DETECTION = "pm.field.detection"
    COMMANDER = "pm.field.commander"
    FACILITATOR = "pm.field.facilitator"
    REVIEWERS = "pm.field.reviewers"
    ATTENDEES = "pm.field.attendees"
    SUMMARY = "pm.field.summary"
    MITIGATION = "pm.field.mitigation"
    FIX = "pm.field.fix"
    VALIDATION = "pm.field.validation"
    TEMPLATE = "pm.field.template"
    ALERT_NAME = "pm.field.alert_name"
    ALERT_SOURCE = "pm.field.alert_source"
    ALERT_URL = "pm.field.alert_url"
    MEETING_AT = "pm.field.meeting_at"
    MEETING_MINUTES = "pm.field.meeting_minutes"


class TimelineField(StrEnum):
    TIME_TEXT = "pm.timeline_entry.time_text"
    TIME_PICK = "pm.timeline_entry.time_pick"
    TEXT = "pm.timeline_entry.text"
    ACTOR = "pm.timeline_entry.actor"
    MILESTONE = "pm.timeline_entry.milestone"
    NAV_PREV = "pm.timeline.nav_prev"
    NAV_NEXT = "pm.timeline.nav_next"


class LearningField(StrEnum):
    KIND = "pm.learning.kind"
    ITEMS = "pm.learning.items"
    NAV_PREV = "pm.learning.nav_prev"
    NAV_NEXT = "pm.learning.nav_next"


class ReferenceField(StrEnum):
    KIND = "pm.reference.kind"
    LABEL = "pm.reference.label"
    URL = "pm.reference.url"
    NAV_PREV = "pm.reference.nav_prev"
    NAV_NEXT = "pm.reference.nav_next"


class CommunicationField(StrEnum):
    STATUS_UPDATES = "pm.communication.status_updates"
    STAKEHOLDERS = "pm.communication.stakeholders"
    STATUS_PAGE = "pm.communication.status_page"
    CUSTOMER_NOTICE = "pm.communication.customer_notice"
    PUBLIC_STATEMENTS = "pm.communication.public_statements"
    DISTRIBUTION = "pm.communication.distribution"


class SupportingField(StrEnum):
    LOG_EXCERPTS = "pm.supporting.log_excerpts"
    CONFIG_CHANGES = "pm.supporting.config_changes"
    REVIEW_CADENCE = "pm.supporting.review_cadence"
    NEXT_REVIEW = "pm.supporting.next_review"
    RELATED_PATTERN = "pm.supporting.related_pattern"
    GLOSSARY = "pm.supporting.glossary"


class FinanceField(StrEnum):
    MODULES = "pm.finance.finance_modules"
    CORRUPTION = "pm.finance.finance_corruption"
    PRECISION = "pm.finance.finance_precision"


class ComplianceField(StrEnum):
    ITEMS = "pm.compliance.items"


class ActionItemField(StrEnum):
    """block_ids of the action item's add/edit modal."""

    TITLE = "pm.action_item.title"
    OWNER = "pm.action_item.owner"
    DUE = "pm.action_item.due"
    PRIORITY = "pm.action_item.priority"
    CATEGORY = "pm.action_item.category"
    CRITERIA = "pm.action_item.success_criteria"
    STATUS = "pm.action_item.status"
    WONT_DO_REASON = "pm.action_item.wont_do_reason"


class ActionItemBlock(StrEnum):
    """block_ids of the action-item list, the owner's DMs and the reminders; those ending in a
    dot take the item's (or reminder's) id, or the status the button sets."""

    LIST_ACTIONS = "pm.action_items.actions"
    LIST_ITEM = "pm.action_items.item."
    LIST_TRACKER = "pm.action_items.tracker."
    LIST_PREVIOUS = "pm.action_items.previous"
    LIST_NEXT = "pm.action_items.next"
    DM_STATUS = "ai.dm."
    NUDGE_ITEM = "ai.nudge.item."
    NUDGE_ACTIONS = "ai.nudge.actions."
    NUDGE_DUE_DATE = "ai.nudge_due.date"
    WONT_DO_REASON = "ai.wont_do.reason"
    FOLLOW_UP_ANSWER = "pm.followup.answer."
    TRACKER_RETRY = "ai.tracker.retry_actions"
