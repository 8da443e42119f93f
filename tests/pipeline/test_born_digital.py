"""Born-digital pages through the pipeline: kept as they came (content, fonts, text), only scans OCRed.

The archived, signed PDF of a typed document is checked from outside: ``pdffonts`` still lists the
embedded fonts, the text extracted from each page equals the original's, ``qpdf --check`` passes
and ``sohoa verify`` accepts the signature.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pdfplumber
import pikepdf
from PIL import Image
from sqlalchemy import select

from sohoa.core.domain import DocumentState
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import get_document
from sohoa.storage.records import DocumentRecord, EventRecord
from tests.pipeline.conftest import LINES
from tests.support.corpus import corpus_file
from tests.support.flows import archive_one
from tests.support.pdfs import make_text_image
from tests.support.services import need_program

BORN_DIGITAL = "vn-docs/vn031_congbot_49.pdf"  # a typed Quyết định exported to PDF, three pages
SOHOA = str(Path(sys.executable).with_name("sohoa"))


def _page_texts(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def _embedded_fonts(path: Path) -> set[str]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return {line.split()[0] for line in out.splitlines()[2:] if " yes " in line}


def _contents(page: pikepdf.Page) -> bytes:
    contents = page.obj.Contents
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    return b"".join(stream.read_bytes() for stream in streams)


def _ocr_event(rt: Runtime, doc_id: str) -> dict:
    with rt.db.session() as session:
        events = session.scalars(
            select(EventRecord).where(EventRecord.document_id == doc_id, EventRecord.to_state == "ocr_done")
        ).all()
    assert len(events) == 1
    return dict(events[0].details or {})


def _archived(rt: Runtime, doc: DocumentRecord, dest: Path) -> Path:
    rt.store.get_file(doc.archive_key, dest, verify=True)
    return dest


def _sohoa_verify(rt: Runtime, path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env["SOHOA_DATA_DIR"] = str(rt.settings.data_dir)
    done = subprocess.run([SOHOA, "verify", str(path), "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.stdout, done.stderr)
    return json.loads(done.stdout)


def test_a_born_digital_pdf_keeps_its_pages_fonts_and_text(runtime: Runtime, tmp_path: Path) -> None:
    need_program("pdffonts")
    need_program("qpdf")
    source = corpus_file(BORN_DIGITAL)
    doc = archive_one(runtime, source)
    archived = _archived(runtime, doc, tmp_path / "archived.pdf")

    details = _ocr_event(runtime, doc.id)
    assert details["text_layer_pages"] == [1, 2, 3] and details["ocr_pages"] == []
    assert details["pdfa"] is False  # its Helvetica is not embedded: no PDF/A claim over it

    assert _page_texts(archived) == _page_texts(source)
    assert _embedded_fonts(archived) == _embedded_fonts(source) and _embedded_fonts(source)
    with pikepdf.open(source) as before, pikepdf.open(archived) as after:
        assert len(after.pages) == len(before.pages)
        for old, new in zip(before.pages, after.pages, strict=True):
            assert _contents(new) == _contents(old)  # the page's drawing, byte for byte
    # A typed page is no bigger than it was: no page image was made of it (the 68 KB -> 1.9 MB).
    assert archived.stat().st_size < 2 * source.stat().st_size

    check = subprocess.run(["qpdf", "--check", str(archived)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    report = _sohoa_verify(runtime, archived)
    assert report["signatures"] and all(s["intact"] and s["trusted"] for s in report["signatures"])

    # The metadata is read from the text layer (words with their positions), not from OCR.
    gold = json.loads(corpus_file(BORN_DIGITAL.replace(".pdf", ".json")).read_text())
    meta = doc.metadata_json or {}
    assert meta["number_symbol"] == gold["number_symbol"]
    assert meta["document_type"] == gold["document_type"]
    assert meta["issued_date"] == gold["issued_date"]
    assert meta["signer_name"] == gold["signer_name"]


def _mixed_pdf(tmp_path: Path) -> Path:
    """Page 1 typed (the corpus file's first page), page 2 a scan with no text layer."""
    scan = make_text_image(tmp_path / "scan.png", LINES)
    scan_pdf = tmp_path / "scan.pdf"
    with Image.open(scan) as img:
        img.save(scan_pdf, "PDF", resolution=200.0)
    out = tmp_path / "mixed.pdf"
    with pikepdf.open(corpus_file(BORN_DIGITAL)) as typed, pikepdf.open(scan_pdf) as scanned, pikepdf.new() as pdf:
        pdf.pages.append(typed.pages[0])
        pdf.pages.append(scanned.pages[0])
        pdf.save(out)
    return out


def test_a_mixed_pdf_is_assembled_page_by_page_and_only_the_scan_is_ocred(runtime: Runtime, tmp_path: Path) -> None:
    need_program("qpdf")
    mixed = _mixed_pdf(tmp_path)
    doc = archive_one(runtime, mixed)
    details = _ocr_event(runtime, doc.id)
    assert details["ocr_pages"] == [2] and details["text_layer_pages"] == [1]
    archived = _archived(runtime, doc, tmp_path / "archived.pdf")
    typed, scanned = _page_texts(archived)
    assert typed == _page_texts(mixed)[0]
    assert "trang 2" in scanned  # the fake OCR engine's words, numbered by the page's place
    assert _page_texts(mixed)[1].strip() == ""
    with runtime.db.session() as session:
        fresh = get_document(session, doc.id)
        assert fresh.page_count == 2 and fresh.state == DocumentState.ARCHIVED
    check = subprocess.run(["qpdf", "--check", str(archived)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_scanned_pdf_event_stays_as_it_was(runtime: Runtime, tmp_path: Path) -> None:
    """No page kept: every page is OCRed, the event says nothing of text layers and PDF/A is claimed."""
    scan = make_text_image(tmp_path / "scan.png", LINES)
    scan_pdf = tmp_path / "scan.pdf"
    with Image.open(scan) as img:
        img.save(scan_pdf, "PDF", resolution=200.0)
    doc = archive_one(runtime, scan_pdf)
    details = _ocr_event(runtime, doc.id)
    assert "text_layer_pages" not in details and "pdfa" not in details
    archived = _archived(runtime, doc, tmp_path / "archived.pdf")
    with pikepdf.open(archived) as pdf:
        assert "pdfaid:part" in pdf.Root.Metadata.read_bytes().decode("utf-8")
