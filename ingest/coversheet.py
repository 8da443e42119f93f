"""Cover sheets (phiếu bìa hồ sơ): a printed page on top of each dossier so one scanned stack files itself.

A sheet carries its codes three ways, so a damaged sheet still stops a dossier from being filed
under the wrong codes:

- a QR code with ``SOHOA1|<procedure>|<dossier>|<checksum>`` (checksum: CRC-32 of the codes as
  eight decimal digits, which OCR reads more reliably than hex);
- the same codes in large printed text, readable by tesseract ``vie`` and extractable from the PDF
  (DejaVu fonts, subset and embedded with a ToUnicode map);
- four solid squares near the corners, which mark the page as a sheet when neither can be read.

Reading: :func:`read_cover_sheet` decodes the QR with zxing-cpp, retrying on enhanced copies of the
page, and falls back to the corner squares; :func:`read_cover_sheet_text` recognises the printed
text in OCR output, accent-insensitive and tolerant of misread characters (the checksum picks the
right reading among look-alikes).
"""

from __future__ import annotations

import difflib
import hashlib
import io
import itertools
import re
import unicodedata
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import pikepdf
import qrcode
import qrcode.constants
import zxingcpp
from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont
from pikepdf import Array, Dictionary, Name, Stream
from PIL import Image, ImageFilter, ImageOps

from core.codes import DOSSIER_CODE_RE, PROCEDURE_CODE_RE, validate_dossier_code, validate_procedure_code
from core.errors import ConfigurationError, InputRejected
from core.text import fold, nfc, normalize_space

__all__ = [
    "FONT_DIR",
    "PAYLOAD_PREFIX",
    "CoverSheet",
    "SheetEntry",
    "SheetFinding",
    "SheetSource",
    "find_sheet_marks",
    "inspect_sheet",
    "make_cover_sheet",
    "make_cover_sheets",
    "read_cover_sheet",
    "read_cover_sheet_text",
    "sheet_checksum",
    "sheet_payload",
]

PAYLOAD_PREFIX = "SOHOA1"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SheetSource = Literal["qr", "text", "marks"]

# A4 in points; corner squares of 12 mm, 10 mm from the edges.
_PAGE_W, _PAGE_H = 595.276, 841.89
_MARGIN, _MARK = 28.35, 34.0
# Centre-to-centre distances of the corner squares: their ratio and size identify a sheet.
_MARK_DX = _PAGE_W - 2 * _MARGIN - _MARK
_MARK_DY = _PAGE_H - 2 * _MARGIN - _MARK
_MAX_TEXT = 300


@dataclass(frozen=True)
class CoverSheet:
    """What a cover sheet said. Codes are None when unreadable; such a sheet always needs review."""

    procedure_code: str | None
    dossier_code: str | None
    source: SheetSource  # "qr", "text" (OCR of the printed codes) or "marks" (only the corner squares)
    needs_review: bool
    checksum_ok: bool = False  # the codes agree with the sheet's checksum

    @property
    def readable(self) -> bool:
        return self.procedure_code is not None and self.dossier_code is not None


@dataclass(frozen=True)
class SheetEntry:
    """One dossier of a register list, for :func:`make_cover_sheets`."""

    procedure_code: str
    dossier_code: str
    title: str | None = None
    applicant: str | None = None


def sheet_checksum(procedure_code: str, dossier_code: str) -> str:
    return f"{zlib.crc32(f'{procedure_code}|{dossier_code}'.encode()) % 100_000_000:08d}"


def sheet_payload(procedure_code: str, dossier_code: str) -> str:
    checksum = sheet_checksum(procedure_code, dossier_code)
    return f"{PAYLOAD_PREFIX}|{procedure_code}|{dossier_code}|{checksum}"


# ---------------------------------------------------------------------------------------------
# Fonts: DejaVu subsets embedded as Type0/CIDFontType2 with Identity-H and a ToUnicode map.


@dataclass(frozen=True)
class _FontFile:
    path: Path
    cmap: dict[int, str]
    advances: dict[str, int]
    units_per_em: int


@lru_cache(maxsize=8)
def _font_file(path: Path) -> _FontFile:
    if not path.is_file():
        raise ConfigurationError(
            f"font {path} not found (install fonts-dejavu-core)", code="font_missing", details={"path": str(path)}
        )
    with TTFont(path, lazy=True) as tt:
        return _FontFile(
            path=path,
            cmap=dict(tt.getBestCmap()),
            advances={name: metric[0] for name, metric in tt["hmtx"].metrics.items()},
            units_per_em=int(tt["head"].unitsPerEm),
        )


class _Font:
    """One font of a document: measures text while laying out, then embeds the subset it used."""

    def __init__(self, key: str, path: Path) -> None:
        self.key = key
        self.file = _font_file(path)
        self.chars: set[str] = set()

    def width(self, text: str, size: float) -> float:
        units = sum(
            self.file.advances.get(self.file.cmap.get(ord(ch), ".notdef"), 0)
            for ch in _glyph_chars(text, self.file.cmap)
        )
        return units * size / self.file.units_per_em

    def use(self, text: str) -> list[str]:
        chars = [ch for ch in _glyph_chars(text, self.file.cmap) if ord(ch) in self.file.cmap]
        self.chars.update(chars)
        return chars

    def embed(self, pdf: pikepdf.Pdf) -> tuple[pikepdf.Object, dict[str, int]]:
        """The font dictionary and the glyph id of each used character."""
        options = ft_subset.Options()
        options.layout_features = []
        options.hinting = False
        options.name_IDs = [0, 1, 2, 3, 4, 5, 6]  # keep copyright and licence-relevant names
        options.notdef_outline = True
        options.drop_tables = [*options.drop_tables, "FFTM"]
        with TTFont(self.file.path) as tt:
            subsetter = ft_subset.Subsetter(options)
            subsetter.populate(unicodes=sorted(ord(ch) for ch in self.chars))
            subsetter.subset(tt)
            cmap = tt.getBestCmap()
            gids = {ch: tt.getGlyphID(cmap[ord(ch)]) for ch in self.chars}
            widths = {gid: tt["hmtx"][tt.getGlyphName(gid)][0] for gid in gids.values()}
            scale = 1000.0 / tt["head"].unitsPerEm
            head, hhea, os2 = tt["head"], tt["hhea"], tt["OS/2"]
            fixed = bool(tt["post"].isFixedPitch)
            buf = io.BytesIO()
            tt.save(buf)
        data = buf.getvalue()
        tag = "".join(chr(65 + b % 26) for b in hashlib.sha256("".join(sorted(self.chars)).encode()).digest()[:6])
        base = Name(f"/{tag}+{self.file.path.stem.replace(' ', '')}")
        font_file = Stream(pdf, data)
        font_file.Length1 = len(data)
        descriptor = Dictionary(
            Type=Name.FontDescriptor,
            FontName=base,
            Flags=32 | (1 if fixed else 0),
            FontBBox=Array([round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]),
            ItalicAngle=0,
            Ascent=round(hhea.ascent * scale),
            Descent=round(hhea.descent * scale),
            CapHeight=round(getattr(os2, "sCapHeight", hhea.ascent) * scale),
            StemV=80,
            FontFile2=font_file,
        )
        w_array = Array()
        for gid in sorted(widths):
            w_array.append(gid)
            w_array.append(Array([round(widths[gid] * scale)]))
        cid_font = Dictionary(
            Type=Name.Font,
            Subtype=Name.CIDFontType2,
            BaseFont=base,
            CIDSystemInfo=Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
            FontDescriptor=pdf.make_indirect(descriptor),
            W=w_array,
            CIDToGIDMap=Name.Identity,
        )
        font = Dictionary(
            Type=Name.Font,
            Subtype=Name.Type0,
            BaseFont=base,
            Encoding=Name("/Identity-H"),
            DescendantFonts=Array([pdf.make_indirect(cid_font)]),
            ToUnicode=Stream(pdf, _to_unicode_cmap(gids)),
        )
        return pdf.make_indirect(font), gids


def _glyph_chars(text: str, cmap: dict[int, str]) -> Iterator[str]:
    """Characters to draw: NFC letters, their decomposition when the font lacks the composed glyph."""
    for ch in nfc(text):
        if ord(ch) in cmap:
            yield ch
            continue
        parts = unicodedata.normalize("NFD", ch)
        if len(parts) > 1 and all(ord(p) in cmap for p in parts):
            yield from parts
        else:
            yield "?"


def _to_unicode_cmap(gids: dict[str, int]) -> bytes:
    entries = sorted((gid, ch) for ch, gid in gids.items())
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    for start in range(0, len(entries), 100):
        chunk = entries[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines.extend(f"<{gid:04X}> <{ch.encode('utf-16-be').hex().upper()}>" for gid, ch in chunk)
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


# ---------------------------------------------------------------------------------------------
# Layout


@dataclass(frozen=True)
class _Text:
    font: _Font
    size: float
    x: float
    y: float
    text: str


class _Fonts:
    def __init__(self, font_dir: Path) -> None:
        self.regular = _Font("F1", font_dir / "DejaVuSans.ttf")
        # Codes in plain bold, not DejaVu Mono: its dotted zero reads as 6, 8 or 9 to tesseract.
        self.bold = _Font("F2", font_dir / "DejaVuSans-Bold.ttf")

    def all(self) -> tuple[_Font, ...]:
        return (self.regular, self.bold)


def _wrap(font: _Font, size: float, text: str, width: float, max_lines: int) -> list[str]:
    words, lines, line = normalize_space(text).split(" "), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if font.width(candidate, size) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
        while font.width(line, size) > width and len(line) > 1:  # a word longer than the line
            cut = len(line)
            while cut > 1 and font.width(line[:cut], size) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and font.width(last + "…", size) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def _layout(fonts: _Fonts, entry: SheetEntry) -> tuple[list[_Text], list[tuple[float, float, float, float]]]:
    """Texts and filled rectangles of one sheet (PDF coordinates, origin bottom left)."""
    texts: list[_Text] = []
    rects: list[tuple[float, float, float, float]] = []
    for x in (_MARGIN, _PAGE_W - _MARGIN - _MARK):
        for y in (_MARGIN, _PAGE_H - _MARGIN - _MARK):
            rects.append((x, y, _MARK, _MARK))

    def centred(font: _Font, size: float, y: float, text: str) -> None:
        texts.append(_Text(font, size, (_PAGE_W - font.width(text, size)) / 2, y, text))

    centred(fonts.bold, 22, _PAGE_H - 100, "PHIẾU BÌA HỒ SƠ SỐ HÓA")
    notice = "Đặt phiếu này lên trên cùng hồ sơ khi quét. Trang này không được lưu vào hồ sơ."
    for n, line in enumerate(_wrap(fonts.regular, 11, notice, _PAGE_W - 2 * (_MARGIN + _MARK) - 20, 2)):
        centred(fonts.regular, 11, _PAGE_H - 124 - 15 * n, line)

    matrix = _qr_matrix(sheet_payload(entry.procedure_code, entry.dossier_code))
    side = 200.0
    module = side / len(matrix)
    left, top = (_PAGE_W - side) / 2, _PAGE_H - 168
    for r, row in enumerate(matrix):
        for dark, run in itertools.groupby(enumerate(row), key=lambda cell: cell[1]):
            cells = list(run)
            if dark:
                rects.append((left + cells[0][0] * module, top - (r + 1) * module, len(cells) * module, module))

    x0, width = 72.0, _PAGE_W - 144.0
    y = top - side - 48
    label_size, code_size = 17.0, 20.0
    codes = (
        ("Mã thủ tục: ", entry.procedure_code),
        ("Mã hồ sơ: ", entry.dossier_code),
        ("Mã kiểm tra: ", sheet_checksum(entry.procedure_code, entry.dossier_code)),
    )
    for label, value in codes:
        texts.append(_Text(fonts.regular, label_size, x0, y, label))
        font = fonts.bold
        room = width - fonts.regular.width(label, label_size)
        size = max(8.0, min(code_size, code_size * room / max(1.0, font.width(value, code_size))))
        texts.append(_Text(font, size, x0 + fonts.regular.width(label, label_size), y, value))
        y -= 34
    for label, note, max_lines in (("Tên hồ sơ: ", entry.title, 3), ("Người nộp: ", entry.applicant, 2)):
        if not note:
            continue
        indent = fonts.regular.width(label, label_size)
        texts.append(_Text(fonts.regular, label_size, x0, y, label))
        for line in _wrap(fonts.bold, label_size, note, width - indent, max_lines):
            texts.append(_Text(fonts.bold, label_size, x0 + indent, y, line))
            y -= 20
        y -= 10
    machine = f"{PAYLOAD_PREFIX}  {entry.procedure_code}  {entry.dossier_code}  "
    machine += sheet_checksum(entry.procedure_code, entry.dossier_code)
    font = fonts.regular
    size = min(11.0, 11.0 * (_PAGE_W - 2 * _MARGIN - 2 * _MARK - 20) / max(1.0, font.width(machine, 11.0)))
    centred(font, size, _MARGIN + 10, machine)
    return texts, rects


def _qr_matrix(payload: str) -> list[list[bool]]:
    # Level Q survives a quarter of the symbol lost to a staple, a stamp or a fold.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=0)
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def _content(
    texts: list[_Text], rects: list[tuple[float, float, float, float]], gids: dict[str, dict[str, int]]
) -> bytes:
    ops = ["0 g"]
    ops.extend(f"{x:.3f} {y:.3f} {w:.3f} {h:.3f} re" for x, y, w, h in rects)
    ops.append("f")
    for item in texts:
        glyphs = "".join(f"{gids[item.font.key][ch]:04X}" for ch in item.font.use(item.text))
        ops.append(f"BT /{item.font.key} {item.size:.2f} Tf {item.x:.3f} {item.y:.3f} Td <{glyphs}> Tj ET")
    return "\n".join(ops).encode("ascii")


def _checked_entry(entry: SheetEntry) -> SheetEntry:
    procedure = validate_procedure_code(entry.procedure_code)
    dossier = validate_dossier_code(entry.dossier_code)
    if "|" in dossier:
        raise InputRejected(
            f"Mã hồ sơ không hợp lệ / invalid dossier code: {entry.dossier_code!r} ('|' is not allowed)",
            code="invalid_dossier_code",
            details={"dossier_code": entry.dossier_code},
        )
    texts = {}
    for name in ("title", "applicant"):
        value = getattr(entry, name)
        value = normalize_space(nfc(value)) if value else None
        if value and len(value) > _MAX_TEXT:
            raise InputRejected(
                f"{name} longer than {_MAX_TEXT} characters", code=f"invalid_{name}", details={name: value[:40]}
            )
        texts[name] = value or None
    return SheetEntry(procedure, dossier, texts["title"], texts["applicant"])


def make_cover_sheets(entries: Sequence[SheetEntry], *, font_dir: Path = FONT_DIR) -> bytes:
    """A printable A4 PDF with one cover sheet per entry (a register list); codes are validated."""
    checked = [_checked_entry(entry) for entry in entries]
    if not checked:
        raise InputRejected("no dossier to print a cover sheet for", code="no_entries")
    fonts = _Fonts(font_dir)
    pages = [_layout(fonts, entry) for entry in checked]
    for texts, _rects in pages:  # register every character before the subsets are cut
        for item in texts:
            item.font.use(item.text)
    with pikepdf.new() as pdf:
        resources, gids = Dictionary(), {}
        for font in fonts.all():
            if font.chars:
                resources[f"/{font.key}"], gids[font.key] = font.embed(pdf)
        font_dict = pdf.make_indirect(resources)
        for texts, rects in pages:
            page = pdf.add_blank_page(page_size=(_PAGE_W, _PAGE_H))
            page.Resources = Dictionary(Font=font_dict)
            page.Contents = Stream(pdf, _content(texts, rects, gids))
        first = checked[0]
        pdf.docinfo[Name.Title] = (
            f"Phiếu bìa hồ sơ {first.dossier_code}" if len(checked) == 1 else f"Phiếu bìa hồ sơ ({len(checked)})"
        )
        pdf.docinfo[Name.Producer] = "sohoa"
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


def make_cover_sheet(
    procedure_code: str,
    dossier_code: str,
    *,
    title: str | None = None,
    applicant: str | None = None,
    font_dir: Path = FONT_DIR,
) -> bytes:
    """A one-page printable A4 cover sheet (PDF bytes) for one dossier."""
    return make_cover_sheets([SheetEntry(procedure_code, dossier_code, title, applicant)], font_dir=font_dir)


# ---------------------------------------------------------------------------------------------
# Reading a page image: the QR code, else the corner squares.


@dataclass(frozen=True)
class SheetFinding:
    """What one page image shows of a cover sheet, before any OCR."""

    sheet: CoverSheet | None  # from the QR code (or from the corner squares alone)
    marks: Literal[0, 90] | None  # corner squares found: 0 long side vertical, 90 horizontal
    unread_symbol: bool  # a QR-like symbol that would not decode


_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
_DETECT_LONG_SIDE = 1800  # ~150 dpi on A4: QR modules of ~10 px, fast to decode
_MARKS_LONG_SIDE = 420


def _grey(image: Image.Image, long_side: int) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    grey = image if image.mode == "L" else image.convert("L")
    factor = max(grey.size) // long_side
    return grey.reduce(factor) if factor >= 2 else grey


def _otsu_level(hist: Sequence[int]) -> int:
    total = sum(hist)
    if total == 0:
        return 127
    weighted = sum(i * h for i, h in enumerate(hist))
    best, level, below, below_sum = -1.0, 127, 0, 0.0
    for i, count in enumerate(hist[:255]):
        below += count
        below_sum += i * count
        above = total - below
        if below == 0 or above == 0:
            continue
        between = below * above * (below_sum / below - (weighted - below_sum) / above) ** 2
        if between > best:
            best, level = between, i
    return level


def _binarized(grey: Image.Image) -> Image.Image:
    level = _otsu_level(grey.histogram())
    return grey.point(lambda v: 255 if v > level else 0)


def _qr_attempts(grey: Image.Image) -> Iterator[tuple[Image.Image, zxingcpp.Binarizer]]:
    """The page as scanned, then copies that help faded, grey, noisy or oversized scans."""
    yield grey, zxingcpp.Binarizer.LocalAverage
    stretched = ImageOps.autocontrast(grey, cutoff=1)
    yield stretched, zxingcpp.Binarizer.GlobalHistogram
    yield _binarized(stretched.filter(ImageFilter.BoxBlur(1))), zxingcpp.Binarizer.LocalAverage
    smaller = stretched.reduce(2)  # averaging 2x2 pixels also smooths scanner noise
    yield smaller, zxingcpp.Binarizer.LocalAverage
    yield _binarized(smaller), zxingcpp.Binarizer.GlobalHistogram


def _parse_payload(text: str) -> CoverSheet | None:
    """A sheet from a QR text; a SOHOA1 text that does not check out is a sheet whose codes are unknown."""
    if not text.startswith(PAYLOAD_PREFIX + "|"):
        return None
    parts = text.split("|")
    if len(parts) == 4:
        _, procedure, dossier, checksum = parts
        if (
            PROCEDURE_CODE_RE.match(procedure)
            and _valid_dossier(dossier)
            and checksum == sheet_checksum(procedure, dossier)
        ):
            return CoverSheet(procedure, dossier, "qr", needs_review=False, checksum_ok=True)
    return CoverSheet(None, None, "qr", needs_review=True)


def _valid_dossier(code: str) -> bool:
    try:
        return validate_dossier_code(code) == code and "|" not in code
    except InputRejected:
        return False


def _read_qr(grey: Image.Image) -> tuple[CoverSheet | None, bool]:
    """The sheet a QR code names, and whether some QR-like symbol would not decode."""
    seen, damaged = False, None
    for attempt, binarizer in _qr_attempts(grey):
        for found in zxingcpp.read_barcodes(attempt, formats=_QR, binarizer=binarizer, return_errors=True):
            if not found.valid:
                seen = True
                continue
            sheet = _parse_payload(found.text)
            if sheet is not None and sheet.readable:
                return sheet, seen
            damaged = damaged or sheet
    return damaged, seen


def _components(ink: Image.Image) -> Iterator[tuple[int, int, int, int, int]]:
    """Bounding boxes (x0, y0, x1, y1, pixels) of 4-connected ink regions (ink = 255)."""
    width, height = ink.size
    data = bytearray(ink.tobytes())
    pos = data.find(255)
    while pos != -1:
        stack, count = [pos], 0
        data[pos] = 0
        x0 = x1 = pos % width
        y0 = y1 = pos // width
        while stack:
            p = stack.pop()
            count += 1
            x, y = p % width, p // width
            x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
            for q, inside in ((p - 1, x > 0), (p + 1, x < width - 1), (p - width, y > 0), (p + width, y < height - 1)):
                if inside and data[q]:
                    data[q] = 0
                    stack.append(q)
        yield x0, y0, x1 + 1, y1 + 1, count
        pos = data.find(255, pos + 1)


def find_sheet_marks(image: Image.Image) -> Literal[0, 90] | None:
    """Whether the page shows a sheet's corner squares; 90 when the sheet lies on its side.

    Three of the four squares are enough: they form a right angle whose legs have the ratio of
    the sheet's, whatever the scan's rotation, scale or margins.
    """
    grey = _grey(image, _MARKS_LONG_SIDE)
    scale = _MARKS_LONG_SIDE / max(grey.size)
    if scale < 1:
        grey = grey.resize(
            (max(1, round(grey.width * scale)), max(1, round(grey.height * scale))), Image.Resampling.BOX
        )
    grey = ImageOps.autocontrast(grey, cutoff=0.5)
    level = _otsu_level(grey.histogram())
    # Eroding the ink by 2 px wipes out text strokes and noise; a 12 mm square keeps its core.
    ink = grey.point(lambda v: 255 if v <= level else 0).filter(ImageFilter.MinFilter(5))
    squares: list[tuple[float, float, float]] = []
    for x0, y0, x1, y1, count in _components(ink):
        w, h = x1 - x0, y1 - y0
        if w >= 3 and h >= 3 and 0.7 <= w / h <= 1.43 and count >= 0.6 * w * h and max(w, h) < max(ink.size) / 8:
            squares.append(((x0 + x1) / 2, (y0 + y1) / 2, (w + h) / 2 + 4))
        if len(squares) > 60:
            break
    return _mark_geometry(squares)


def _mark_geometry(squares: list[tuple[float, float, float]]) -> Literal[0, 90] | None:
    expected_ratio, expected_size = _MARK_DY / _MARK_DX, _MARK / _MARK_DX
    for vertex in squares:
        for a, b in itertools.combinations([s for s in squares if s is not vertex], 2):
            v1 = (a[0] - vertex[0], a[1] - vertex[1])
            v2 = (b[0] - vertex[0], b[1] - vertex[1])
            l1, l2 = (v1[0] ** 2 + v1[1] ** 2) ** 0.5, (v2[0] ** 2 + v2[1] ** 2) ** 0.5
            if min(l1, l2) < 1:
                continue
            if abs(v1[0] * v2[0] + v1[1] * v2[1]) / (l1 * l2) > 0.08:
                continue
            long_leg, short = (v1, l2) if l1 >= l2 else (v2, l1)
            if abs(max(l1, l2) / short - expected_ratio) > 0.06 * expected_ratio:
                continue
            sizes = (vertex[2], a[2], b[2])
            if max(sizes) > 1.5 * min(sizes) or not 0.6 < (sum(sizes) / 3 / short) / expected_size < 1.5:
                continue
            return 0 if abs(long_leg[1]) >= abs(long_leg[0]) else 90
    return None


def inspect_sheet(image: Image.Image) -> SheetFinding:
    """Look for a cover sheet on a page image: its QR code first, then its corner squares."""
    grey = _grey(image, _DETECT_LONG_SIDE)
    sheet, seen = _read_qr(grey)
    if sheet is not None and sheet.readable:
        return SheetFinding(sheet, None, seen)
    marks = find_sheet_marks(grey)
    if sheet is None and marks is not None:
        sheet = CoverSheet(None, None, "marks", needs_review=True)
    return SheetFinding(sheet, marks, seen)


def read_cover_sheet(image: Image.Image) -> CoverSheet | None:
    """The cover sheet on a page image, or None when the page is not one.

    A sheet recognised only by its corner squares comes back with codes None and
    ``needs_review``: its dossier goes to review rather than under the wrong codes.
    """
    return inspect_sheet(image).sheet


# ---------------------------------------------------------------------------------------------
# Reading the printed text (OCR output)

_LABELS = {
    "procedure": "ma thu tuc",
    "dossier": "ma ho so",
    "checksum": "ma kiem tra",
    "title": "ten ho so",
    "applicant": "nguoi nop",
}
_MARKERS = ("phieu bia ho so so hoa", "khong duoc luu vao ho so")
# Characters OCR confuses in codes, both ways.
_LOOKALIKES = {
    "0": "OD", "O": "0D", "D": "0O", "Q": "0O", "1": "IL", "I": "1L", "L": "1I",
    "5": "S", "S": "5", "8": "B", "B": "8", "2": "Z", "Z": "2", "6": "G", "G": "6",
    "4": "A", "A": "4", "7": "T", "T": "7",
}  # fmt: skip
_AS_DIGIT = {"O": "0", "D": "0", "Q": "0", "U": "0", "I": "1", "L": "1", "|": "1", "!": "1", "J": "1",
             "S": "5", "B": "8", "Z": "2", "G": "6", "A": "4", "T": "7"}  # fmt: skip
_AS_LETTER = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G", "4": "A", "7": "T"}
_DASHES = re.compile(r"[‐‑‒–—―_~]")
_MAX_SPELLINGS = 50_000


def _unaccent(text: str) -> str:
    """Like core.text.fold but keeping case, which codes need."""
    decomposed = unicodedata.normalize("NFD", nfc(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("đ", "d").replace("Đ", "D")


def _similar(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < 0.6 or matcher.quick_ratio() < 0.6:
        return 0.0
    return matcher.ratio()


def _contains(line: str, phrase: str, threshold: float = 0.8) -> bool:
    n = len(phrase)
    if len(line) <= n:
        return _similar(line, phrase) >= threshold
    return any(_similar(line[i : i + n], phrase) >= threshold for i in range(len(line) - n + 1))


def _labelled(line: str) -> tuple[str, str] | None:
    """(field, value) of a ``Label: value`` line, the label matched fuzzily against the sheet's."""
    plain = normalize_space(_unaccent(line))
    head, sep, rest = plain.partition(":")
    if sep:
        key = normalize_space(head).lower()
        best = max(_LABELS, key=lambda field: _similar(key, _LABELS[field]))
        if _similar(key, _LABELS[best]) >= 0.75:
            return best, rest.strip()
    words = plain.split(" ")
    for field, label in _LABELS.items():
        n = len(label.split(" "))
        if len(words) > n and _similar(" ".join(words[:n]).lower().rstrip(":;.,"), label) >= 0.85:
            return field, " ".join(words[n:])
    return None


def _clean_code(value: str) -> str:
    value = _DASHES.sub("-", value).replace(",", ".")
    value = re.sub(r"\s+", "", value)
    return value.strip(".:;'\"`|")


def _prefixes(value: str) -> Iterator[str]:
    """The value, then without its trailing words: OCR reads marks and smudges as extra words."""
    words = value.split()
    for n in range(len(words), 0, -1):
        yield " ".join(words[:n])


def _coerce_procedure(value: str) -> str | None:
    return next(filter(None, map(_coerce_procedure_words, _prefixes(value))), None)


def _coerce_procedure_words(value: str) -> str | None:
    segments = _clean_code(value).upper().split(".")
    out = []
    for n, segment in enumerate(segments):
        if n == 5 and segment:
            segment = _AS_LETTER.get(segment[0], segment[0]) + "".join(_AS_DIGIT.get(c, c) for c in segment[1:])
        else:
            segment = "".join(_AS_DIGIT.get(c, c) for c in segment)
        out.append(segment)
    code = ".".join(out)
    return code if PROCEDURE_CODE_RE.match(code) else None


def _coerce_dossier(value: str) -> list[str]:
    """Readings of a dossier code: as read, and with digits forced where the usual format has them."""
    readings: list[str] = []
    for words in _prefixes(value):
        readings.extend(r for r in _coerce_dossier_words(words) if r not in readings)
    return readings


def _coerce_dossier_words(value: str) -> list[str]:
    raw = _clean_code(value)
    readings = [raw] if raw else []
    head, sep, tail = raw.upper().rpartition("-")
    body, sep2, date = head.rpartition("-")
    if sep and sep2:
        digits = "".join(_AS_DIGIT.get(c, c) for c in date), "".join(_AS_DIGIT.get(c, c) for c in tail)
        shaped = f"{body}-{digits[0]}-{digits[1]}"
        if DOSSIER_CODE_RE.match(shaped) and shaped not in readings:
            readings.insert(0, shaped)
    return readings


def _spellings(code: str, max_changes: int = 3) -> Iterator[str]:
    """The code, then look-alike substitutions, fewest changes first."""
    yield code
    spots = [(i, _LOOKALIKES[c]) for i, c in enumerate(code) if c in _LOOKALIKES]
    for k in range(1, max_changes + 1):
        for chosen in itertools.combinations(spots, k):
            for letters in itertools.product(*(alts for _, alts in chosen)):
                chars = list(code)
                for (i, _), letter in zip(chosen, letters, strict=True):
                    chars[i] = letter
                yield "".join(chars)


def _machine_reads(line: str) -> Iterator[tuple[str, str, str]]:
    """(procedure, dossier, checksum) readings of the ``SOHOA1 <procedure> <dossier> <checksum>`` line.

    OCR adds stray tokens (the corner squares read as letters) and splits codes at dots.
    """
    tokens = _unaccent(line).split()
    start = next((n for n, token in enumerate(tokens) if _similar(token.upper(), PAYLOAD_PREFIX) >= 0.65), None)
    if start is None:
        return
    for end in range(len(tokens) - 1, start + 2, -1):
        checksum = "".join(_AS_DIGIT.get(c, c) for c in _clean_code(tokens[end]).upper())
        if re.fullmatch(r"\d{8}", checksum):
            break
    else:
        return
    middle = tokens[start + 1 : end]
    for cut in range(1, len(middle)):
        yield "".join(middle[:cut]), "".join(middle[cut:]), checksum


def read_cover_sheet_text(text: str) -> CoverSheet | None:
    """The cover sheet in the OCR text of a page, or None when the text is not a sheet's.

    Codes read from text always need review; ``checksum_ok`` says whether they agree with the
    printed checksum (after trying look-alike characters such as 0/O and 1/I).
    """
    lines = [line for line in nfc(text).splitlines() if line.strip()]
    folded = [normalize_space(fold(line)) for line in lines]
    procedures: list[str] = []
    dossiers: list[str] = []
    checksums: list[str] = []
    is_sheet = any(_contains(line, marker) for line in folded for marker in _MARKERS)
    for line in lines:
        for procedure, dossier, checksum in _machine_reads(line):
            is_sheet = True
            if (code := _coerce_procedure(procedure)) and code not in procedures:
                procedures.append(code)
            dossiers.extend(d for d in _coerce_dossier(dossier) if d not in dossiers)
            checksums.append(checksum)
        found = _labelled(line)
        if found is None:
            continue
        field, value = found
        if field == "procedure" and (code := _coerce_procedure(value)) and code not in procedures:
            procedures.insert(0, code)
        elif field == "dossier":
            dossiers[:0] = [d for d in _coerce_dossier(value) if d not in dossiers]
        elif field == "checksum":
            is_sheet = True
            checksums.insert(0, "".join(_AS_DIGIT.get(c, c) for c in _clean_code(value).upper()))
    if not is_sheet:
        return None
    wanted = {c for c in checksums if re.fullmatch(r"\d{8}", c)}
    if wanted:
        tried = 0
        for procedure in procedures:
            for dossier in dossiers:
                for spelling in _spellings(dossier):
                    tried += 1
                    if sheet_checksum(procedure, spelling) in wanted and _valid_dossier(spelling):
                        return CoverSheet(procedure, spelling, "text", needs_review=True, checksum_ok=True)
                    if tried > _MAX_SPELLINGS:
                        break
    # Unverified: only a dossier code of the usual shape is worth proposing to the reviewer.
    dossier_code = next((d for d in dossiers if DOSSIER_CODE_RE.match(d)), None)
    return CoverSheet(procedures[0] if procedures else None, dossier_code, "text", needs_review=True)
