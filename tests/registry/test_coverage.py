from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sohoa.core.domain import DocumentState
from sohoa.core.periods import parse_period
from sohoa.registry.coverage import compute_coverage, count_coverage, dossier_statuses, summarize
from sohoa.registry.register import import_register, link_document
from sohoa.registry.sources import SourceFormat
from sohoa.storage.database import Database
from tests.registry.builders import add_document, dossier_code, register_csv

S = DocumentState
PROCEDURES = {
    "1.001029.000.00.00.H19": ("Cấp giấy phép kinh doanh dịch vụ karaoke", "Văn hóa"),
    "1.000963.000.00.00.H19": ("Công nhận câu lạc bộ thể thao cơ sở", "Thể dục thể thao"),
    "2.001234": ("Cấp phép tổ chức lễ hội", "Văn hóa"),
}
# Documents that leave a dossier without a signed archived result.
NOT_ARCHIVED = (S.RECEIVED, S.OCR_DONE, S.NEEDS_REVIEW, S.APPROVED, S.SIGNED, S.FAILED, S.REJECTED)


def test_a_thousand_dossiers_six_hundred_archived_report_exactly_0_6(database: Database) -> None:
    rng = random.Random(20250331)
    q1 = parse_period("2025-Q1")
    codes = list(PROCEDURES)
    rows = []
    for i in range(1000):
        day = date.fromordinal(q1.start.toordinal() + rng.randrange((q1.end - q1.start).days))
        procedure = codes[i % len(codes)]
        name, field = PROCEDURES[procedure]
        rows.append([dossier_code(day, i), procedure, name, field, day, day, "paper"])
    register = register_csv(rows)
    with database.session() as session:
        assert import_register(session, register, SourceFormat.CSV, actor="test").inserted == 1000
    archived = set(rng.sample([r[0] for r in rows], 600))
    with database.session() as session:
        for row in rows:
            if row[0] in archived:
                add_document(session, dossier=row[0], state=S.ARCHIVED, procedure_code=row[1])
            elif rng.random() < 0.5:  # scanned but not there yet: still missing
                add_document(session, dossier=row[0], state=rng.choice(NOT_ARCHIVED), procedure_code=row[1])
    with database.session() as session:
        report = compute_coverage(session, q1)
    assert report.overall.paper == 1000 and report.overall.archived == 600
    assert report.overall.rate == 0.6
    assert report.overall.missing == 400
    assert {s.entry.dossier_code for s in report.missing} == {r[0] for r in rows} - archived
    missing_order = [(s.entry.resolved_date, s.entry.dossier_code) for s in report.missing]
    assert missing_order == sorted(missing_order)
    for p in report.by_procedure:
        mine = [r for r in rows if r[1] == p.procedure_code]
        assert p.procedure_name == PROCEDURES[p.procedure_code][0]
        assert p.coverage.paper == len(mine)
        assert p.coverage.archived == sum(1 for r in mine if r[0] in archived)
    culture = next(f for f in report.by_field if f.field == "Văn hóa")
    assert culture.coverage.paper == sum(1 for r in rows if PROCEDURES[r[1]][1] == "Văn hóa")

    # Re-importing the same register changes nothing, the report included.
    with database.session() as session:
        again = import_register(session, register, SourceFormat.CSV, actor="test")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1000)
    with database.session() as session:
        assert compute_coverage(session, q1, now=report.generated_at) == report
        assert count_coverage(session, q1) == report.overall


@dataclass(frozen=True)
class Case:
    """One dossier, its documents, and what the definitions say it counts as."""

    states: tuple[S, ...]
    result_type: str = "paper"
    digitized: bool = False
    signed: bool = False
    archived: bool = False
    fully: bool = False
    best: S | None = None


CASES = {
    "no documents": Case(()),
    "received only": Case((S.RECEIVED,), best=S.RECEIVED),
    "read by OCR": Case((S.OCR_DONE,), digitized=True, best=S.OCR_DONE),
    "waiting for review": Case((S.NEEDS_REVIEW,), digitized=True, best=S.NEEDS_REVIEW),
    "signed, not stored": Case((S.SIGNED,), digitized=True, signed=True, best=S.SIGNED),
    "archived": Case((S.ARCHIVED,), digitized=True, signed=True, archived=True, fully=True, best=S.ARCHIVED),
    "archived, one page pending": Case(
        (S.ARCHIVED, S.RECEIVED), digitized=True, signed=True, archived=True, best=S.ARCHIVED
    ),
    "archived, one scan refused": Case(
        (S.ARCHIVED, S.REJECTED), digitized=True, signed=True, archived=True, fully=True, best=S.ARCHIVED
    ),
    "failed": Case((S.FAILED,), best=S.FAILED),
    "rejected": Case((S.REJECTED,), best=S.REJECTED),
    # Its documents are what they are, but an electronic result is outside every paper indicator.
    "electronic result": Case(
        (S.ARCHIVED,), "electronic", digitized=True, signed=True, archived=True, fully=True, best=S.ARCHIVED
    ),
}


def test_each_indicator_follows_its_definition(database: Database) -> None:
    day = date(2025, 2, 14)
    codes = {name: dossier_code(day, i) for i, name in enumerate(CASES)}
    rows = [[codes[n], "1.001029", "Karaoke", "Văn hóa", day, day, c.result_type] for n, c in CASES.items()]
    with database.session() as session:
        import_register(session, register_csv(rows), SourceFormat.CSV, actor="test")
        for name, case in CASES.items():
            for state in case.states:
                add_document(session, dossier=codes[name], state=state)
    with database.session() as session:
        statuses = {s.entry.dossier_code: s for s in dossier_statuses(session, parse_period("2025-02"))}
        counted = count_coverage(session, parse_period("2025-02"))
    for name, case in CASES.items():
        s = statuses[codes[name]]
        got = (s.digitized, s.signed, s.archived, s.fully_digitized, s.best_state, s.documents)
        assert got == (case.digitized, case.signed, case.archived, case.fully, case.best, len(case.states)), name
    paper = [c for c in CASES.values() if c.result_type == "paper"]
    overall = summarize(statuses.values())
    assert overall.resolved == len(CASES) and overall.paper == len(paper)
    assert overall.digitized == sum(c.digitized for c in paper)
    assert overall.signed == sum(c.signed for c in paper)
    assert overall.archived == sum(c.archived for c in paper)
    assert overall.fully_digitized == sum(c.fully for c in paper)
    assert counted == overall


def test_a_staff_link_moves_a_document_to_another_dossier(database: Database) -> None:
    day = date(2025, 3, 3)
    typed, right = dossier_code(day, 1), dossier_code(day, 2)
    rows = [[code, "1.001029", "Karaoke", "Văn hóa", day, day, "paper"] for code in (typed, right)]
    with database.session() as session:
        import_register(session, register_csv(rows), SourceFormat.CSV, actor="test")
        doc = add_document(session, dossier=typed, state=S.ARCHIVED)
    march = parse_period("2025-03")
    with database.session() as session:
        assert {s.entry.dossier_code for s in compute_coverage(session, march).missing} == {right}
        link = link_document(session, doc.id, right, actor="reviewer")
    assert link.registered
    with database.session() as session:
        assert {s.entry.dossier_code for s in compute_coverage(session, march).missing} == {typed}


def test_a_period_selects_dossiers_by_resolution_date(database: Database) -> None:
    days = [date(2024, 12, 31), date(2025, 1, 1), date(2025, 3, 31), date(2025, 4, 1), date(2025, 9, 30)]
    rows = [[dossier_code(d, i), "1.001029", "Karaoke", "Văn hóa", d, d, "paper"] for i, d in enumerate(days)]
    with database.session() as session:
        import_register(session, register_csv(rows), SourceFormat.CSV, actor="test")
        add_document(session, dossier=str(rows[2][0]), state=S.ARCHIVED)
    expected = {
        "2025-Q1": {date(2025, 1, 1), date(2025, 3, 31)},
        "2025-03": {date(2025, 3, 31)},
        "2025-H1": {date(2025, 1, 1), date(2025, 3, 31), date(2025, 4, 1)},
        "2025-9M": {date(2025, 1, 1), date(2025, 3, 31), date(2025, 4, 1), date(2025, 9, 30)},
        "2024": {date(2024, 12, 31)},
    }
    with database.session() as session:
        for label, selected in expected.items():
            report = compute_coverage(session, parse_period(label))
            assert {s.entry.resolved_date for s in dossier_statuses(session, report.period)} == selected, label
            assert report.overall.archived == (1 if date(2025, 3, 31) in selected else 0), label
        empty = compute_coverage(session, parse_period("2023"))
    assert empty.overall.paper == 0 and empty.overall.rate is None and empty.by_procedure == ()
