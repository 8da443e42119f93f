"""OCR engines that misbehave, for failure tests (like OCRmyPDF's tesseract_crash plugin)."""

from __future__ import annotations

from pathlib import Path

from sohoa.core.domain import PageImage, PageText
from sohoa.core.errors import OcrError
from sohoa.ingest.ocr_engines import FakeOcrEngine


class CrashOnSecondPage(FakeOcrEngine):
    def ocr_page(self, image: PageImage, work_dir: Path, *, languages: str) -> PageText:
        if image.index == 1:
            raise OcrError("tesseract crashed (simulated)", code="ocr_error")
        return super().ocr_page(image, work_dir, languages=languages)


crash_on_second_page = CrashOnSecondPage()


class SlowFake(FakeOcrEngine):
    """A fake engine that takes its time, so a test can kill a worker in the middle of OCR."""

    def ocr_page(self, image: PageImage, work_dir: Path, *, languages: str) -> PageText:
        import os
        import time

        time.sleep(float(os.environ.get("SOHOA_TEST_OCR_SECONDS", "3")))
        return super().ocr_page(image, work_dir, languages=languages)


slow_fake = SlowFake()
