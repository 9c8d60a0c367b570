"""Validation of the document's new inputs: every problem reported at once, by field name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.archive import ArchivePlace, archive_location, archive_name, safe_reference, slug
from flows.compliance import ARB_ITEMS, read_compliance, tick_changes
from flows.errors import FieldErrors
from flows.inputs import (
    ALERT_FIELDS,
    COMMUNICATION_FIELDS,
    FOLLOW_UP_FIELDS,
    SUPPORTING_FIELDS,
    TEXT_MAX,
    check_url,
    glossary_terms,
    lines_of,
    read_alert,
    read_finance,
    read_meeting,
    read_text_fields,
)
from flows.milestones import MILESTONES, read_milestone
from flows.references import REFERENCE_KINDS, read_reference
from flows.whys import read_why
from storage.tables import ComplianceTick, Why
from tests.flows.factories import NOW, full_record


def errors_of(call) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(FieldErrors) as err:
        call()
    return err.value.errors


def test_text_groups_trim_and_refuse_overlong_text() -> None:
    values = {"status_page": "  https://status.example.com/1 ", "stakeholders": "",
              "distribution": "x" * (TEXT_MAX + 1)}
    errors = errors_of(lambda: read_text_fields(COMMUNICATION_FIELDS, values))
    assert list(errors) == ["distribution"]
    assert "3000 characters" in errors["distribution"]
    values["distribution"] = "Engineering\n- Support"
    out = read_text_fields(COMMUNICATION_FIELDS, values)
    assert out["status_page"] == "https://status.example.com/1"
    assert out["stakeholders"] is None and out["customer_notice"] is None
    assert lines_of(out["distribution"]) == ["Engineering", "Support"]
    # Every field a modal needs: a name, a label and a limit within Slack's.
    for group in (ALERT_FIELDS, COMMUNICATION_FIELDS, SUPPORTING_FIELDS, FOLLOW_UP_FIELDS):
        for spec in group:
            assert spec.label and 0 < spec.max_length <= TEXT_MAX


def test_alert() -> None:
    assert read_alert({"alert_name": " CheckoutErrorRate ", "alert_source": "Prometheus",
                       "alert_url": ""}) == {
        "alert_name": "CheckoutErrorRate", "alert_source": "Prometheus", "alert_url": None}
    errors = errors_of(lambda: read_alert({"alert_name": "", "alert_url": "https://x.example/a"}))
    assert list(errors) == ["alert_name"]
    errors = errors_of(lambda: read_alert({"alert_name": "x" * 300, "alert_url": "ftp://x"}))
    assert set(errors) == {"alert_name", "alert_url"}


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://", "https://a b.example",
                                 "example.com/x", "https://" + "x" * 1000])
def test_links_must_be_web_links(url: str) -> None:
    assert "url" in errors_of(lambda: check_url(url, "url"))


def test_references() -> None:
    ref = read_reference("dashboard", "  Checkout   SLO ", "https://grafana.example.com/d/1")
    assert (ref.kind, ref.label, ref.url) == ("dashboard", "Checkout SLO",
                                              "https://grafana.example.com/d/1")
    assert read_reference("runbook", "", "https://wiki.example.com/rb").label == "wiki.example.com"
    errors = errors_of(lambda: read_reference("poster", "x" * 300, ""))
    assert set(errors) == {"kind", "label", "url"}
    assert "dashboard" in REFERENCE_KINDS and "related_incident" in REFERENCE_KINDS


def test_meeting() -> None:
    at = datetime(2026, 3, 16, 14, 0, tzinfo=UTC)
    assert read_meeting(at, " 60 ", ["U0A", "U0B", "U0A", ""]) == {
        "meeting_at": at, "meeting_minutes": 60, "attendees": ["U0A", "U0B"]}
    assert read_meeting(None, None)["meeting_minutes"] is None
    assert set(errors_of(lambda: read_meeting(None, "45"))) == {"meeting_at"}
    assert set(errors_of(lambda: read_meeting(at, "an hour"))) == {"meeting_minutes"}
    assert set(errors_of(lambda: read_meeting(at.replace(tzinfo=None), "0"))) == {
        "meeting_at", "meeting_minutes"}


def test_finance() -> None:
    out = read_finance(["vat", "currency", "vat"], {"finance_corruption": " No ",
                                                   "finance_precision": "Yes"})
    assert out == {"finance_modules": ["vat", "currency"], "finance_corruption": "No",
                   "finance_precision": "Yes"}
    assert set(errors_of(lambda: read_finance(["crypto"], {}))) == {"finance_modules"}
    assert set(errors_of(lambda: read_finance(["none", "vat"], {}))) == {"finance_modules"}


def test_glossary_lines() -> None:
    assert glossary_terms("Pool: a cache: of connections\n\n- PgBouncer\n") == [
        ("Pool", "a cache: of connections"), ("PgBouncer", "")]


def test_milestones() -> None:
    assert read_milestone("root_cause_identified") == "root_cause_identified"
    assert read_milestone("") is None and read_milestone(None) is None
    assert list(errors_of(lambda: read_milestone("lunch"))) == ["milestone"]
    assert list(MILESTONES)[::7] == ["started", "resolved"]


def test_whys_keep_the_teams_question_or_quote_the_previous_answer() -> None:
    whys = [Why(postmortem_id=1, position=1, question="q", answer="The pool was exhausted.")]
    assert read_why(" The deploy doubled connections ", "", incident_title="t", whys=whys) == (
        "Why did this happen: “The pool was exhausted”?", "The deploy doubled connections")
    assert read_why("x", "Why did the pool run dry", incident_title="t", whys=whys)[0] == \
        "Why did the pool run dry?"
    assert set(errors_of(lambda: read_why("", "q" * 600, incident_title="t", whys=[]))) == {
        "answer", "question"}


def test_compliance_ticks_keep_who_ticked() -> None:
    assert read_compliance(["arb_shared", " tickets_created "]) == {"arb_shared",
                                                                    "tickets_created"}
    assert list(errors_of(lambda: read_compliance(["coffee"]))) == ["compliance"]
    existing = [ComplianceTick(postmortem_id=1, item="arb_shared", ticked_by="U0CAROL",
                               ticked_at=NOW)]
    changes = tick_changes(1, existing, {"tickets_created"}, user_id="U0BOB", now=NOW)
    assert [(t.item, t.ticked_by) for t in changes.add] == [("tickets_created", "U0BOB")]
    assert [t.item for t in changes.remove] == ["arb_shared"]
    assert changes.describe() == "ticked tickets_created; unticked arb_shared"
    assert len(ARB_ITEMS) == 3


def test_archive_names_cannot_collide() -> None:
    record = full_record()
    record.incident.reference = "INC-2026-11-21-001"
    record.incident.title = "Checkout down!"
    record.incident.started_at = datetime(2026, 11, 21, 23, 30, tzinfo=UTC)
    assert archive_name(record) == "2026-11-21-INC-2026-11-21-001-checkout-down.md"
    record.incident.title = "Сбой оплаты — Bašić ß"
    assert archive_name(record) == "2026-11-21-INC-2026-11-21-001-сбой-оплаты-basic-ß.md"
    record.incident.title = "!!!"
    assert archive_name(record) == "2026-11-21-INC-2026-11-21-001.md"
    # References that only differ in characters a path cannot keep, or in case, stay apart.
    refs = ["INC/1", "INC-1", "inc-1", "INC 1", "../INC-1"]
    assert len({safe_reference(r) for r in refs}) == len(refs)
    assert all("/" not in safe_reference(r) and ".." not in safe_reference(r) for r in refs)
    assert slug("x" * 100) == "x" * 60


def test_the_archive_location_a_document_names() -> None:
    record = full_record()
    record.postmortem.archive_path = record.postmortem.archive_url = None
    name = archive_name(record)
    github = ArchivePlace("post-mortems/", "https://github.com/acme/handbook/blob/HEAD/post-mortems/")
    # A draft is not in the archive; the version being published names the file it goes to.
    assert archive_location(github, record, publishing=False) == (None, None)
    assert archive_location(None, record, publishing=True) == (None, None)
    assert archive_location(github, record, publishing=True) == (
        f"post-mortems/{name}", f"https://github.com/acme/handbook/blob/HEAD/post-mortems/{name}")
    assert archive_location(ArchivePlace("docs/pms/"), record, publishing=True) == (
        f"docs/pms/{name}", None)
    # Once archived, where it went, as the archive answered; renamed since, it keeps its file.
    record.postmortem.archive_path = f"post-mortems/{name}"
    record.postmortem.archive_url = f"https://github.com/acme/handbook/blob/main/post-mortems/{name}"
    record.incident.title = "Renamed"
    for publishing in (False, True):
        assert archive_location(github, record, publishing=publishing) == (
            record.postmortem.archive_path, record.postmortem.archive_url)


@pytest.mark.parametrize(("text", "expected"), [
    ("Root cause: connection pool exhausted", "root_cause_identified"),
    ("Rolling back payment-api to v2.13", "fix_applied"),
    ("PagerDuty alert fired", "detected"),
    ("All clear, resolved", "resolved"),
    ("Lunch", None),
])
def test_milestone_suggestions(text: str, expected: str | None) -> None:
    from flows.milestones import suggest_milestone

    assert suggest_milestone(text) == expected
