"""The electronic copy's visible stamp: what it says, where it is drawn, and that it stays signed."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops

from core.domain import SignRequest
from core.errors import ConfigurationError
from signing.pades import sign_pdf
from signing.stamp import VIETNAM, CopyStamp, copy_stamp_from_env, find_font, vietnam_time
from signing.verify import verify_pdf
from tests.signing.material import make_pdf
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


def test_stamp_setting_is_none_by_default_copy_on_request(tmp_path: Path) -> None:
    assert copy_stamp_from_env(AGENCY, {}) is None
    assert copy_stamp_from_env(AGENCY, {"SOHOA_STAMP": "none"}) is None
    stamp = copy_stamp_from_env(AGENCY, {"SOHOA_STAMP": "copy"})
    assert stamp is not None and (stamp.copy_type, stamp.agency_name) == ("SAO Y", AGENCY)
    with pytest.raises(ConfigurationError) as info:
        copy_stamp_from_env(AGENCY, {"SOHOA_STAMP": "visible"})
    assert info.value.code == "invalid_stamp"
    with pytest.raises(ConfigurationError) as info:
        copy_stamp_from_env(AGENCY, {"SOHOA_STAMP": "copy", "SOHOA_STAMP_FONT": str(tmp_path / "no.ttf")})
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
