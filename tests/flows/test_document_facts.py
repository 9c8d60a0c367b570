"""What every built-in document must get right: names not ids, one definition per duration,
"Not recorded" only for empty fields, due dates as the policy says, the author's summary."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from flows.action_items import window_text
from flows.document import render_markdown
from flows.durations import incident_durations
from storage.record import PostmortemRecord
from tests.flows.factories import CHANNELS, NOW, PEOPLE, at, entry, full_record

TEMPLATES = ["bilko", "comprehensive", "enterprise", "lean", "tz010"]
SLACK_ID = re.compile(r"\b[UWCG]0[A-Z0-9]{2,}\b")
DURATION = re.compile(r"(?<!< )\b\d+ (?:d|h|min|s)(?: \d+ (?:h|min|s))?\b")


def render(record: PostmortemRecord, template: str, **kw: object) -> str:
    kw = {"people": PEOPLE, "channels": CHANNELS, "tz": "Europe/Berlin"} | kw
    return render_markdown(record, template=template, now=NOW, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("template", TEMPLATES)
def test_names_not_ids(template: str) -> None:
    record = full_record()
    record.timeline.append(entry(4, "<@U0DAVE> is checking <#C0INCIDENT> and <!here>",
                                 "U0DAVE", source="message"))
    text = render(record, template)
    assert SLACK_ID.findall(text) == []
    assert "@alice" in text or "@carol" in text


def test_channel_and_people_fall_back_to_ids_only_when_unknown() -> None:
    text = render(full_record(), "comprehensive", people={}, channels={})
    assert "**Incident Channel:** C0INCIDENT" in text and "@U0ALICE" in text
    named = render(full_record(), "comprehensive")
    assert "**Incident Channel:** #inc-checkout-500s" in named


def test_slack_markup_in_captured_messages_becomes_names() -> None:
    record = full_record()
    record.timeline = [entry(1, "<@U0BOB> see <https://grafana.example.com/d/x|the dashboard> "
                                "&amp; <#C0INCIDENT|old-name>", "U0BOB", source="message"),
                       entry(2, "<@U0BOB> typed by hand stays as typed", "System")]
    text = render(record, "lean")
    assert "@bob see the dashboard (https://grafana.example.com/d/x) &amp; #inc-checkout-500s" \
        in text
    assert "&lt;@U0BOB&gt; typed by hand" in text


@pytest.mark.parametrize("template", TEMPLATES)
def test_one_definition_per_duration(template: str) -> None:
    record = full_record()
    text = render(record, template)
    d = incident_durations(record)
    defined = {x.text for x in d.present()}
    # The error budget's own window is the only other figure in minutes.
    allowed = defined | {"43 min 12 s"}
    assert set(DURATION.findall(text)) <= allowed
    # Every figure shown is defined in the document, from which milestone to which.
    assert "**How the durations are measured:**" in text
    for x in d.present():
        assert f"**{x.label}:** {x.text}, {x.definition}" in text


def test_durations_say_which_milestones_they_span() -> None:
    d = incident_durations(full_record())
    assert [(x.label, x.text, x.definition) for x in d.present()] == [
        ("Impact window", "9 min", "from first symptom to mitigation"),
        ("Time to detect", "2 min 15 s", "from first symptom to detection"),
        ("Time to acknowledge", "45 s", "from detection to acknowledgement"),
        ("Time to diagnose", "2 min", "from acknowledgement to root cause identified"),
        ("Time to mitigate", "6 min 45 s", "from detection to mitigation"),
        ("Time to resolve", "9 min 45 s", "from detection to resolution"),
    ]


def test_entered_impact_and_missing_mitigation_are_stated() -> None:
    record = full_record()
    record.postmortem.impact_minutes = 45
    assert incident_durations(record).impact.definition == "as entered by the author"
    record.postmortem.impact_minutes = None
    record.incident.mitigated_at = None
    for e in record.timeline:
        e.milestone = None if e.milestone == "mitigated" else e.milestone
    impact = incident_durations(record).impact
    assert (impact.text, impact.definition) == ("12 min", "from first symptom to resolution")


def test_marked_timeline_entries_are_milestones() -> None:
    record = full_record()
    record.incident.identified_at = None
    record.incident.detected_at = None
    d = incident_durations(record)
    assert d.milestones.get("root_cause_identified") == at(5)
    assert d.milestones.get("detected") == at(2.25)
    assert d.milestones.source["detected"] == "timeline"


def _blank_whys_narrative(record: PostmortemRecord) -> None:
    pm = record.postmortem
    pm.cause_what = pm.cause_why = pm.cause_how = None


@pytest.mark.parametrize("template", TEMPLATES)
def test_not_recorded_never_sits_next_to_recorded_data(template: str) -> None:
    record = full_record()
    _blank_whys_narrative(record)
    record.postmortem.customer_impact = None
    text = render(record, template)
    for contradiction in (
        "No primary root cause was recorded",
        "**What:** Not recorded",
        "**Why:** Not recorded",
        "**Customer Impact:** Not recorded",
        "**User Impact:** Not recorded",
        "**Attendees:** Not recorded",
        "**Incident Commander:** Not recorded",
        "No technical explanation was recorded",
    ):
        assert contradiction not in text
    # With the narrative blank, the first why answers "what happened".
    if template in ("comprehensive", "tz010", "bilko"):
        assert "Database connections were exhausted. (the answer to the first" in text


def test_tz010_customer_impact_is_the_users_affected() -> None:
    record = full_record()
    record.postmortem.customer_impact = None
    text = render(record, "tz010")
    assert "**Customer Impact:** about 500 users (25% of active users); failed requests: " \
        "about 1,200" in text


@pytest.mark.parametrize("template", TEMPLATES)
def test_due_date_wording_matches_the_policy(template: str) -> None:
    text = render(full_record(), template)
    assert "1 week" not in text and "3 months" not in text and "1-2 months" not in text
    assert window_text("P1") == "within 2 weeks" and window_text("P2") == "within a month"
    if template in ("bilko", "comprehensive", "tz010"):
        assert "P0/P1" in text and "within 2 weeks" in text
        assert "P2" in text and "within a month" in text


def test_p2_items_are_not_filed_under_next_quarter() -> None:
    text = render(full_record(), "tz010")
    long_term = text.split("### Long-term", 1)[1].split("\n## ", 1)[0]
    assert "AI-3" not in long_term  # the P2 item, due within a month
    medium = text.split("### Medium-term", 1)[1].split("###", 1)[0]
    assert "AI-3" in medium


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_authors_summary_leads_and_the_draft_stands_in(template: str) -> None:
    record = full_record()
    own = render(record, template)
    assert "Checkout failed for 12 minutes during peak traffic." in own
    assert "an incident affected" not in own or template == "tz010"
    record.postmortem.summary = None
    drafted = render(record, template)
    assert "an incident affected checkout-api and postgres: Checkout API returned 500 " \
        "errors." in drafted


@pytest.mark.parametrize("template", TEMPLATES)
def test_whys_render_as_the_chain_the_team_wrote(template: str) -> None:
    record = full_record()
    record.whys[1].question = "Why did this happen: “Database connections were exhausted”?"
    text = render(record, template)
    assert "Why did this happen: “Database connections were exhausted”?" in text
    assert "The pool max\\_size of 10 was too small for peak traffic." in text
    assert "Why the " not in text


def test_a_timeline_across_a_clock_change_shows_each_wall_clock_time() -> None:
    record = full_record()
    change = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # Europe/Berlin: 02:00 CET → 03:00 CEST
    record.timeline = [entry(0, "before", "System"), entry(1, "after", "System")]
    record.timeline[0].occurred_at = change - timedelta(minutes=30)
    record.timeline[1].occurred_at = change + timedelta(minutes=30)
    record.incident.started_at = record.timeline[0].occurred_at
    for name in ("detected_at", "acknowledged_at", "identified_at", "mitigated_at",
                 "resolved_at"):
        setattr(record.incident, name, None)
    text = render(record, "lean")
    assert "**01:30** — before" in text and "**03:30** — after" in text


def test_the_executive_summary_gets_the_same_durations() -> None:
    assert incident_durations(full_record()).sentences()[:2] == [
        "Impact window: 9 min (from first symptom to mitigation)",
        "Time to detect: 2 min 15 s (from first symptom to detection)",
    ]
