"""Fixtures of the ingest tests: the real tesseract, for the tests that need it."""

from __future__ import annotations

import shutil

import pytest

from sohoa.core.errors import OcrError
from sohoa.ingest.tesseract import TesseractInfo, check_tesseract
from tests.support.services import need


@pytest.fixture(scope="session")
def real_tesseract() -> TesseractInfo:
    """Tesseract with Vietnamese data: skips without it, fails under CI=true."""
    need(shutil.which("tesseract") is not None, "tesseract")
    try:
        return check_tesseract("vie")
    except OcrError as exc:
        need(False, f"tesseract with vie ({exc})")
        raise
