from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from sohoa.core.domain import DocumentState
from sohoa.core.errors import InputRejected, NotFound
from sohoa.core.periods import parse_period
from sohoa.registry.register import (
    documents_for_dossier,
    get_entry,
    import_register,
    link_document,
    list_entries,
    unlink_document,
)
from sohoa.registry.sources import SourceFormat
from sohoa.storage.database import Database
from sohoa.storage.records import EventRecord
from sohoa.storage.registry_records import RegisterEntryRecord
from tests.registry.builders import CANONICAL_HEADER, add_document, dossier_code, register_csv
from tests.support.codes import SECOND_PROCEDURE as PROCEDURE

NAME = "Cấp giấy phép kinh doanh dịch vụ karaoke"
FIELD = "Văn hóa"


def _rows(count: int, *, start: date = date(2025, 1, 2)) -> list[list[object]]:
    rows: list[list[object]] = []
    for i in range(count):
        day = date.fromordinal(start.toordinal() + i % 28)
        rows.append([dossier_code(day, i), PROCEDURE, NAME, FIELD, day, day, "paper" if i % 3 else "electronic"])
    return rows


def _count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(RegisterEntryRecord)) or 0


def test_import_then_reimport_changes_nothing(sqlite_database: Database) -> None:
    data = register_csv(_rows(50))
    with sqlite_database.session() as session:
        first = import_register(session, data, SourceFormat.CSV, actor="test")
    assert (first.rows, first.inserted, first.updated, first.unchanged, first.errors) == (50, 50, 0, 0, ())
    with sqlite_database.session() as session:
        stamps = dict(session.execute(select(RegisterEntryRecord.dossier_code, RegisterEntryRecord.updated_at)).all())
    with sqlite_database.session() as session:
        again = import_register(session, data, SourceFormat.CSV, actor="test")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 50)
    with sqlite_database.session() as session:
        after = dict(session.execute(select(RegisterEntryRecord.dossier_code, RegisterEntryRecord.updated_at)).all())
        audited = select(func.count()).select_from(EventRecord).where(EventRecord.action == "register.imported")
        imports = session.scalar(audited)
    assert after == stamps and _count(sqlite_database) == 50
    assert imports == 2  # each import is audited


def test_the_same_register_as_json_is_the_same_register(sqlite_database: Database) -> None:
    rows = _rows(10)
    with sqlite_database.session() as session:
        import_register(session, register_csv(rows), SourceFormat.CSV, actor="test")
    items = [[v.isoformat() if isinstance(v, date) else v for v in row] for row in rows]
    as_json = json.dumps([dict(zip(CANONICAL_HEADER, item, strict=True)) for item in items]).encode()
    with sqlite_database.session() as session:
        report = import_register(session, as_json, SourceFormat.JSON, actor="test")
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 10)


def test_an_updated_row_updates_its_entry_only(sqlite_database: Database) -> None:
    rows = _rows(20)
    with sqlite_database.session() as session:
        import_register(session, register_csv(rows), SourceFormat.CSV, actor="test")
    changed = list(rows[7])
    changed[5] = date(2025, 4, 15)  # resolved later than first exported
    changed[6] = "paper"
    rows[7] = changed
    with sqlite_database.session() as session:
        report = import_register(session, register_csv(rows), SourceFormat.CSV, actor="test")
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 19)
    with sqlite_database.session() as session:
        entry = get_entry(session, str(changed[0]))
    assert (entry.resolved_date, entry.result_type) == (date(2025, 4, 15), "paper")


def test_bad_rows_are_reported_with_their_line_numbers_and_good_rows_kept(sqlite_database: Database) -> None:
    good = _rows(3)
    text = "\n".join(
        [
            ",".join(CANONICAL_HEADER),  # line 1
            f"{good[0][0]},{PROCEDURE},{NAME},{FIELD},2025-01-02,2025-01-03,paper",  # 2
            f"000.00.32.H19 250102-0009,{PROCEDURE},{NAME},{FIELD},2025-01-02,2025-01-03,paper",  # 3 space in code
            f'{good[1][0]},{PROCEDURE},"Tên thủ tục',  # 4: a quoted name over two lines
            f'trên hai dòng",{FIELD},2025-01-02,2025-01-03,electronic',  # 5
            f"000.00.32.H19-250102-0010,1.2,{NAME},{FIELD},2025-01-02,2025-01-03,paper",  # 6 bad procedure
            f"000.00.32.H19-250102-0011,{PROCEDURE},{NAME},{FIELD},2025-01-02,2025-02-30,paper",  # 7 no such day
            "",  # 8 blank: ignored
            f"000.00.32.H19-250102-0012,{PROCEDURE},{NAME},{FIELD},2025-03-02,2025-01-03,paper",  # 9 before received
            f"000.00.32.H19-250102-0013,{PROCEDURE},{NAME},{FIELD},2025-01-02,2025-01-03,fax",  # 10 result type
            f"000.00.32.H19-250102-0014,{PROCEDURE},{NAME},{FIELD},2025-01-02,,paper",  # 11 no resolved date
            f"{good[0][0]},{PROCEDURE},{NAME},{FIELD},2025-01-02,2025-01-03,paper",  # 12 duplicate of line 2
            f"{good[2][0]},{PROCEDURE},,,,2025-01-03,Bản giấy",  # 13 good: optional columns empty
        ]
    ).encode()
    with sqlite_database.session() as session:
        report = import_register(session, text, SourceFormat.CSV, actor="test")
    assert [(e.line, e.code) for e in report.errors] == [
        (3, "invalid_dossier_code"),
        (6, "invalid_procedure_code"),
        (7, "invalid_date"),
        (9, "resolved_before_received"),
        (10, "invalid_result_type"),
        (11, "missing_resolved_date"),
        (12, "duplicate_dossier_code"),
    ]
    assert report.inserted == 3 and report.rows == 10
    with sqlite_database.session() as session:
        two_lines = get_entry(session, str(good[1][0]))
        bare = get_entry(session, str(good[2][0]))
    assert two_lines.procedure_name == "Tên thủ tục trên hai dòng"
    assert (bare.procedure_name, bare.field, bare.received_date, bare.result_type) == (None, None, None, "paper")


def test_vietnamese_headers_semicolons_and_day_first_dates_are_understood(sqlite_database: Database) -> None:
    text = (
        "\ufeffMã hồ sơ;Mã thủ tục;Tên thủ tục;Lĩnh vực;Ngày tiếp nhận;Ngày trả kết quả;Hình thức kết quả\n"
        f"000.00.32.H19-250305-0001;{PROCEDURE};{NAME};{FIELD};05/03/2025;12/03/2025;Bản giấy\n"
        f"000.00.32.H19-250305-0002;{PROCEDURE};{NAME};{FIELD};05/03/2025;13/03/2025;Điện tử\n"
    )
    with sqlite_database.session() as session:
        report = import_register(session, text.encode(), SourceFormat.CSV, actor="test")
        assert report.errors == () and report.inserted == 2
        first = get_entry(session, "000.00.32.H19-250305-0001")
        second = get_entry(session, "000.00.32.H19-250305-0002")
    assert (first.received_date, first.resolved_date) == (date(2025, 3, 5), date(2025, 3, 12))
    assert first.result_type == "paper"
    assert first.procedure_name == NAME and first.field == FIELD
    assert second.result_type == "electronic"


def test_a_file_without_the_required_columns_is_refused_whole(sqlite_database: Database) -> None:
    with sqlite_database.session() as session, pytest.raises(InputRejected) as caught:
        import_register(session, b"dossier_code,procedure_code\nA,B\n", SourceFormat.CSV, actor="test")
    assert caught.value.code == "missing_columns"
    assert set(caught.value.details["missing"]) == {"resolved_date", "result_type"}
    assert _count(sqlite_database) == 0


def test_json_items_are_numbered_from_one(sqlite_database: Database) -> None:
    def item(code: str, resolved: str) -> dict[str, str]:
        return {"dossier_code": code, "procedure_code": PROCEDURE, "resolved_date": resolved, "result_type": "paper"}

    items = [
        item("000.00.32.H19-250105-0001", "2025-01-05"),
        "not an object",
        item("000.00.32.H19-250105-0002", "5-1-25"),
    ]
    with sqlite_database.session() as session:
        report = import_register(session, json.dumps({"entries": items}).encode(), SourceFormat.JSON, actor="test")
    assert [(e.line, e.code) for e in report.errors] == [(2, "unreadable_row"), (3, "invalid_date")]
    assert report.inserted == 1


def test_resolution_times_are_dated_on_vietnams_calendar(database: Database) -> None:
    """An export with UTC times: 18:30Z on 31 March is 1 April in Vietnam, so it belongs to Q2."""
    rows = [
        ["000.00.32.H19-250331-0001", PROCEDURE, NAME, FIELD, "2025-03-30", "2025-03-31T16:59:00Z", "paper"],
        ["000.00.32.H19-250331-0002", PROCEDURE, NAME, FIELD, "2025-03-30", "2025-03-31T18:30:00Z", "paper"],
        ["000.00.32.H19-250331-0003", PROCEDURE, NAME, FIELD, "2025-03-30", "2025-04-01T06:00:00+07:00", "paper"],
        ["000.00.32.H19-250331-0004", PROCEDURE, NAME, FIELD, "2025-03-30", "2025-03-31T23:59:00", "paper"],
        ["000.00.32.H19-250331-0005", PROCEDURE, NAME, FIELD, "2024-12-30", "2025-01-01", "paper"],
        ["000.00.32.H19-250331-0006", PROCEDURE, NAME, FIELD, "2024-12-30", "2024-12-31T17:00:00Z", "paper"],
    ]
    with database.session() as session:
        assert import_register(session, register_csv(rows), SourceFormat.CSV, actor="test").errors == ()
    with database.session() as session:
        q1, q1_total = list_entries(session, period=parse_period("2025-Q1"))
        april, _ = list_entries(session, period=parse_period("2025-04"))
        year, year_total = list_entries(session, period=parse_period("2025"))
    assert {e.dossier_code[-4:] for e in q1} == {"0001", "0004", "0005", "0006"} and q1_total == 4
    assert {e.dossier_code[-4:] for e in april} == {"0002", "0003"}
    assert year_total == 6 and all(e.resolved_date.year == 2025 for e in year)


def test_links_are_audited_moved_and_dropped(sqlite_database: Database) -> None:
    day = date(2025, 2, 3)
    rows = [[dossier_code(day, 1), PROCEDURE, NAME, FIELD, day, day, "paper"]]
    with sqlite_database.session() as session:
        import_register(session, register_csv(rows), SourceFormat.CSV, actor="test")
        doc = add_document(session, dossier=None, state=DocumentState.ARCHIVED)
    with sqlite_database.session() as session:
        first = link_document(session, doc.id, dossier_code(day, 1), actor="reviewer")
        again = link_document(session, doc.id, dossier_code(day, 1), actor="reviewer")
        elsewhere = link_document(session, doc.id, dossier_code(day, 2), actor="archivist")
        assert (first.registered, again.linked_at, elsewhere.registered) == (True, first.linked_at, False)
        assert [d.id for d in documents_for_dossier(session, dossier_code(day, 2))] == [doc.id]
        assert documents_for_dossier(session, dossier_code(day, 1)) == []
        assert unlink_document(session, doc.id, actor="archivist") is True
        assert unlink_document(session, doc.id, actor="archivist") is False
        actions = session.scalars(
            select(EventRecord.action).where(EventRecord.document_id == doc.id).order_by(EventRecord.id)
        ).all()
    assert actions == ["dossier.linked", "dossier.linked", "dossier.unlinked"]  # linking twice is one event


def test_linking_refuses_unknown_documents_and_malformed_codes(sqlite_database: Database) -> None:
    with sqlite_database.session() as session:
        doc = add_document(session, dossier=None, state=DocumentState.RECEIVED)
    with sqlite_database.session() as session, pytest.raises(NotFound):
        link_document(session, "no-such-document", "000.00.32.H19-250203-0001", actor="reviewer")
    with sqlite_database.session() as session, pytest.raises(InputRejected) as caught:
        link_document(session, doc.id, "000.00.32.H19 250203", actor="reviewer")
    assert caught.value.code == "invalid_dossier_code"
