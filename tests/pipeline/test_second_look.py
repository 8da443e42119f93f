"""Both callers of the second look at the signature block, the extract stage and ``sohoa extract``,
reach it with the files their OCR reading kept: a file asked for by a name it is not kept under
would turn the second look off without any test of ``second_look`` itself noticing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from sohoa.core.settings import Settings
from sohoa.ingest.metadata import second_look
from sohoa.ingest.metadata.signature import Signature
from sohoa.ingest.ocr import LAST_PAGE_NAME
from sohoa.pipeline.actions.extract import read_filing
from sohoa.pipeline.runtime import Runtime
from tests.support.flows import ingest_one
from tests.support.pdfs import make_text_image

LAST_SIZE = (1654, 1300)  # the last page's size, unlike the first page's


@dataclass(frozen=True)
class _Look:
    page_index: int
    last_index: int
    last_page_size: tuple[int, int] | None  # the kept last page, as the second look found it
    pdf_head: bytes | None  # the first bytes of the kept searchable PDF
    found: Signature | None


@pytest.fixture
def looks(monkeypatch: pytest.MonkeyPatch) -> list[_Look]:
    """Each second look asked for, with what it found among the kept files, read as it is read."""
    real = second_look.dark_ink_signature
    asked: list[_Look] = []

    def look(
        page_index: int, last_index: int, kept: Callable[[str], Path | None], *args: Any, **kwargs: Any
    ) -> Signature | None:
        last, pdf = kept(LAST_PAGE_NAME), kept("ocr.pdf")
        size = Image.open(last).size if last else None
        head = pdf.read_bytes()[:5] if pdf else None
        found = real(page_index, last_index, kept, *args, **kwargs)
        asked.append(_Look(page_index, last_index, size, head, found))
        return found

    monkeypatch.setattr(second_look, "dark_ink_signature", look)
    return asked


@pytest.fixture
def two_pages(tmp_path: Path) -> Path:
    """A scan of two pages, with no signer's name for the fake OCR engine to read: a second look."""
    first = Image.open(make_text_image(tmp_path / "1.png", ["QUYẾT ĐỊNH"]))
    last = Image.open(make_text_image(tmp_path / "2.png", ["Nơi nhận:"], size=LAST_SIZE))
    path = tmp_path / "two-pages.tif"
    first.save(path, save_all=True, append_images=[last], dpi=(200, 200))
    return path


def _read_the_kept_last_page(looks: list[_Look]) -> None:
    assert len(looks) == 1, looks
    (look,) = looks
    assert look.page_index == look.last_index == 1
    assert look.last_page_size == LAST_SIZE and look.pdf_head == b"%PDF-"
    assert look.found is not None  # a page was read


def test_the_extract_stage_looks_again_at_the_last_page_the_ocr_stage_kept(
    runtime: Runtime, two_pages: Path, looks: list[_Look]
) -> None:
    ingest_one(runtime, two_pages)
    _read_the_kept_last_page(looks)


def test_sohoa_extract_looks_again_at_the_last_page_its_reading_kept(
    settings: Settings, two_pages: Path, looks: list[_Look]
) -> None:
    read_filing(two_pages, settings)
    _read_the_kept_last_page(looks)
