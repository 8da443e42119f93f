"""The electronic copy's visible stamp: what it says, where it is drawn, and that it stays signed."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops
from pydantic import ValidationError

from sohoa.core.domain import SignRequest
from sohoa.core.errors import ConfigurationError
from sohoa.core.settings import Settings
from sohoa.signing.pades import sign_pdf
from sohoa.signing.stamp import VIETNAM, CopyStamp, find_font, stamp_from_settings, vietnam_time
from sohoa.signing.verify import verify_pdf
from testkit.material import make_pdf
from tests.support.services import need_program

AGENCY = "Sở Văn hóa, Thể thao và Du lịch tỉnh Đồng Nai"
ISO_VN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00")


@pytest.fixture(scope="module")
def stamped(dev_backend, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    work = tmp_path_factory.mktemp("stamp")
    source = make_pdf(work / "in.pdf", pages=2)
    out = work / "stamped.pdf"
    info = sign_pdf(SignRequest(source, out), dev_backend, stamp=CopyStamp(agency_name=AGENCY))
    return source, out, info


def _widget(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    [annot] = [a for a in pdf.pages[0].get("/Annots", []) if a.get("/FT") == "/Sig"]
    return annot


def test_stamp_says_copy_type_agency_and_vietnam_time(stamped) -> None:
    pdftotext = need_program("pdftotext")
    _, out, info = stamped
    text = subprocess.run(
        [pdftotext, "-f", "1", "-l", "1", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    at = lines.index("SAO Y")
    assert lines[at + 1] == AGENCY  # the diacritics survive as text, byte for byte
    assert ISO_VN.fullmatch(lines[at + 2]), lines
    assert info.stamp_text == "\n".join(lines[at : at + 3])
    # the time drawn is the signature's own signing time, in UTC+07:00
    [sig] = verify_pdf(out, trust_roots=[]).signatures
    assert sig.signing_time is not None
    assert lines[at + 2] == vietnam_time(sig.signing_time)


def test_stamp_uses_an_embedded_font_with_every_glyph(stamped) -> None:
    _, out, _ = stamped
    with pikepdf.open(out) as pdf:
        appearance = _widget(pdf).AP.N
        [font] = list(appearance.Resources.Font.values())
        descendant = font.DescendantFonts[0]
        assert "/FontFile2" in descendant.FontDescriptor or "/FontFile3" in descendant.FontDescriptor
        name = str(descendant.BaseFont)
        assert any(family in name for family in ("LiberationSerif", "FreeSerif", "DejaVuSerif")), name
        # Identity-H: two bytes per glyph id; glyph 0 is .notdef, drawn for a letter the font lacks
        content = appearance.read_bytes().decode("latin-1")
        glyphs = [h[i : i + 4] for h in re.findall(r"<([0-9a-f]+)>", content) for i in range(0, len(h), 4)]
        assert glyphs and "0000" not in glyphs
        # widths in thousandths of an em: a 2048-unit font's raw advances would be twice too wide
        widths = [float(w) for w in descendant.W[1]]
        assert all(0 < w < 1000 for w in widths), widths


def test_stamp_is_drawn_black_at_the_top_right_of_page_one(stamped, tmp_path: Path) -> None:
    pdftoppm = need_program("pdftoppm")
    source, out, _ = stamped
    images = []
    for name, pdf in (("plain", source), ("stamped", out)):
        subprocess.run([pdftoppm, "-r", "72", "-f", "1", "-l", "1", "-gray", "-png", str(pdf), str(tmp_path / name)])
        [png] = tmp_path.glob(f"{name}*.png")
        images.append(Image.open(png).convert("L"))
    plain, signed = images
    width, height = signed.size
    changed = ImageChops.difference(plain, signed).point(lambda v: 255 if v > 64 else 0)
    box = changed.getbbox()
    assert box is not None, "nothing was drawn"
    left, top, right, bottom = box
    assert left > width * 0.55 and right < width - 10, box  # right-hand side, inside the margin
    assert top > 10 and bottom < height * 0.12, box  # within the top of the page
    darkest = min(signed.crop(box).getdata())
    assert darkest < 60  # black text, not grey


def test_stamped_signature_is_valid_and_accepted_by_poppler(stamped, dev_backend) -> None:
    pdfsig = need_program("pdfsig")
    _, out, _ = stamped
    [sig] = verify_pdf(out, trust_roots=[dev_backend.development_root]).signatures
    assert sig.valid and sig.modification == "none"
    result = subprocess.run([pdfsig, str(out)], capture_output=True, text=True, timeout=60, check=False)
    assert "Signature is Valid" in result.stdout, result.stdout + result.stderr
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 2
        assert [float(v) for v in _widget(pdf).Rect][2] > 0  # a visible widget


def test_without_stamp_the_signature_is_invisible(dev_backend, tmp_path: Path) -> None:
    out = tmp_path / "plain.pdf"
    info = sign_pdf(SignRequest(make_pdf(tmp_path / "in.pdf"), out), dev_backend)
    assert info.stamp_text is None
    with pikepdf.open(out) as pdf:
        x1, y1, x2, y2 = (float(v) for v in _widget(pdf).Rect)
        assert x2 - x1 == 0 and y2 - y1 == 0


def test_stamp_setting_is_none_by_default_copy_on_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("SOHOA_STAMP", "SOHOA_STAMP_FONT"):
        monkeypatch.delenv(key, raising=False)
    assert stamp_from_settings(Settings(data_dir=tmp_path, agency_name=AGENCY)) is None
    assert stamp_from_settings(Settings(data_dir=tmp_path, agency_name=AGENCY, stamp="none")) is None
    stamp = stamp_from_settings(Settings(data_dir=tmp_path, agency_name=AGENCY, stamp="copy"))
    assert stamp is not None and (stamp.copy_type, stamp.agency_name) == ("SAO Y", AGENCY)
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, stamp="visible")
    unusable = Settings(data_dir=tmp_path, stamp="copy", stamp_font=tmp_path / "no.ttf")
    with pytest.raises(ConfigurationError) as info:
        stamp_from_settings(unusable)
    assert info.value.code == "stamp_font_unusable"


def test_font_without_vietnamese_letters_is_refused() -> None:
    latin_only = Path("/usr/share/fonts/opentype/urw-base35/NimbusRoman-Regular.otf")
    if not latin_only.exists():
        pytest.skip("no Latin-only font at hand (fonts-urw-base35)")
    with pytest.raises(ConfigurationError) as info:
        find_font(latin_only, [AGENCY])
    assert "ở" in info.value.message


def test_vietnam_time_has_the_offset_and_no_fraction() -> None:
    moment = dt.datetime(2025, 1, 15, 2, 30, 0, 123456, tzinfo=dt.UTC)
    assert vietnam_time(moment) == "2025-01-15T09:30:00+07:00"
    assert vietnam_time(moment.astimezone(VIETNAM)) == "2025-01-15T09:30:00+07:00"


# Pages whose stamp must land top right as displayed: every /Rotate, a negative one, boxes that do not
# start at 0,0 (a crop box inside a shifted media box), and /Rotate and /MediaBox inherited from /Pages.
_A4 = [0, 0, 595, 842]
_SHIFTED = {"media": [100, -200, 695, 642], "crop": [120, -180, 675, 622]}
ROTATED_PAGES = {
    "0": {"rotate": 0, "media": _A4},
    "90": {"rotate": 90, "media": _A4},
    "180": {"rotate": 180, "media": _A4},
    "270": {"rotate": 270, "media": _A4},
    "minus-90": {"rotate": -90, "media": _A4},
    "0-shifted": {"rotate": 0, **_SHIFTED},
    "90-shifted": {"rotate": 90, **_SHIFTED},
    "180-shifted": {"rotate": 180, **_SHIFTED},
    "270-shifted": {"rotate": 270, **_SHIFTED},
    "90-inherited": {"rotate": 90, "media": [0, 0, 612, 792], "inherited": True},
    "90-real": {"rotate": 90.0, "media": _A4},  # written 90.0: a real number, which readers accept
}
_MARGIN = 28  # points from the displayed top and right edges, as signing.stamp draws it


def _blank_page_pdf(path: Path, case: dict) -> Path:
    """One page with no content at all, so every dark pixel of a rendering is the stamp's.

    Written by hand: qpdf (under pikepdf) copies inherited /Rotate and /MediaBox down to the page
    when it saves."""

    def rect(values: list[int]) -> str:
        return "[" + " ".join(map(str, values)) + "]"

    boxes = f"/MediaBox {rect(case['media'])} /Rotate {case['rotate']}"
    crop = f" /CropBox {rect(case['crop'])}" if "crop" in case else ""
    inherited = case.get("inherited", False)
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [3 0 R] /Count 1 {boxes if inherited else ''} >>",
        f"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << >> {'' if inherited else boxes}{crop} >>",
        "<< /Length 0 >>\nstream\n\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


@pytest.fixture(scope="module", params=sorted(ROTATED_PAGES))
def rotated(request, dev_backend, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    case = ROTATED_PAGES[request.param]
    work = tmp_path_factory.mktemp(f"rotate-{request.param}")
    out = work / "stamped.pdf"
    sign_pdf(SignRequest(_blank_page_pdf(work / "in.pdf", case), out), dev_backend, stamp=CopyStamp(agency_name=AGENCY))
    return case, out


def _displayed(case: dict, x: float, y: float) -> tuple[float, float]:
    """A page-space point as the reader sees it: distance from the displayed left and top edges."""
    left, bottom, right, top = case.get("crop", case["media"])
    return {
        0: (x - left, top - y),
        90: (y - bottom, x - left),  # turned clockwise: the page's left edge is at the top
        180: (right - x, y - bottom),
        270: (top - y, right - x),
    }[case["rotate"] % 360]


def _ink(image: Image.Image) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """The dark pixels of a rendering and their bounding box."""
    dark = image.convert("L").point(lambda v: 255 if v < 128 else 0)
    box = dark.getbbox()
    assert box is not None, "no stamp drawn"
    return dark, box


def _assert_top_right_and_upright(image: Image.Image, dpi: float) -> None:
    width, height = image.size
    dark, (left, top, right, bottom) = _ink(image)
    px = dpi / 72
    # the text starts a few points inside the widget, which starts the margin from the edges
    assert _MARGIN * px <= top <= (_MARGIN + 16) * px, (top, image.size)
    assert _MARGIN * px <= width - right <= (_MARGIN + 16) * px, (right, image.size)
    assert bottom < height / 4 and left > width / 3, (left, bottom, image.size)
    # three lines read left to right: wider than tall, the short "SAO Y" first and flush left
    assert right - left > 3 * (bottom - top)
    first_line = dark.crop((left, top, right, top + (bottom - top) // 4)).getbbox()
    assert first_line is not None
    assert first_line[0] <= 2 and first_line[2] < (right - left) / 2, first_line


def test_stamp_widget_is_at_the_displayed_top_right(rotated, dev_backend) -> None:
    case, out = rotated
    with pikepdf.open(out) as pdf:
        x1, y1, x2, y2 = (float(v) for v in _widget(pdf).Rect)
    (u1, v1), (u2, v2) = _displayed(case, x1, y1), _displayed(case, x2, y2)
    left, bottom, right, top = case.get("crop", case["media"])
    shown_width = (top - bottom) if case["rotate"] % 180 else (right - left)
    assert abs(min(v1, v2) - _MARGIN) <= 1  # from the displayed top edge
    assert abs(shown_width - max(u1, u2) - _MARGIN) <= 1  # from the displayed right edge
    assert abs(u1 - u2) > 3 * abs(v1 - v2)  # wide as displayed: the box turned with the page
    [sig] = verify_pdf(out, trust_roots=[dev_backend.development_root]).signatures
    assert sig.valid and sig.modification == "none"


def test_a_rotation_off_the_quarter_turns_is_stamped_unturned_not_refused(dev_backend, tmp_path: Path) -> None:
    # /Rotate must be a multiple of 90; a file that breaks the rule is still signed
    case = {"rotate": 45, "media": _A4}
    out = tmp_path / "stamped.pdf"
    sign_pdf(SignRequest(_blank_page_pdf(tmp_path / "in.pdf", case), out), dev_backend, stamp=CopyStamp(AGENCY))
    with pikepdf.open(out) as pdf:
        x1, y1, x2, y2 = (float(v) for v in _widget(pdf).Rect)
    (u1, v1), (u2, v2) = _displayed({**case, "rotate": 0}, x1, y1), _displayed({**case, "rotate": 0}, x2, y2)
    assert abs(min(v1, v2) - _MARGIN) <= 1 and abs(595 - max(u1, u2) - _MARGIN) <= 1


def test_stamp_renders_upright_at_the_top_right_in_pdfium(rotated) -> None:
    import pypdfium2 as pdfium

    _, out = rotated
    document = pdfium.PdfDocument(out)
    try:
        document.init_forms()  # pdfium draws form widgets, the signature's among them, only then
        image = document[0].render(scale=1, may_draw_forms=True).to_pil()
    finally:
        document.close()
    _assert_top_right_and_upright(image, 72)


def test_stamp_renders_upright_at_the_top_right_in_poppler(rotated, tmp_path: Path) -> None:
    pdftoppm = need_program("pdftoppm")
    _, out = rotated
    prefix = tmp_path / "page"
    subprocess.run([pdftoppm, "-r", "72", "-cropbox", "-singlefile", "-png", str(out), str(prefix)], check=True)
    with Image.open(prefix.with_suffix(".png")) as image:
        _assert_top_right_and_upright(image, 72)
