"""The one module that runs tesseract: version and language checks, one pass to PDF + TSV, OSD.

Which program and what memory cap come from the settings through the engine, to OCR and OSD alike.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from sohoa.core.domain import FileKind
from sohoa.core.errors import OcrError
from sohoa.core.settings import Settings
from sohoa.core.text import nfc
from sohoa.ingest.ocr import PageJob, ocr_page_job
from sohoa.ingest.ocr_engines import load_engine, write_invisible_text_page
from sohoa.ingest.tesseract import (
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


def test_a_tesseract_call_is_bounded_in_memory(real_tesseract, tmp_path):
    # Far below what loading the vie model needs: the call must fail alone, as a clear OcrError.
    page = _page(tmp_path)
    with pytest.raises(OcrError) as info:
        ocr_to_pdf_and_tsv(page, tmp_path / "ocr", languages="vie", dpi=200, timeout=60, memory_mb=24)
    assert info.value.code == "tesseract_failed"
    assert str(page) in info.value.details["args"]  # the OCR pass itself failed, not the version probe
    pdf, _tsv = ocr_to_pdf_and_tsv(page, tmp_path / "ocr2", languages="vie", dpi=200, timeout=60, memory_mb=2048)
    assert pdf.exists()


def test_the_configured_program_and_cap_run_both_osd_and_ocr(tmp_path):
    # A page too sparse for the ink profile to settle its orientation: OSD is asked, then OCR runs.
    page = tmp_path / "sparse.png"
    draw_page(["QUYẾT ĐỊNH"]).save(page, dpi=(200, 200))
    text_page = tmp_path / "text-page.pdf"
    write_invisible_text_page(["QUYẾT ĐỊNH"], width_pt=432, height_pt=76, output_path=text_page)
    record = tmp_path / "calls.txt"
    fake = _fake_tesseract(
        tmp_path,
        f'echo "$(ulimit -v) $*" >> {record}\n'
        'case "$1" in\n'
        '  --version) echo "tesseract 5.3.0";;\n'
        '  --list-langs) printf "List of available languages (2):\\nosd\\nvie\\n";;\n'
        '  *) if [ "$2" = "-" ]; then printf "Rotate: 0\\nOrientation confidence: 9.5\\n"\n'
        f'     else cp {text_page} "$2.pdf"; printf "level\\ttext\\n" > "$2.tsv"; fi;;\n'
        "esac\n",
    )
    settings = Settings(data_dir=tmp_path, tesseract=str(fake), ocr_memory_mb=300)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    job = PageJob(
        input_path=page, kind=FileKind.PNG, index=0, scratch=scratch, engine=load_engine(settings), languages="vie"
    )
    outcome = ocr_page_job(job)
    assert outcome.geometry.source == "osd"
    calls = [line.split(" ", 1) for line in record.read_text().splitlines()]
    osd = [limit for limit, args in calls if "--psm 0" in args]
    ocr = [limit for limit, args in calls if "textonly_pdf=1" in args]
    assert osd == ["307200"] and ocr == ["307200"]  # 300 MiB in KiB, on the settings' program
