"""Intake into dossiers: several files of one upload creating one new dossier at once, and papers
scanned before the register named their owner."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sohoa.core.settings import Settings
from sohoa.pipeline.intake import accept_paths
from sohoa.pipeline.wiring import open_runtime
from sohoa.registry.dossiers import held, placement_from_fields
from sohoa.registry.register import import_register
from sohoa.registry.sources import SourceFormat
from sohoa.storage.dossier_queries import get_facts
from tests.support.codes import PROCEDURE, short_code
from tests.support.pdfs import make_text_image

CODE = "000.00.32.H19-250312-0017"


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_files_of_one_upload_make_one_dossier_and_take_its_owner_later(
    engine: str, settings: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if engine == "postgresql":
        settings.database_url = request.getfixturevalue("pg_url")
    settings.intake_threads = 4
    scans = [make_text_image(tmp_path / f"trang-{n}.png", [f"Đơn đề nghị số {n}", "Kính gửi: Sở"]) for n in range(8)]
    rt = open_runtime(settings)
    try:
        placement = placement_from_fields("component", "Đơn đề nghị cấp giấy phép")
        result = accept_paths(rt, scans, procedure_code=PROCEDURE, dossier_code=CODE, actor="lan", placement=placement)
        assert result.rejected == () and len(result.documents) == 8
        ids = {d.id for d in result.documents}
        with rt.db.session() as session:
            dossier, documents, _ = held(session, CODE)
            assert dossier.owner is None and {d.document_id for d in documents} == ids
            assert dossier.received_date == date(2025, 3, 12)  # the day its code carries, not today
            assert {(d.role, d.component) for d in documents} == {("component", "Đơn đề nghị cấp giấy phép")}
            assert all(get_facts(session, i) is None for i in ids)
            register = (
                "dossier_code,procedure_code,resolved_date,result_type,owner_id_type,owner_id,owner_name\n"
                f"{CODE},{short_code(PROCEDURE)},2025-03-20,paper,mst,0312345678,Công ty TNHH Hoa Sen\n"
            )
            assert import_register(session, register.encode(), SourceFormat.CSV, actor="t").errors == ()
        with rt.db.session() as session:
            facts = [get_facts(session, i) for i in ids]
            assert {(f.owner_id_type, f.owner_id_number, f.owner_source) for f in facts if f} == {
                ("mst", "0312345678", "dossier")
            }
            assert len([f for f in facts if f]) == 8
            assert held(session, CODE)[0].received_date == date(2025, 3, 12)  # the register gave none
    finally:
        rt.queue.join()  # type: ignore[union-attr]
        rt.close()
