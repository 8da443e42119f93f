"""The one module that runs tesseract: version and language checks, one pass to PDF + TSV, OSD."""

from __future__ import annotations

import stat
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from core.errors import OcrError
from core.text import nfc
from ingest.tesseract import (
    check_tesseract,
    detect_orientation_osd,
    ocr_to_pdf_and_tsv,
    read_tsv_words,
    words_to_text,
)
from tests.ingest.textpages import draw_page
from tests.support.services import need

LINES = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Căn cứ Luật Tổ chức chính quyền địa phương",
    "ngày 19 tháng 6 năm 2015 của Quốc hội;",
]


def _page(tmp_path: Path, lines: list[str] = LINES) -> Path:
    path = tmp_path / "page.png"
    draw_page(lines).save(path, dpi=(200, 200))
    return path


def _fake_tesseract(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-tesseract"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_missing_program_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no tesseract anywhere
    monkeypatch.delenv("SOHOA_TESSERACT", raising=False)
    with pytest.raises(OcrError) as info:
        check_tesseract("vie")
    assert info.value.code == "tesseract_missing"
    assert "tesseract" in info.value.message


def test_missing_language_is_a_clear_error(tmp_path):
    fake = _fake_tesseract(
        tmp_path,
        'case "$1" in\n'
        '  --version) echo "tesseract 5.3.0";;\n'
        '  --list-langs) printf "List of available languages (2):\\neng\\nosd\\n";;\n'
        "esac\n",
    )
    with pytest.raises(OcrError) as info:
        check_tesseract("vie", binary=str(fake))
    assert info.value.code == "tesseract_missing"
    assert info.value.details["missing_languages"] == ["vie"]
    assert check_tesseract("eng", binary=str(fake)).version == (5, 3, 0)


def test_every_call_runs_single_threaded_with_one_pass(tmp_path):
    record = tmp_path / "calls.txt"
    fake = _fake_tesseract(
        tmp_path,
        f'echo "$OMP_THREAD_LIMIT $*" >> {record}\n'
        'case "$1" in\n'
        '  --version) echo "tesseract 5.3.0";;\n'
        '  --list-langs) printf "List of available languages (1):\\nvie\\n";;\n'
        '  *) printf "%%%%PDF-1.5\\n" > "$2.pdf"; printf "level\\ttext\\n" > "$2.tsv";;\n'
        "esac\n",
    )
    image = tmp_path / "in.png"
    Image.new("L", (10, 10), 255).save(image)
    pdf, tsv = ocr_to_pdf_and_tsv(image, tmp_path / "out", languages="vie", dpi=300, timeout=10, binary=str(fake))
    assert pdf.exists() and tsv.exists()
    calls = record.read_text().splitlines()
    assert all(call.startswith("1 ") for call in calls)  # OMP_THREAD_LIMIT=1 on every call
    ocr_calls = [c for c in calls if str(image) in c]
    assert len(ocr_calls) == 1
    assert "-c textonly_pdf=1 pdf tsv" in ocr_calls[0] and "-l vie" in ocr_calls[0]


def test_timeout_becomes_ocr_timeout(tmp_path):
    fake = _fake_tesseract(
        tmp_path,
        'case "$1" in\n'
        '  --version) echo "tesseract 5.3.0";;\n'
        '  --list-langs) printf "List of available languages (1):\\nvie\\n";;\n'
        "  *) sleep 5;;\n"
        "esac\n",
    )
    image = tmp_path / "in.png"
    Image.new("L", (10, 10), 255).save(image)
    with pytest.raises(OcrError) as info:
        ocr_to_pdf_and_tsv(image, tmp_path / "out", languages="vie", dpi=300, timeout=0.5, binary=str(fake))
    assert info.value.code == "ocr_timeout"


def test_one_pass_gives_text_pdf_and_nfc_words(real_tesseract, tmp_path):
    page = _page(tmp_path)
    pdf, tsv = ocr_to_pdf_and_tsv(page, tmp_path / "ocr", languages="vie", dpi=200, timeout=60)
    words = read_tsv_words(tsv)
    text = words_to_text(words)
    assert "Hạnh phúc" in text and "CỘNG HÒA" in text
    assert text == nfc(text)
    lines = text.split("\n")
    assert lines.index(next(line for line in lines if "CỘNG" in line)) < lines.index(
        next(line for line in lines if "Căn cứ" in line)
    )
    assert all(w.width > 0 and w.height > 0 and 0 <= w.confidence <= 100 for w in words)
    with pikepdf.open(pdf) as doc:
        assert len(doc.pages) == 1
        # the text page has the image's size: its width in px at 200 dpi, in pt
        assert float(doc.pages[0].mediabox[2]) == pytest.approx(Image.open(page).width * 72 / 200, abs=1)
        assert b"3 Tr" in doc.pages[0].Contents.read_bytes()  # invisible text


def test_osd_finds_an_upside_down_page(real_tesseract, tmp_path):
    need("osd" in real_tesseract.languages, "tesseract osd data")
    lines = LINES * 3
    upright = Image.open(_page(tmp_path, lines))
    flipped = tmp_path / "flipped.png"
    upright.transpose(Image.Transpose.ROTATE_180).save(flipped, dpi=(200, 200))
    result = detect_orientation_osd(flipped)
    assert result.rotate == 180
    assert result.confidence > 1


def test_a_tesseract_call_is_bounded_in_memory(real_tesseract, tmp_path, monkeypatch):
    # Far below what loading the vie model needs: the call must fail alone, as a clear OcrError.
    monkeypatch.setenv("SOHOA_OCR_MEMORY_MB", "24")
    with pytest.raises(OcrError) as info:
        ocr_to_pdf_and_tsv(_page(tmp_path), tmp_path / "ocr", languages="vie", dpi=200, timeout=60)
    assert info.value.code == "tesseract_failed"
    monkeypatch.setenv("SOHOA_OCR_MEMORY_MB", "2048")
    pdf, _tsv = ocr_to_pdf_and_tsv(_page(tmp_path), tmp_path / "ocr2", languages="vie", dpi=200, timeout=60)
    assert pdf.exists()
