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
from sohoa.ingest.ocr_engines import TesseractEngine, load_engine, write_invisible_text_page
from sohoa.ingest.tesseract import (
    check_tesseract,
    detect_orientation_osd,
    read_tsv_words,
    word_doubts,
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
    engine = TesseractEngine(timeout=10, binary=str(fake))
    pdf, tsv = engine.pdf_and_tsv(image, tmp_path / "out", languages="vie", dpi=300)
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
        TesseractEngine(timeout=0.5, binary=str(fake)).pdf_and_tsv(image, tmp_path / "out", languages="vie", dpi=300)
    assert info.value.code == "ocr_timeout"


def test_one_pass_gives_text_pdf_and_nfc_words(real_tesseract, tmp_path):
    page = _page(tmp_path)
    pdf, tsv = TesseractEngine(timeout=60).pdf_and_tsv(page, tmp_path / "ocr", languages="vie", dpi=200)
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
        TesseractEngine(timeout=60, memory_mb=24).pdf_and_tsv(page, tmp_path / "ocr", languages="vie", dpi=200)
    assert info.value.code == "tesseract_failed"
    assert str(page) in info.value.details["args"]  # the OCR pass itself failed, not the version probe
    enough = TesseractEngine(timeout=60, memory_mb=2048)
    pdf, _tsv = enough.pdf_and_tsv(page, tmp_path / "ocr2", languages="vie", dpi=200)
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


def _hocr_word(left: int, top: int, conf: int, text: str, choices: list[list[tuple[float, str]]]) -> str:
    groups = "".join(
        f"<span class='ocrx_cinfo' id='lstm_choices_1_{left}_{k}'>"
        + "".join(f"<span class='ocrx_cinfo' id='c' title='x_confs {c}'>{ch}</span>" for c, ch in group)
        + "</span>"
        for k, group in enumerate(choices)
    )
    title = f"bbox {left} {top} {left + 100} {top + 40}; x_wconf {conf}"
    return f"<span class='ocrx_word' id='w' title='{title}'>{text}{groups}</span>"


def test_a_mark_the_lstm_nearly_read_otherwise_is_a_near_tie(tmp_path):
    # ``Vịnh`` for a printed ``Vinh`` (a 150-dpi name by a seal): ``ị`` 85.6, ``i`` 82.4 - a lead of 3.2
    # while the word's own confidence says 75, as for words read right
    hocr = tmp_path / "page.hocr"
    hocr.write_text(
        "<html><body>"
        + _hocr_word(
            351, 748, 92, "Đặng", [[(96.0, " ")], [(95.0, "Đ"), (30.0, "D")], [(90.0, "ặ"), (62.0, "ă"), (40.0, "ạ")]]
        )
        + _hocr_word(494, 755, 96, "Quang", [[(95.0, "Q"), (0.0, "q")], [(94.0, "u"), (0.0, "ụ")]])
        + _hocr_word(669, 760, 75, "Vịnh", [[(95.1, "V")], [(85.6, "ị"), (82.4, "i"), (40.5, "ĩ")], [(93.0, "n")]])
        + _hocr_word(800, 760, 91, "GIÁM", [[(95.0, "Á"), (95.0, "á")]])  # a case, not a mark
        + "</body></html>",
        encoding="utf-8",
    )
    doubts = word_doubts(hocr)
    assert doubts[(669, 760)] == pytest.approx(3.2)
    assert doubts[(351, 748)] == pytest.approx(28.0)  # the same letter's other mark, far behind
    assert doubts[(494, 755)] == pytest.approx(94.0)
    assert (800, 760) not in doubts


def test_a_second_look_engine_gives_a_near_tie_as_the_word_confidence(tmp_path):
    from sohoa.core.domain import PageImage
    from sohoa.ingest.ocr_engines import TesseractEngine

    # the program writes a TSV of one name and the hOCR of its LSTM choices
    tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    tsv += "5\t1\t1\t1\t1\t1\t494\t755\t100\t40\t96\tQuang\n5\t1\t1\t1\t1\t2\t669\t760\t100\t40\t75\tVịnh\n"
    hocr = _hocr_word(669, 760, 75, "Vịnh", [[(85.6, "ị"), (82.4, "i")]]) + _hocr_word(494, 755, 96, "Quang", [])
    (tmp_path / "words.tsv").write_text(tsv, encoding="utf-8")
    (tmp_path / "words.hocr").write_text(hocr, encoding="utf-8")
    fake = _fake_tesseract(
        tmp_path,
        'case "$1" in\n'
        '  --version) echo "tesseract 5.3.0";;\n'
        '  --list-langs) printf "List of available languages (1):\\nvie\\n";;\n'
        f'  *) printf "%%%%PDF-1.5\\n" > "$2.pdf"; cp {tmp_path}/words.tsv "$2.tsv";'
        f' case "$*" in *hocr*) cp {tmp_path}/words.hocr "$2.hocr";; esac;;\n'
        "esac\n",
    )
    image = tmp_path / "in.png"
    Image.new("L", (10, 10), 255).save(image)
    page = PageImage(index=0, path=image, dpi=300, width_px=10, height_px=10)
    plain = TesseractEngine(binary=str(fake)).ocr_page(page, tmp_path, languages="vie")
    doubting = TesseractEngine(binary=str(fake), choices=True).ocr_page(page, tmp_path, languages="vie")
    assert [round(w.confidence) for w in plain.words] == [96, 75]
    assert [round(w.confidence, 1) for w in doubting.words] == [96, 3.2]
