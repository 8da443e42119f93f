"""A stack of dossiers behind printed cover sheets becomes one filed document per dossier."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
from PIL import Image

from sohoa.core.domain import DocumentState
from sohoa.ingest.coversheet import make_cover_sheet
from sohoa.pipeline.intake import accept_paths
from sohoa.pipeline.review import approve_document, correct_metadata
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import DocumentFilter, get_document, list_documents
from tests.support.pdfs import make_text_image

DOSSIERS = [
    ("1.001029.000.00.00.H19", "000.00.32.H19-250312-0017", 2),
    ("1.003622", "000.00.32.H19-250401-0042", 1),
    ("2.000123", "000.00.32.H19-250402-0001", 3),
]


def _page_pdf(tmp_path: Path, marker: str) -> pikepdf.Pdf:
    image = Image.open(make_text_image(tmp_path / f"{marker}.png", [f"Trang {marker}", "Giấy phép kinh doanh"]))
    out = io.BytesIO()
    image.convert("L").save(out, format="PDF", resolution=200)
    return pikepdf.open(io.BytesIO(out.getvalue()))


def _stack(tmp_path: Path, *, leading_pages: int = 0) -> Path:
    stack = pikepdf.new()
    keep = []
    for n in range(leading_pages):
        keep.append(_page_pdf(tmp_path, f"dau-{n}"))
        stack.pages.extend(keep[-1].pages)
    for procedure, dossier, pages in DOSSIERS:
        keep.append(pikepdf.open(io.BytesIO(make_cover_sheet(procedure, dossier))))
        stack.pages.extend(keep[-1].pages)
        for n in range(pages):
            keep.append(_page_pdf(tmp_path, f"{dossier}-{n}"))
            stack.pages.extend(keep[-1].pages)
    path = tmp_path / "stack.pdf"
    stack.save(path)
    return path


def test_stack_is_split_and_each_part_filed_by_its_sheet(runtime: Runtime, tmp_path: Path) -> None:
    result = accept_paths(runtime, [_stack(tmp_path)], procedure_code=None, actor="tester", cover_sheets=True)
    runtime.queue.join()  # type: ignore[union-attr]
    assert not result.rejected
    with runtime.db.session() as session:
        docs = [get_document(session, d.id) for d in result.documents]
        filed = sorted((d.procedure_code, d.dossier_code, d.page_count, d.state) for d in docs)
        assert all(d.container_sha256 for d in docs)
        found, _ = list_documents(session, DocumentFilter(procedure_code="1.001029"))
    assert filed == sorted((p, d, n, DocumentState.ARCHIVED.value) for p, d, n in DOSSIERS)
    assert [d.dossier_code for d in found] == ["000.00.32.H19-250312-0017"]


def test_pages_before_the_first_sheet_without_codes_wait_for_review(runtime: Runtime, tmp_path: Path) -> None:
    result = accept_paths(
        runtime, [_stack(tmp_path, leading_pages=1)], procedure_code=None, actor="tester", cover_sheets=True
    )
    runtime.queue.join()  # type: ignore[union-attr]
    with runtime.db.session() as session:
        docs = [get_document(session, d.id) for d in result.documents]
    loose = [d for d in docs if d.procedure_code is None]
    assert len(docs) == 4 and len(loose) == 1
    assert loose[0].state == DocumentState.NEEDS_REVIEW and "no_filing_codes" in loose[0].review_reasons
    correct_metadata(runtime, loose[0].id, {"procedure_code": "1.001029"}, actor="reviewer")
    approve_document(runtime, loose[0].id, actor="reviewer")
    runtime.queue.join()  # type: ignore[union-attr]
    with runtime.db.session() as session:
        doc = get_document(session, loose[0].id)
    assert doc.state == DocumentState.ARCHIVED and doc.archive_key.startswith("archive/1.001029/")


def test_a_tiny_image_with_cover_sheets_is_filed_not_crashed(runtime: Runtime, tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.png"
    Image.new("L", (2, 2), 0).save(tiny, dpi=(300, 300))
    result = accept_paths(runtime, [tiny], procedure_code="1.001029", actor="tester", cover_sheets=True)
    runtime.queue.join()  # type: ignore[union-attr]
    assert not result.rejected and len(result.documents) == 1
    with runtime.db.session() as session:
        assert get_document(session, result.documents[0].id).procedure_code == "1.001029"
