"""Test scans for the browser tests: a printed page whose text is also in a QR code (see engines)."""

from __future__ import annotations

from pathlib import Path

import qrcode
from PIL import Image

from tests.support.pdfs import make_text_image

__all__ = ["decision_lines", "make_scan"]


def decision_lines(number: int, subject: str, *, signer: str | None, dossier: str | None = None) -> list[str]:
    """The lines of a Quyết định of the Sở; without ``signer`` the paper has no signer's name."""
    lines = [
        "UBND TỈNH ĐỒNG NAI",
        "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        f"Số: {number}/QĐ-SVHTTDL",
        f"Đồng Nai, ngày {number:02d} tháng 03 năm 2025",
        "QUYẾT ĐỊNH",
        subject,
        "GIÁM ĐỐC SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH",
        "Nơi nhận:",
        "- Như Điều 3;",
        "- Lưu: VT.",
        "GIÁM ĐỐC",
    ]
    if signer:
        lines.append(signer)
    if dossier:
        lines.append(f"Mã hồ sơ: {dossier}")
    return lines


def make_scan(path: Path, lines: list[str]) -> Path:
    """A 200-dpi page showing ``lines``, with the same text in a QR code at its foot."""
    make_text_image(path, lines, size=(1654, 2339))
    qr = qrcode.QRCode(border=4, box_size=5, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data("\n".join(lines).encode("utf-8"))
    code = qr.make_image(fill_color="black", back_color="white").get_image().convert("L")
    with Image.open(path) as page:
        page.load()
        page.paste(code, (page.width - code.width - 80, page.height - code.height - 80))
        page.save(path, dpi=(200, 200))
    return path
