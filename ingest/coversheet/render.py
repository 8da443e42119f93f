"""Rendering printable A4 cover sheets: layout of the codes, the QR code and the corner squares."""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import qrcode
import qrcode.constants
from pikepdf import Dictionary, Name, Stream

from sohoa.core.codes import validate_dossier_code, validate_procedure_code
from sohoa.core.errors import InputRejected
from sohoa.core.text import nfc, normalize_space
from sohoa.ingest.coversheet.fonts import FONT_DIR, Font, Fonts
from sohoa.ingest.coversheet.sheet import (
    MARGIN,
    MARK,
    PAGE_H,
    PAGE_W,
    PAYLOAD_PREFIX,
    SheetEntry,
    sheet_checksum,
    sheet_payload,
)

_MAX_TEXT = 300


@dataclass(frozen=True)
class _Text:
    font: Font
    size: float
    x: float
    y: float
    text: str


def _wrap(font: Font, size: float, text: str, width: float, max_lines: int) -> list[str]:
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


def _layout(fonts: Fonts, entry: SheetEntry) -> tuple[list[_Text], list[tuple[float, float, float, float]]]:
    """Texts and filled rectangles of one sheet (PDF coordinates, origin bottom left)."""
    texts: list[_Text] = []
    rects: list[tuple[float, float, float, float]] = []
    for x in (MARGIN, PAGE_W - MARGIN - MARK):
        for y in (MARGIN, PAGE_H - MARGIN - MARK):
            rects.append((x, y, MARK, MARK))

    def centred(font: Font, size: float, y: float, text: str) -> None:
        texts.append(_Text(font, size, (PAGE_W - font.width(text, size)) / 2, y, text))

    centred(fonts.bold, 22, PAGE_H - 100, "PHIẾU BÌA HỒ SƠ SỐ HÓA")
    notice = "Đặt phiếu này lên trên cùng hồ sơ khi quét. Trang này không được lưu vào hồ sơ."
    for n, line in enumerate(_wrap(fonts.regular, 11, notice, PAGE_W - 2 * (MARGIN + MARK) - 20, 2)):
        centred(fonts.regular, 11, PAGE_H - 124 - 15 * n, line)

    matrix = _qr_matrix(sheet_payload(entry.procedure_code, entry.dossier_code))
    side = 200.0
    module = side / len(matrix)
    left, top = (PAGE_W - side) / 2, PAGE_H - 168
    for r, row in enumerate(matrix):
        for dark, run in itertools.groupby(enumerate(row), key=lambda cell: cell[1]):
            cells = list(run)
            if dark:
                rects.append((left + cells[0][0] * module, top - (r + 1) * module, len(cells) * module, module))

    x0, width = 72.0, PAGE_W - 144.0
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
    size = min(11.0, 11.0 * (PAGE_W - 2 * MARGIN - 2 * MARK - 20) / max(1.0, font.width(machine, 11.0)))
    centred(font, size, MARGIN + 10, machine)
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
    fonts = Fonts(font_dir)
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
            page = pdf.add_blank_page(page_size=(PAGE_W, PAGE_H))
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
