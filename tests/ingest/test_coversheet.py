"""Cover sheets: the printed PDF, reading it back from scans (QR, corner squares, OCR text), CLI and API."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pdfplumber
import pikepdf
import pypdfium2 as pdfium
import pytest
import qrcode
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from typer.testing import CliRunner

from sohoa.core.errors import InputRejected
from sohoa.core.text import fold
from sohoa.ingest.coversheet import (
    CoverSheet,
    SheetEntry,
    find_sheet_marks,
    make_cover_sheet,
    make_cover_sheets,
    read_cover_sheet,
    read_cover_sheet_text,
    sheet_checksum,
    sheet_payload,
)
from tests.support.codes import PROCEDURE
from tests.support.corpus import CORPUS, corpus_file

DOSSIER = "000.00.32.H19-240101-0001"
TITLE = "Cấp giấy phép xây dựng nhà ở riêng lẻ"
APPLICANT = "Nguyễn Thị Hường"


def render(pdf: bytes, page: int = 0, dpi: int = 150) -> Image.Image:
    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[page].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        doc.close()


def without_qr(img: Image.Image) -> Image.Image:
    """The page with its QR code painted over, found where zxing sees it."""
    (found,) = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
    pos = found.position
    xs = [p.x for p in (pos.top_left, pos.top_right, pos.bottom_left, pos.bottom_right)]
    ys = [p.y for p in (pos.top_left, pos.top_right, pos.bottom_left, pos.bottom_right)]
    out = img.copy()
    pad = 4
    ImageDraw.Draw(out).rectangle((min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad), fill=255)
    return out


@pytest.fixture(scope="module")
def sheet_pdf() -> bytes:
    return make_cover_sheet(PROCEDURE, DOSSIER, title=TITLE, applicant=APPLICANT)


@pytest.fixture(scope="module")
def sheet_image(sheet_pdf: bytes) -> Image.Image:
    return render(sheet_pdf)


def test_sheet_is_one_a4_page_with_embedded_fonts_and_extractable_vietnamese(sheet_pdf: bytes) -> None:
    with pikepdf.open(io.BytesIO(sheet_pdf)) as pdf:
        assert len(pdf.pages) == 1
        width, height = (float(v) for v in pdf.pages[0].mediabox[2:])
        assert abs(width - 595.3) < 1 and abs(height - 841.9) < 1
        fonts = pdf.pages[0].Resources.Font
        for name in fonts:
            descendant = fonts[name].DescendantFonts[0]
            assert "/FontFile2" in descendant.FontDescriptor  # embedded, not referenced
            assert "/ToUnicode" in fonts[name]
    with pdfplumber.open(io.BytesIO(sheet_pdf)) as pdf:
        text = pdf.pages[0].extract_text()
    assert "Mã thủ tục: " + PROCEDURE in text
    assert "Mã hồ sơ: " + DOSSIER in text
    assert sheet_checksum(PROCEDURE, DOSSIER) in text
    assert TITLE.split()[0] in text and APPLICANT in text  # NFC Vietnamese, diacritics kept
    assert read_cover_sheet_text(text) == CoverSheet(PROCEDURE, DOSSIER, "text", needs_review=True, checksum_ok=True)


@pytest.mark.parametrize(
    "degrade",
    [
        pytest.param(lambda im: im, id="upright"),
        pytest.param(lambda im: im.rotate(90, expand=True), id="rot90"),
        pytest.param(lambda im: im.rotate(180, expand=True), id="rot180"),
        pytest.param(lambda im: im.rotate(270, expand=True), id="rot270"),
        pytest.param(lambda im: im.rotate(4, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC), id="skew"),
        pytest.param(lambda im: im.point(lambda v: 150 + v * 60 // 255), id="low-contrast"),
        # Washed-out toner: zxing's own binarizer alone misses it, the stretched copy reads.
        pytest.param(lambda im: im.point(lambda v: 215 + v * 20 // 255), id="faint"),
        pytest.param(
            lambda im: im.resize((im.width // 2, im.height // 2)).point(lambda v: 90 + v // 3), id="grey-75dpi"
        ),
    ],
)
def test_qr_is_read_from_degraded_scans(sheet_image: Image.Image, degrade) -> None:
    sheet = read_cover_sheet(degrade(sheet_image))
    assert sheet == CoverSheet(PROCEDURE, DOSSIER, "qr", needs_review=False, checksum_ok=True)


def test_register_list_prints_one_sheet_per_dossier_in_order() -> None:
    entries = [SheetEntry("1.000926", f"000.00.32.H19-250521-{n:04d}", title=f"Hồ sơ số {n}") for n in (7, 8, 9)]
    pdf = make_cover_sheets(entries)
    for page, entry in enumerate(entries):
        sheet = read_cover_sheet(render(pdf, page))
        assert sheet is not None and (sheet.procedure_code, sheet.dossier_code) == (
            entry.procedure_code,
            entry.dossier_code,
        )


@pytest.mark.parametrize(
    ("procedure", "dossier", "code"),
    [
        ("1.00123", DOSSIER, "invalid_procedure_code"),
        ("thủ tục", DOSSIER, "invalid_procedure_code"),
        (PROCEDURE, "", "invalid_dossier_code"),
        (PROCEDURE, "000 01", "invalid_dossier_code"),
        (PROCEDURE, "A|B", "invalid_dossier_code"),
    ],
)
def test_invalid_codes_are_refused(procedure: str, dossier: str, code: str) -> None:
    with pytest.raises(InputRejected) as err:
        make_cover_sheet(procedure, dossier)
    assert err.value.code == code


def test_pages_that_are_not_sheets_are_not_read_as_sheets() -> None:
    receipt = corpus_file("vn-docs/vn041_syn_receipt_3.jpg")
    with Image.open(receipt) as img:
        assert read_cover_sheet(img) is None
    # A document's own QR code is not a cover sheet, nor is a forged SOHOA prefix a readable one.
    page = Image.new("L", (1240, 1754), 255)
    page.paste(
        qrcode.make("https://dichvucong.gov.vn/p/home/dvc-tra-cuu-ho-so.html").get_image().convert("L"), (100, 100)
    )
    assert read_cover_sheet(page) is None
    forged = Image.new("L", (1240, 1754), 255)
    forged.paste(qrcode.make(f"SOHOA1|{PROCEDURE}|{DOSSIER}|00000000").get_image().convert("L"), (100, 100))
    assert read_cover_sheet(forged) == CoverSheet(None, None, "qr", needs_review=True)


def test_corner_squares_mark_a_sheet_whose_qr_is_gone(sheet_image: Image.Image) -> None:
    blank_qr = without_qr(sheet_image)
    assert read_cover_sheet(blank_qr) == CoverSheet(None, None, "marks", needs_review=True)
    assert find_sheet_marks(blank_qr) == 0
    assert find_sheet_marks(blank_qr.rotate(270, expand=True)) == 90
    faded = blank_qr.rotate(2.5, expand=True, fillcolor=255).point(lambda v: 140 + v * 80 // 255)
    assert find_sheet_marks(faded) == 0


def test_corpus_pages_show_no_corner_squares() -> None:
    pages = sorted(CORPUS.glob("vn-docs/*.png")) + sorted(CORPUS.glob("vn-docs/*.jpg"))
    assert len(pages) >= 10
    for path in pages:
        with Image.open(path) as img:
            assert find_sheet_marks(img) is None, path.name


def _sheet_text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return doc.pages[0].extract_text()


def test_text_reading_survives_ocr_damage(sheet_pdf: bytes) -> None:
    text = _sheet_text(sheet_pdf)
    damaged = fold(text).upper()  # accents lost, case changed
    damaged = damaged.replace("MA HO SO:", "Ma ho so").replace("000.00.32", "0O0,00. 32").replace("H19", "HI9")
    damaged = damaged.replace("SOHOA1", "S0HOAI")
    sheet = read_cover_sheet_text(damaged)
    assert sheet == CoverSheet(PROCEDURE, DOSSIER, "text", needs_review=True, checksum_ok=True)


def test_text_of_a_sheet_with_unreadable_codes_is_still_a_sheet(sheet_pdf: bytes) -> None:
    text = _sheet_text(sheet_pdf)
    text = re.sub(r"[0-9]", "~", text)  # every digit smudged
    sheet = read_cover_sheet_text(text)
    assert sheet is not None and sheet.source == "text" and sheet.needs_review
    assert (sheet.procedure_code, sheet.dossier_code, sheet.checksum_ok) == (None, None, False)


def test_text_with_a_wrong_checksum_is_proposed_unverified(sheet_pdf: bytes) -> None:
    text = _sheet_text(sheet_pdf).replace(sheet_checksum(PROCEDURE, DOSSIER), "12345678")
    sheet = read_cover_sheet_text(text)
    assert sheet is not None and not sheet.checksum_ok and sheet.needs_review
    assert (sheet.procedure_code, sheet.dossier_code) == (PROCEDURE, DOSSIER)


def test_documents_mentioning_dossier_codes_are_not_sheets() -> None:
    gold = json.loads(corpus_file("vn-docs/vn041_syn_receipt_3.json").read_text(encoding="utf-8"))
    assert "Mã hồ sơ" in gold["text"]
    assert read_cover_sheet_text(gold["text"]) is None
    assert read_cover_sheet_text("") is None


def test_payload_names_the_codes_and_checksum() -> None:
    payload = sheet_payload(PROCEDURE, DOSSIER)
    prefix, procedure, dossier, checksum = payload.split("|")
    assert (prefix, procedure, dossier) == ("SOHOA1", PROCEDURE, DOSSIER)
    assert re.fullmatch(r"\d{8}", checksum) and checksum != sheet_checksum(PROCEDURE, DOSSIER[:-1] + "2")


# --- CLI and API ----------------------------------------------------------------------------


def test_cli_writes_a_sheet_and_a_register_list(tmp_path: Path) -> None:
    import typer

    from sohoa.cli.coversheet_cmds import register

    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # a second command keeps "coversheet" a subcommand
    runner = CliRunner()
    out = tmp_path / "sheet.pdf"
    done = runner.invoke(
        app, ["coversheet", "--procedure", PROCEDURE, "--dossier", DOSSIER, "--title", TITLE, "-o", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert read_cover_sheet(render(out.read_bytes())).dossier_code == DOSSIER

    register_list = tmp_path / "so-theo-doi.csv"
    register_list.write_text(
        "procedure_code,dossier_code,title,applicant\n"
        f"1.000926,000.00.32.H19-250521-0103,Nhập khẩu văn hóa phẩm,Võ Hoàng Phúc\n{PROCEDURE},{DOSSIER},,\n",
        encoding="utf-8-sig",
    )
    listed = tmp_path / "list.pdf"
    done = runner.invoke(app, ["coversheet", "--list", str(register_list), "-o", str(listed)])
    assert done.exit_code == 0, done.output
    assert read_cover_sheet(render(listed.read_bytes(), 1)).dossier_code == DOSSIER

    bad = runner.invoke(app, ["coversheet", "--procedure", "1.2", "--dossier", DOSSIER, "-o", str(tmp_path / "x.pdf")])
    assert bad.exit_code == 2 and "invalid_procedure_code" in bad.output
    assert not (tmp_path / "x.pdf").exists()


@pytest.fixture
def api(settings) -> Iterator[tuple[TestClient, dict[str, str]]]:
    from sohoa.api.app import create_app
    from sohoa.core.domain import Role
    from sohoa.pipeline.wiring import open_runtime
    from sohoa.storage.accounts import create_token, create_user

    rt = open_runtime(settings, with_queue=False)
    try:
        with rt.db.session() as session:
            tokens = {}
            for role in (Role.ARCHIVIST, Role.UPLOADER):
                tokens[role.value] = create_token(
                    session, create_user(session, f"u-{role.value}", role, actor="t"), actor="t"
                )
        app = create_app(runtime=rt)
        with TestClient(app) as client:
            yield client, tokens
    finally:
        rt.close()


def test_api_answers_a_pdf_and_refuses_bad_codes(api: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = api
    auth = {"Authorization": f"Bearer {tokens['archivist']}"}
    url = "/api/v1/coversheets"
    ok = client.get(
        url, params={"procedure_code": PROCEDURE, "dossier_code": DOSSIER, "applicant": APPLICANT}, headers=auth
    )
    assert ok.status_code == 200 and ok.headers["content-type"] == "application/pdf"
    assert read_cover_sheet(render(ok.content)) == CoverSheet(PROCEDURE, DOSSIER, "qr", False, True)

    bad = client.get(url, params={"procedure_code": "1.0", "dossier_code": DOSSIER}, headers=auth)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_procedure_code"
    assert client.get(url, params={"procedure_code": PROCEDURE, "dossier_code": DOSSIER}).status_code == 401
    uploader = {"Authorization": f"Bearer {tokens['uploader']}"}
    assert (
        client.get(url, params={"procedure_code": PROCEDURE, "dossier_code": DOSSIER}, headers=uploader).status_code
        == 403
    )

    entries = [{"procedure_code": PROCEDURE, "dossier_code": f"{DOSSIER[:-1]}{n}"} for n in (1, 2)]
    listed = client.post(url, json={"entries": entries}, headers=auth)
    assert listed.status_code == 200
    assert read_cover_sheet(render(listed.content, 1)).dossier_code == entries[1]["dossier_code"]
