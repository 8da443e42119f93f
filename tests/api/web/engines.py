"""An OCR engine for browser tests: each test scan carries the text it "says" in a QR code.

Real OCR would make the browser tests slow and their outcome depend on tesseract's reading;
this engine reads the QR code on the page and hands its text to the fake engine, so every
scan of a test can say something different (a complete decision, one without a signer...).
"""

from __future__ import annotations

from pathlib import Path

import zxingcpp
from PIL import Image

from sohoa.core.domain import PageImage, PageText
from sohoa.ingest.ocr_engines import FakeOcrEngine

__all__ = ["QrTextEngine", "qr_text_engine"]


class QrTextEngine:
    def ocr_page(self, image: PageImage, work_dir: Path, *, languages: str) -> PageText:
        with Image.open(image.path) as page:
            found = zxingcpp.read_barcodes(page.convert("L"))
        text = found[0].text if found else ""
        return FakeOcrEngine(text_by_page=text).ocr_page(image, work_dir, languages=languages)


qr_text_engine = QrTextEngine()
