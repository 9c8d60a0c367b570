"""The document's timeline rows: time order and clock times, however the entries arrive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from flows.document import list_templates, render_markdown
from flows.milestones import milestone_times
from storage.record import ReadTimeline, TimelineColumns, TimelineItem
from storage.tables import TimelineEntry
from tests.flows.factories import NOW, PEOPLE, empty_record, full_record


def _entry(when: datetime, text: str) -> TimelineEntry:
    return TimelineEntry(postmortem_id=1, occurred_at=when, text=text, actor="U0BOB",
                         created_at=when)


def _render(entries: list[TimelineEntry]) -> str:
    record = empty_record()
    record.timeline = list(entries)  # ORM rows read like the plain ones load_record gives
    return render_markdown(record, template="comprehensive", tz="Europe/Berlin", now=NOW,
                           people=PEOPLE)


def test_entries_out_of_order_render_in_time_order() -> None:
    start = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
    entries = [_entry(start + timedelta(minutes=m), f"step {m}") for m in (30, 0, 10)]
    text = _render(entries)
    assert text.index("step 0") < text.index("step 10") < text.index("step 30")
    assert text == _render(sorted(entries, key=lambda e: e.occurred_at))


def test_dated_times_follow_the_clock_when_it_goes_back() -> None:
    # Europe/Berlin leaves summer time at 01:00 UTC on 25 October 2026: 02:59 CEST is
    # followed, 40 seconds later, by 02:00 CET. The entry a day earlier dates every row.
    entries = [
        _entry(datetime(2026, 10, 24, 8, 0, tzinfo=UTC), "the day before"),
        _entry(datetime(2026, 10, 25, 0, 59, 30, tzinfo=UTC), "last summer minute"),
        _entry(datetime(2026, 10, 25, 1, 0, 10, tzinfo=UTC), "first winter minute"),
        _entry(datetime(2026, 10, 25, 1, 0, 40, tzinfo=UTC), "same winter minute"),
    ]
    lines = _render(entries).splitlines()

    def time_of(text: str) -> str:
        return next(line for line in lines if text in line).split("|")[1].strip()

    assert time_of("the day before") == "2026-10-24 10:00"
    assert time_of("last summer minute") == "2026-10-25 02:59"
    assert time_of("first winter minute") == "2026-10-25 02:00"
    assert time_of("same winter minute") == "2026-10-25 02:00"


def test_a_team_template_reads_the_timeline_as_a_list(tmp_path: Path) -> None:
    # The rows are made as the template reaches them; a team's template still indexes,
    # slices, filters and goes through them more than once as it would a list.
    (tmp_path / "team.md.j2").write_text(
        "{{ timeline|length }} {{ timeline[0].time }} {{ timeline[-1].cell }}"
        " {{ timeline|last|attr('event') }}\n"
        "{% for row in timeline[1:] %}{{ row.actor }};{% endfor %}\n"
        "{% for row in timeline|selectattr('mark') %}{{ row.event }}{% endfor %}\n"
        "{% for time, event, actor, cell, text, link, mark in timeline %}{{ text|md_inline }}"
        "{% if loop.last %}.{% endif %}{% endfor %}\n",
        encoding="utf-8",
    )
    start = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
    entries = [_entry(start + timedelta(minutes=m), f"step_{m}") for m in (0, 10, 20)]
    entries[1].milestone = "detected"
    record = empty_record()
    record.timeline = entries
    text = render_markdown(record, template="team", templates_dir=tmp_path,
                           tz="Europe/Berlin", now=NOW, people=PEOPLE)
    # (trim_blocks: no line break after a block tag)
    assert text.splitlines() == [
        "3 10:00 step\\_20 step\\_20",
        "@bob;@bob;**Detected:** step\\_10step\\_0step\\_10step\\_20.",
    ]


def test_the_built_in_table_is_what_the_loop_over_the_rows_writes(tmp_path: Path) -> None:
    # `timeline.table` stands in for the built-in templates' loop; a team's template that
    # loops as they used to gets the same lines, dated or not, milestones marked or not.
    (tmp_path / "loop.md.j2").write_text(
        "{% for time, event, actor, cell, text, link, mark in timeline %}\n"
        "| {{ time }} | {{ event }} | {{ actor }} |\n{% endfor %}\n")
    (tmp_path / "table.md.j2").write_text("{{ timeline.table }}\n")
    start = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    entries = [_entry(start + timedelta(minutes=37 * m), f"step *{m}* | <{m}>") for m in range(60)]
    entries[3].milestone = "detected"
    record = empty_record()
    record.timeline = list(entries)

    def render(template: str) -> str:
        return render_markdown(record, template=template, templates_dir=tmp_path,
                               tz="Europe/Berlin", now=NOW, people=PEOPLE)

    assert "**" in render("table") and "2026-10-25 " in render("table")
    assert render("table") == render("loop")


def test_a_timeline_read_as_columns_renders_as_its_entries_do() -> None:
    # load_record's timeline (storage/record.py ReadTimeline) is read column by column by the
    # document, the milestones and the alerts; a record built in memory holds entries.
    record = full_record()
    record.timeline.append(TimelineEntry(
        postmortem_id=1, occurred_at=record.timeline[2].occurred_at, text="HighLatency fired",
        source="webhook", link="https://alerts.example.com/1", milestone="",
        created_at=NOW))
    record.timeline[3].milestone = None
    entries = sorted(record.timeline, key=lambda e: e.occurred_at)
    items = [TimelineItem(n, e.occurred_at, e.text, e.actor, e.source, e.link, e.milestone)
             for n, e in enumerate(entries, 1)]
    columns = TimelineColumns(*(list(c) for c in zip(*items, strict=True)))
    as_entries = {name: render_markdown(record, template=name, tz="Europe/Berlin", now=NOW,
                                        people=PEOPLE) for name in list_templates()}
    record.timeline = ReadTimeline(columns)
    for name, text in as_entries.items():
        assert render_markdown(record, template=name, tz="Europe/Berlin", now=NOW,
                               people=PEOPLE) == text
    assert "HighLatency fired" in as_entries["comprehensive"]
    assert milestone_times(record.incident, record.timeline) == milestone_times(
        record.incident, items)
