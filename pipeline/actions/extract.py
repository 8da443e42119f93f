"""A look at one document's metadata (``sohoa extract``, the metadata bench): the pages are read
exactly as the pipeline's OCR stage reads them (the same OCR of every page, or the text layer of a
PDF whose signature must be kept) and go through the extract stage's own function, so what this
shows is what an upload files. Nothing is stored."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sohoa.core.domain import FileKind, PageText
from sohoa.core.errors import InputRejected
from sohoa.core.settings import Settings
from sohoa.ingest.metadata.filing import Filing, file_document
from sohoa.ingest.metadata.signature import Signature

__all__ = ["Reading", "read_filing", "read_page_texts", "read_pages", "reading"]


@dataclass(frozen=True)
class Reading:
    """A document read as the pipeline's OCR stage reads it."""

    pages: list[PageText]
    ocr_reasons: tuple[str, ...]  # the OCR stage's reasons for a person to look (a photo read as shot)
    look_again: Callable[[int], Signature | None] | None  # a second look at a page's signature block (see second_look)


@contextmanager
def reading(path: Path, settings: Settings) -> Iterator[Reading]:
    """Read ``path`` as the OCR stage does; the searchable PDF lives until the block ends, for a second look."""
    from sohoa.ingest.metadata.second_look import dark_ink_signature
    from sohoa.ingest.ocr import LAST_PAGE_NAME, extract_text_layer, make_searchable_pdf
    from sohoa.ingest.ocr_engines import load_engine
    from sohoa.ingest.sniff import sniff_file
    from sohoa.ingest.textlayer import text_layer_pages

    sniffed = sniff_file(path, max_pages=settings.max_pages)
    if sniffed.kind is FileKind.ZIP:
        raise InputRejected("extract reads one document; unpack the zip first", code="unsupported_type")
    if sniffed.signed:
        # the pipeline keeps a signed PDF's bytes and reads its layer: nothing to look at again
        yield Reading(list(extract_text_layer(path)), (), None)
        return
    engine = load_engine(settings)
    with tempfile.TemporaryDirectory(prefix="sohoa-extract-") as tmp:
        work = Path(tmp)
        # PDF/A conversion changes the output file only, never the page texts: skipped for a look
        result = make_searchable_pdf(
            path,
            sniffed.kind,
            work / "ocr.pdf",
            work / "scratch",
            engine=engine,
            languages=settings.ocr_languages,
            processes=settings.ocr_processes,
            # typed pages keep their own text, as in the OCR stage
            text_layer_pages=text_layer_pages(path) if sniffed.kind is FileKind.PDF else frozenset(),
            pdfa=False,
        )
        # this reading's files under the names the OCR stage keeps them by
        kept = {LAST_PAGE_NAME: result.last_page_image, "ocr.pdf": work / "ocr.pdf"}.get
        look_again = partial(
            dark_ink_signature,
            last_index=result.page_count - 1,
            kept=kept,
            work=work / "again",
            engine=engine,
            languages=settings.ocr_languages,
        )
        yield Reading(list(result.pages), result.review_reasons, look_again)


def read_pages(path: Path, settings: Settings) -> tuple[list[PageText], tuple[str, ...]]:
    """Page texts of ``path`` with their word boxes, as the pipeline's OCR stage reads them, and the
    reasons that stage gives for a person to look (a photo read as shot)."""
    with reading(path, settings) as read:
        return read.pages, read.ocr_reasons


def read_page_texts(path: Path, settings: Settings) -> list[PageText]:
    """Page texts of ``path`` with their word boxes, as the pipeline's OCR stage reads them."""
    return read_pages(path, settings)[0]


def read_filing(path: Path, settings: Settings, *, procedure_code: str | None = None) -> Filing:
    """What the pipeline's extract stage would decide for ``path`` uploaded with ``procedure_code``."""
    with reading(path, settings) as read:
        return file_document(
            read.pages,
            policy=settings.review_policy,
            upload_procedure_code=procedure_code,
            intake_reasons=read.ocr_reasons,
            look_again=read.look_again,
        )
