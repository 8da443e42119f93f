"""The document page says which pages were read by OCR and which kept their own text, and of how many files."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from sohoa.api.web.previews import render_preview
from sohoa.core.errors import NotFound
from sohoa.core.settings import Settings
from sohoa.pipeline.intake import accept_paths
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.catalogue import get_document
from tests.api.web.conftest import sign_in
from tests.support.codes import SECOND_PROCEDURE
from tests.support.corpus import corpus_file
from tests.support.pdfs import make_text_image


def _mixed_pdf(tmp_path: Path) -> Path:
    image = make_text_image(tmp_path / "scan.png", ["QUYẾT ĐỊNH"])
    scan = tmp_path / "scan.pdf"
    with Image.open(image) as img:
        img.save(scan, "PDF", resolution=200.0)
    out = tmp_path / "mixed.pdf"
    typed_pdf = corpus_file("vn-docs/vn031_congbot_49.pdf")
    with pikepdf.open(typed_pdf) as typed, pikepdf.open(scan) as scanned, pikepdf.new() as pdf:
        pdf.pages.extend([typed.pages[0], scanned.pages[0], typed.pages[1]])
        pdf.save(out)
    return out


def test_the_history_names_the_pages_read_and_the_files_joined(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    [mixed] = accept_paths(runtime, [_mixed_pdf(tmp_path)], procedure_code=SECOND_PROCEDURE, actor="t").documents
    pages = [make_text_image(tmp_path / f"p{n}.png", [f"Trang {n}"]) for n in (1, 2)]
    [joined] = accept_paths(runtime, pages, procedure_code=SECOND_PROCEDURE, actor="t", one_document=True).documents
    runtime.queue.join()  # type: ignore[union-attr]
    sign_in(client, "archivist")
    page = client.get(f"/documents/{mixed.id}").text
    assert "đọc bằng OCR: trang 2; giữ nguyên chữ có sẵn: trang 1, 3" in page
    page = client.get(f"/documents/{joined.id}").text
    assert "một văn bản gộp từ 2 tệp" in page and "giữ nguyên chữ có sẵn" not in page


def test_a_joined_document_waiting_for_ocr_shows_each_page_from_its_own_file(
    settings: Settings, tmp_path: Path
) -> None:
    rt = open_runtime(settings, with_queue=False)  # nothing runs: the pages can only come from the originals
    try:
        pages = [make_text_image(tmp_path / f"p{n}.png", [f"Trang {n}"] * n) for n in (1, 2)]
        [doc] = accept_paths(rt, pages, procedure_code=SECOND_PROCEDURE, actor="t", one_document=True).documents
        with rt.db.session() as session:
            record = get_document(session, doc.id)
        assert record.state == "received"
        for index, source in enumerate(pages):
            with Image.open(io.BytesIO(render_preview(rt, record, index))) as shown, Image.open(source) as page:
                expected = page.convert("L").resize(shown.size)
                assert list(shown.convert("L").getdata()) == list(expected.getdata())
        with pytest.raises(NotFound):
            render_preview(rt, record, 2)
    finally:
        rt.close()
