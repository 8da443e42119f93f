"""End to end: input file -> upright, levelled, searchable PDF with NFC Vietnamese text."""

from __future__ import annotations

import pickle
import subprocess
from collections import Counter
from pathlib import Path

import pdfplumber
import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image

from sohoa.core.domain import FileKind
from sohoa.core.errors import OcrError
from sohoa.core.text import nfc
from sohoa.ingest.ocr import extract_text_layer, make_searchable_pdf
from sohoa.ingest.ocr_engines import FakeOcrEngine, TesseractEngine, load_engine
from sohoa.ingest.orientation import detect_geometry, estimate_skew
from sohoa.ingest.tesseract import TesseractInfo
from tests.ingest.textpages import draw_page
from tests.support.corpus import CORPUS
from tests.support.services import need, need_program

LINES = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "QUYẾT ĐỊNH",
    "Về việc cấp giấy phép hoạt động",
    "Căn cứ Luật Tổ chức chính quyền địa phương",
    "ngày 19 tháng 6 năm 2015 của Quốc hội;",
    "Xét đề nghị của Giám đốc Sở Văn hóa",
    "Thể thao và Du lịch tỉnh Tuyên Quang.",
]


@pytest.fixture(scope="module")
def tesseract_engine(real_tesseract: TesseractInfo) -> TesseractEngine:
    return TesseractEngine(timeout=120)


def _words(text: str) -> Counter[str]:
    return Counter(nfc(text).split())


def _recall(found: str, expected: list[str]) -> float:
    want, got = _words("\n".join(expected)), _words(found)
    return sum((want & got).values()) / sum(want.values())


def _pdf_text(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def _in_reading_order(text: str) -> bool:
    return 0 <= text.find("CỘNG HÒA") < text.find("QUYẾT ĐỊNH") < text.find("Tuyên Quang")


def _rendered_page(path: Path, index: int = 0, dpi: int = 100) -> Image.Image:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return pdf[index].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        pdf.close()


def _qpdf_check(path: Path) -> None:
    qpdf = need_program("qpdf")
    result = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_rotated_page_comes_out_upright(tesseract_engine, tmp_path, rotate):
    source = tmp_path / "in.png"
    draw_page(LINES, rotate=rotate).save(source, dpi=(200, 200))
    out = make_searchable_pdf(
        source, FileKind.PNG, tmp_path / "out.pdf", tmp_path / "work", engine=tesseract_engine, processes=1
    )
    (text,) = _pdf_text(out.output_path)
    assert _in_reading_order(text), text
    assert _recall(text, LINES) >= 0.9
    page = _rendered_page(out.output_path)
    assert page.width > page.height  # the landscape-shaped text block is upright again
    assert detect_geometry(page, 100, use_osd=False).rotation == 0


def test_skewed_page_is_levelled(tesseract_engine, tmp_path):
    source = tmp_path / "skewed.png"
    draw_page(LINES, skew=4.0).save(source, dpi=(200, 200))
    assert abs(estimate_skew(Image.open(source), 200) - 4.0) < 0.3
    out = make_searchable_pdf(
        source, FileKind.PNG, tmp_path / "out.pdf", tmp_path / "work", engine=tesseract_engine, processes=1
    )
    assert abs(estimate_skew(_rendered_page(out.output_path, dpi=150), 150)) < 0.3
    (text,) = _pdf_text(out.output_path)
    assert _in_reading_order(text) and _recall(text, LINES) >= 0.9
    assert out.pages[0].text == nfc(out.pages[0].text) and "Hạnh phúc" in out.pages[0].text
    assert out.mean_confidence is not None and out.mean_confidence > 70
    _qpdf_check(out.output_path)


def test_mixed_upright_and_upside_down_pages_fixed_one_by_one(tesseract_engine, tmp_path):
    frames = [draw_page(LINES), draw_page(LINES, rotate=180), draw_page(LINES[::-1])]
    source = tmp_path / "scan.tif"
    frames[0].save(source, save_all=True, append_images=frames[1:], dpi=(200, 200))
    seen: list[tuple[int, int]] = []
    out = make_searchable_pdf(
        source,
        FileKind.TIFF,
        tmp_path / "out.pdf",
        tmp_path / "work",
        engine=tesseract_engine,
        processes=2,
        progress=lambda done, total: seen.append((done, total)),
    )
    texts = _pdf_text(out.output_path)
    assert out.page_count == 3 and len(texts) == 3
    assert _in_reading_order(texts[0]) and _in_reading_order(texts[1])
    # Page 3 has its lines in reverse order: pages were not shuffled by the pool.
    assert texts[2].find("Tuyên Quang") < texts[2].find("CỘNG HÒA")
    assert [p.index for p in out.pages] == [0, 1, 2]
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert list((tmp_path / "work").iterdir()) == []  # scratch removed


def test_text_layer_pages_kept_as_they_are(tmp_path):
    born_digital = tmp_path / "digital.pdf"
    with pikepdf.new() as pdf:
        page = pdf.add_blank_page(page_size=(595, 842))
        page.Contents = pikepdf.Stream(pdf, b"BT /F1 18 Tf 72 760 Td (Born digital text) Tj ET")
        page.Resources = pikepdf.Dictionary(
            Font=pikepdf.Dictionary(
                F1=pikepdf.Dictionary(
                    Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
                )
            )
        )
        scan = pdf.add_blank_page(page_size=(595, 842))
        scan.Contents = pikepdf.Stream(pdf, b"0 0 0 rg 72 700 300 40 re f")
        pdf.save(born_digital)
    out = make_searchable_pdf(
        born_digital,
        FileKind.PDF,
        tmp_path / "out.pdf",
        tmp_path / "work",
        engine=FakeOcrEngine(text_by_page="Trang {page} đã quét"),
        processes=1,
        text_layer_pages=frozenset({0}),
    )
    assert [p.source for p in out.pages] == ["text_layer", "ocr"]
    assert out.pages[0].text == "Born digital text"
    assert out.pages[1].text == "Trang 2 đã quét"
    with pikepdf.open(out.output_path) as pdf:
        kept = pdf.pages[0].Contents.read_bytes()
        assert b"Born digital text" in kept  # the page was not rasterized
        assert "/Im0" in pdf.pages[1].Resources.XObject
    assert [p.text for p in extract_text_layer(out.output_path)] == ["Born digital text", "Trang 2 đã quét"]


def test_fake_engine_gives_a_valid_searchable_pdf_in_a_pool(tmp_path):
    engine = FakeOcrEngine(text_by_page="Giấy phép số {page}/GP-UBND\nỦy ban nhân dân tỉnh")
    assert pickle.loads(pickle.dumps(engine)) == engine
    frames = [draw_page(LINES[:2]) for _ in range(3)]
    source = tmp_path / "scan.tif"
    frames[0].save(source, save_all=True, append_images=frames[1:], dpi=(200, 200))
    out = make_searchable_pdf(
        source, FileKind.TIFF, tmp_path / "out.pdf", tmp_path / "work", engine=engine, processes=2
    )
    _qpdf_check(out.output_path)
    texts = _pdf_text(out.output_path)
    assert texts[2].splitlines() == ["Giấy phép số 3/GP-UBND", "Ủy ban nhân dân tỉnh"]
    assert all(nfc(t) == t for t in texts)
    assert out.pages[1].words[0].text == "Giấy" and out.pages[1].confidence == 96.0
    with pikepdf.open(out.output_path) as pdf:
        fonts = {pdf.pages[i].Resources.XObject.Tx0.Resources.Font.F0.objgen for i in range(3)}
        assert len(fonts) == 1  # one shared font object, not one per page


def test_engine_errors_surface_as_ocr_errors(tmp_path):
    source = tmp_path / "in.png"
    draw_page(LINES[:2]).save(source, dpi=(200, 200))
    engine = TesseractEngine(binary=str(tmp_path / "no-such-tesseract"))
    with pytest.raises(OcrError) as info:
        make_searchable_pdf(source, FileKind.PNG, tmp_path / "out.pdf", tmp_path / "work", engine=engine, processes=1)
    assert info.value.code == "tesseract_missing"
    assert not (tmp_path / "out.pdf").exists()
    assert list((tmp_path / "work").iterdir()) == []


def test_load_engine_names():
    assert isinstance(load_engine("tesseract"), TesseractEngine)
    assert isinstance(load_engine("fake"), FakeOcrEngine)
    assert isinstance(load_engine("sohoa.ingest.ocr_engines:FakeOcrEngine"), FakeOcrEngine)
    with pytest.raises(Exception) as info:
        load_engine("no.such.module:thing")
    assert getattr(info.value, "code", "") == "unknown_ocr_engine"


def test_corpus_pages_turned_every_way_come_out_upright():
    path = CORPUS / "scans" / "cardinal.pdf"  # 4 pages baked in at 0/90/180/270
    need(path.is_file(), f"corpus file {path}")
    pdf = pdfium.PdfDocument(str(path))
    try:
        pages = [pdf[i].render(scale=100 / 72, grayscale=True).to_pil().convert("L") for i in range(len(pdf))]
    finally:
        pdf.close()
    from sohoa.ingest.orientation import apply_geometry

    rotations = set()
    for page in pages:
        geometry = detect_geometry(page, 100, use_osd=False)
        rotations.add(geometry.rotation)
        upright = apply_geometry(page, geometry)
        assert upright.height > upright.width
        again = detect_geometry(upright, 100, use_osd=False)
        assert again.rotation == 0 and again.updown_ratio > 1.4
    assert rotations == {0, 90, 180, 270}


def test_corpus_sideways_g4_scan_matches_gold_text(tesseract_engine, tmp_path):
    import json

    source = CORPUS / "vn-docs" / "vn006_congbot_22.tif"  # bilevel G4, turned 270, skewed
    need(source.is_file(), f"corpus file {source}")
    gold = json.loads(source.with_suffix(".json").read_text(encoding="utf-8"))
    out = make_searchable_pdf(
        source, FileKind.TIFF, tmp_path / "out.pdf", tmp_path / "work", engine=tesseract_engine, processes=2
    )
    text = "\n".join(_pdf_text(out.output_path))
    want, got = _words(gold["text"]), _words(text)
    common = sum((want & got).values())
    f1 = 2 * common / (sum(want.values()) + sum(got.values()))
    assert f1 >= 0.95
    with pikepdf.open(out.output_path) as pdf:
        for page in pdf.pages:
            assert page.mediabox[3] > page.mediabox[2]  # portrait again
            image = page.Resources.XObject.Im0
            assert image.Filter == pikepdf.Name.CCITTFaxDecode  # still black and white
    assert out.output_path.stat().st_size < 2.5 * source.stat().st_size


def test_ocr_command_exit_codes(tmp_path, monkeypatch):
    import typer
    from typer.testing import CliRunner

    from sohoa.cli.ocr_cmds import register

    monkeypatch.setenv("SOHOA_OCR_ENGINE", "fake")
    monkeypatch.setenv("SOHOA_OCR_PROCESSES", "1")
    app = typer.Typer()
    register(app)
    app.callback()(lambda: None)  # keep "ocr" as a subcommand
    source = tmp_path / "in.png"
    draw_page(LINES[:2]).save(source, dpi=(200, 200))
    runner = CliRunner()
    ok = runner.invoke(app, ["ocr", str(source), str(tmp_path / "out.pdf"), "--sidecar", str(tmp_path / "out.txt")])
    assert ok.exit_code == 0, ok.output
    assert "CỘNG HÒA" in (tmp_path / "out.txt").read_text(encoding="utf-8")
    _qpdf_check(tmp_path / "out.pdf")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    refused = runner.invoke(app, ["ocr", str(empty), str(tmp_path / "x.pdf")])
    assert refused.exit_code == 2
    assert refused.output.count("\n") == 1 and "empty_file" in refused.output
    assert not (tmp_path / "x.pdf").exists()
    monkeypatch.setenv("SOHOA_STAMP", "yes")  # a bad setting, even one ocr does not use
    misconfigured = runner.invoke(app, ["ocr", str(source), str(tmp_path / "y.pdf")])
    assert misconfigured.exit_code == 6 and "configuration_error" in misconfigured.output
    assert "Traceback" not in misconfigured.output and not (tmp_path / "y.pdf").exists()


def test_ocr_resolution_follows_text_size():
    from sohoa.ingest.ocr import ocr_resolution

    assert ocr_resolution(None, 300) == 300  # no lines measured: the scan's own
    assert ocr_resolution(0.16, 300) == pytest.approx(175, abs=1)  # 13 pt body text
    assert ocr_resolution(0.09, 300) == 300  # small print keeps every pixel
    assert ocr_resolution(0.5, 300) == 150  # posters never drop below 150 dpi


def test_upside_down_jpeg_is_kept_byte_for_byte_and_drawn_upright(tmp_path):
    source = tmp_path / "scan.jpg"
    draw_page(LINES, rotate=180).save(source, dpi=(200, 200), quality=80)
    out = make_searchable_pdf(
        source, FileKind.JPEG, tmp_path / "out.pdf", tmp_path / "work", engine=FakeOcrEngine(), processes=1
    )
    with pikepdf.open(out.output_path) as pdf:
        image = pdf.pages[0].Resources.XObject.Im0
        assert image.Filter == pikepdf.Name.DCTDecode
        assert image.read_raw_bytes() == source.read_bytes()  # no second lossy pass
    page = _rendered_page(out.output_path)
    geometry = detect_geometry(page, 100, use_osd=False)
    assert geometry.rotation == 0 and geometry.updown_ratio > 1.4


def test_the_last_page_is_kept_as_ocr_read_it_for_the_signature_blocks_second_look(tmp_path):
    # lossless and only the last: the PDF's JPEG, redrawn turned, blurs a name under a seal
    frames = [draw_page(LINES), draw_page(LINES), draw_page(["Nơi nhận:"])]
    source = tmp_path / "scan.tif"
    frames[0].save(source, save_all=True, append_images=frames[1:], dpi=(200, 200))
    out = make_searchable_pdf(
        source, FileKind.TIFF, tmp_path / "out.pdf", tmp_path / "work", engine=FakeOcrEngine(), processes=2
    )
    assert out.last_page_image == tmp_path / "out.last-page.png"

    def ink(image: Image.Image) -> float:
        grey = image.convert("L")
        return sum(grey.histogram()[:128]) / (grey.width * grey.height)

    with Image.open(out.last_page_image) as kept:
        assert kept.format == "PNG" and kept.mode == "L"
        assert kept.width / kept.height == pytest.approx(frames[2].width / frames[2].height, rel=0.01)
        # the last page's one short line, not a full page's four
        assert ink(kept) == pytest.approx(ink(frames[2]), rel=0.35) and ink(kept) < 0.6 * ink(frames[0])
    assert not list((tmp_path / "work").rglob("*.png"))  # nothing left in the scratch space
