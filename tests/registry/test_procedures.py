from __future__ import annotations

import json

import pytest

from sohoa.core.errors import InputRejected
from sohoa.registry.procedures import (
    check_upload_code,
    find_procedure,
    import_procedures,
    list_procedures,
    procedure_labels,
)
from sohoa.registry.sources import SourceFormat
from sohoa.storage.database import Database

CATALOGUE = (
    "Mã thủ tục,Tên thủ tục,Lĩnh vực,Cơ quan thực hiện\n"
    "1.001029,Cấp giấy phép kinh doanh dịch vụ karaoke,Văn hóa,Sở Văn hóa - Thể thao\n"
    "1.000963.000.00.00.H19,Công nhận câu lạc bộ thể thao cơ sở,Thể dục thể thao,UBND cấp xã\n"
    "2.001234,Cấp phép tổ chức lễ hội,Văn hóa,\n"
)


@pytest.fixture
def loaded(sqlite_database: Database) -> Database:
    with sqlite_database.session() as session:
        report = import_procedures(session, CATALOGUE.encode(), SourceFormat.CSV, actor="test")
    assert (report.inserted, report.errors) == (3, ())
    return sqlite_database


def test_reimport_is_idempotent_and_a_changed_name_updates(loaded: Database) -> None:
    with loaded.session() as session:
        again = import_procedures(session, CATALOGUE.encode(), SourceFormat.CSV, actor="test")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    renamed = CATALOGUE.replace("Cấp phép tổ chức lễ hội", "Đăng ký tổ chức lễ hội")
    with loaded.session() as session:
        report = import_procedures(session, renamed.encode(), SourceFormat.CSV, actor="test")
        assert (report.updated, report.unchanged) == (1, 2)
        found = find_procedure(session, "2.001234")
    assert found is not None and found.name == "Đăng ký tổ chức lễ hội" and found.agency is None


def test_bad_catalogue_rows_are_reported_by_line(sqlite_database: Database) -> None:
    data = "code,name,field,agency\n1.001029,Karaoke,,\n1.1,Sai mã,,\n1.001030,,,\n1.001029,Trùng,,\n"
    with sqlite_database.session() as session:
        report = import_procedures(session, data.encode(), SourceFormat.CSV, actor="test")
    assert [(e.line, e.code) for e in report.errors] == [
        (3, "invalid_procedure_code"),
        (4, "missing_name"),
        (5, "duplicate_code"),
    ]
    assert report.inserted == 1


def test_json_catalogue(sqlite_database: Database) -> None:
    items = [{"code": "1.001029", "name": "Karaoke", "field": "Văn hóa", "handling_agency": "Sở VHTTDL"}]
    with sqlite_database.session() as session:
        import_procedures(session, json.dumps(items).encode(), SourceFormat.JSON, actor="test")
        found = find_procedure(session, "1.001029")
    assert found is not None and found.agency == "Sở VHTTDL"


def test_any_well_formed_code_passes_while_the_catalogue_is_empty(sqlite_database: Database) -> None:
    with sqlite_database.session() as session:
        assert check_upload_code(session, " 9.999999 ", allow_unknown=False) == "9.999999"
        with pytest.raises(InputRejected) as caught:
            check_upload_code(session, "karaoke", allow_unknown=False)
    assert caught.value.code == "invalid_procedure_code"


def test_a_loaded_catalogue_refuses_unknown_codes_unless_configured(loaded: Database) -> None:
    with loaded.session() as session:
        assert check_upload_code(session, "1.001029", allow_unknown=False) == "1.001029"
        # the provincial form of a national code, and the national form of a provincial one
        assert check_upload_code(session, "1.001029.000.00.00.H19", allow_unknown=False)
        assert check_upload_code(session, "1.000963", allow_unknown=False)
        with pytest.raises(InputRejected) as unknown:
            check_upload_code(session, "1.001030", allow_unknown=False)
        assert unknown.value.code == "unknown_procedure_code"
        # a code that merely starts with the same digits is another procedure
        with pytest.raises(InputRejected):
            check_upload_code(session, "1.0010290", allow_unknown=False)
        assert check_upload_code(session, "1.001030", allow_unknown=True) == "1.001030"
        with pytest.raises(InputRejected) as malformed:
            check_upload_code(session, "1.00103", allow_unknown=True)
    assert malformed.value.code == "invalid_procedure_code"


def test_labels_and_listing(loaded: Database) -> None:
    with loaded.session() as session:
        labels = procedure_labels(session, ["1.001029.000.00.00.H19", "1.000963", "3.000001"])
        assert labels["1.001029.000.00.00.H19"].name == "Cấp giấy phép kinh doanh dịch vụ karaoke"
        assert labels["1.000963"].code == "1.000963.000.00.00.H19"
        assert "3.000001" not in labels
        found, total = list_procedures(session, query="le hoi")  # no accents typed
        assert total == 1 and found[0].code == "2.001234"
        culture, total = list_procedures(session, field="Văn hóa")
        assert total == 2 and [p.code for p in culture] == ["1.001029", "2.001234"]
        page, total = list_procedures(session, limit=2, offset=2)
    assert total == 3 and [p.code for p in page] == ["2.001234"]
