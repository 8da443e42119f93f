"""Every real scan of the corpus comes out as a valid PDF (qpdf --check) with one page per input page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest

from sohoa.ingest.ocr import make_searchable_pdf
from sohoa.ingest.ocr_engines import FakeOcrEngine
from sohoa.ingest.sniff import sniff_file
from tests.support.corpus import CORPUS
from tests.support.services import need

SCANS = sorted(p for p in (CORPUS / "scans").glob("*") if p.suffix.lower() in {".pdf", ".tif", ".png", ".jpg"})


@pytest.mark.timeout(300)
@pytest.mark.parametrize("scan", SCANS, ids=[p.name for p in SCANS])
def test_scan_becomes_a_valid_pdf(scan: Path, tmp_path: Path) -> None:
    qpdf = shutil.which("qpdf")
    need(qpdf is not None, "qpdf")
    sniff = sniff_file(scan)
    # The fake engine lays a real text-only layer; what is checked here is assembly, not reading.
    out = make_searchable_pdf(
        scan, sniff.kind, tmp_path / "out.pdf", tmp_path / "work", engine=FakeOcrEngine(), processes=2
    )
    done = subprocess.run([str(qpdf), "--check", str(out.output_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    with pikepdf.open(out.output_path) as pdf:
        assert len(pdf.pages) == sniff.page_count == out.page_count
