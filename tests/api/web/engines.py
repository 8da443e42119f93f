"""An OCR engine for browser tests: each test scan carries the text it "says" in a QR code.

Real OCR would make the browser tests slow and their outcome depend on tesseract's reading;
this engine reads the QR code on the page and hands back its text with word boxes placed where
Nghị định 30 puts each line (issuer and number top left, motto and date top right, title and
subject centred, recipients bottom left, signer bottom right), as tesseract would box a real page.
"""

from __future__ import annotations

import re
from pathlib import Path

import zxingcpp
from PIL import Image

from sohoa.core.domain import OcrWord, PageImage, PageText
from sohoa.core.text import nfc
from sohoa.ingest.ocr_engines import FakeOcrEngine

__all__ = ["QrTextEngine", "qr_text_engine"]

_RIGHT_HEADER = re.compile(r"^(CỘNG HÒA|Độc lập|.+, ngày )")
_TITLE = re.compile(r"^[A-ZĐ][A-ZĐÀ-Ỹ ]+$")
_CHAR = 0.55  # a character's width, in line heights


def _layout(lines: list[str], width: int, height: int) -> tuple[OcrWord, ...]:
    """Word boxes of ``lines`` on a ``width`` x ``height`` page laid out as Nghị định 30 says."""
    pitch = max(20, height // 60)
    left_x, right_x, centre = width // 12, width // 2 + width // 24, width // 2
    rows = {"left": 2, "right": 2}
    words: list[OcrWord] = []
    title_seen = recipients_seen = False
    row = 2
    blocks = {"left": 1, "right": 2, "centre": 3}
    for number, text in enumerate(lines, start=1):
        if not title_seen and _TITLE.match(text) and not text.startswith(("UBND", "SỞ", "CỘNG")):
            title_seen = True
            row = max(rows.values()) + 2
        if not title_seen:
            column = "right" if _RIGHT_HEADER.match(text) else "left"
            y, rows[column] = rows[column] * pitch, rows[column] + 1
            x = right_x if column == "right" else left_x
            block = blocks[column]
        elif text.startswith("Nơi nhận"):
            recipients_seen = True
            rows = {"left": row + 2, "right": row + 2}
            y, rows["left"] = rows["left"] * pitch, rows["left"] + 1
            x, block = left_x, 4
        elif recipients_seen:
            column = "left" if text.startswith("-") else "right"
            y, rows[column] = rows[column] * pitch, rows[column] + (3 if column == "right" else 1)
            if column == "left":
                x, block = left_x, 4
            else:  # the signer's block is centred in the right column, name under its authority lines
                signer_centre = (right_x + width - left_x) // 2
                x, block = signer_centre - int(len(text) * _CHAR * pitch) // 2, 5
        else:
            y, row = row * pitch, row + 1
            x, block = centre - int(len(text) * _CHAR * pitch) // 2, blocks["centre"]
        cursor = x
        for word in text.split():
            span = int(len(word) * _CHAR * pitch)
            words.append(OcrWord(word, cursor, y, span, int(pitch * 0.8), 96.0, block, number))
            cursor += span + int(_CHAR * pitch)
    return tuple(words)


class QrTextEngine:
    def ocr_page(self, image: PageImage, work_dir: Path, *, languages: str) -> PageText:
        with Image.open(image.path) as page:
            found = zxingcpp.read_barcodes(page.convert("L"))
        text = nfc(found[0].text) if found else ""
        fake = FakeOcrEngine(text_by_page=text).ocr_page(image, work_dir, languages=languages)
        words = _layout([line for line in text.split("\n") if line.strip()], image.width_px, image.height_px)
        # Word ``line`` numbers follow the boxes: one per visual row, as tesseract numbers them.
        return PageText(
            index=fake.index,
            text=fake.text,
            source="ocr",
            words=words,
            confidence=fake.confidence,
            text_pdf=fake.text_pdf,
        )


qr_text_engine = QrTextEngine()
