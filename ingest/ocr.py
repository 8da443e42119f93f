"""From an input file to a searchable PDF: pages fan out to worker processes, the parent writes.

Each worker takes one page from start to finish (render, straighten, OCR, encode the
image, build a one-page sandwich PDF) and returns a small picklable result; the parent
records page PDFs in page order as they arrive and alone writes the output from them.
Born-digital pages keep their own text and bytes unless OCR is forced.

A document may come as several files (one image per page from a phone or a flatbed):
:func:`make_document_pdf` takes them in page order, each page still read on its own.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypedDict, TypeVar, Unpack

import pdfplumber
from PIL import Image, ImageFilter

from sohoa.core.domain import FileKind, OcrWord, PageImage, PageText
from sohoa.core.errors import InputRejected, OcrError
from sohoa.core.text import nfc
from sohoa.ingest.assemble import PdfAssembler, build_page_pdf
from sohoa.ingest.compression import DEFAULT_JPEG_QUALITY, EncodedImage, encode_page_image, passthrough_jpeg
from sohoa.ingest.ocr_engines import OcrEngine, TesseractEngine
from sohoa.ingest.orientation import MIN_DESKEW, PageGeometry, apply_geometry, detect_geometry
from sohoa.ingest.pages import SourceHints, iter_page_images, page_count, save_page_image, scanned_jpeg, source_hints
from sohoa.ingest.photo import PhotoCorrection
from sohoa.ingest.preparation import PreparedPage, prepare_page
from sohoa.ingest.tesseract import DEFAULT_MEMORY_MB

T = TypeVar("T")
_OCR_LINE_PX = 28.0
_MIN_OCR_DPI = 150.0
_PHOTO_SHARPEN = ImageFilter.UnsharpMask(radius=1, percent=300, threshold=2)

__all__ = [
    "LAST_PAGE_NAME",
    "PHOTO_NOT_FOUND_REASON",
    "OcrOutput",
    "PageJob",
    "PageOutcome",
    "PdfOptions",
    "SourceFile",
    "extract_text_layer",
    "make_document_pdf",
    "make_searchable_pdf",
    "ocr_page_job",
    "ocr_resolution",
]


PHOTO_NOT_FOUND_REASON = "photo_page_not_found"
# the last page as tesseract read it (grey, upright, level, lossless), kept beside the output for
# a second look at the signature block; the OCR stage stores it under this name
LAST_PAGE_NAME = "last-page.png"


@dataclass(frozen=True)
class SourceFile:
    """One input file of a document, its pages in order after the previous file's."""

    path: Path
    kind: FileKind
    text_layer_pages: frozenset[int] = frozenset()  # 0-based pages of this file kept with their own text


@dataclass(frozen=True)
class OcrOutput:
    pages: tuple[PageText, ...]  # in page order; text_pdf is None (the scratch dir is gone)
    page_count: int
    mean_confidence: float | None  # mean over OCRed pages with words
    output_path: Path
    photo_pages: tuple[int, ...] = ()  # 0-based pages found to be photos and flattened
    photo_pages_not_found: tuple[int, ...] = ()  # photos whose page could not be found: OCRed as scans
    pdfa: bool = True  # the output claims PDF/A-2b (never when a page was kept as it came)
    # the last page as OCR read it (grey, upright, level, flattened), lossless, beside the output:
    # the signature block's second look thresholds it (the PDF's JPEG, redrawn turned, blurs a name
    # under a seal into another one: ``Tuấn`` read ``Thân``); None when the last page kept its text
    last_page_image: Path | None = None

    @property
    def ocr_pages(self) -> tuple[int, ...]:
        """0-based pages read by OCR; the others kept their own text layer."""
        return tuple(p.index for p in self.pages if p.source == "ocr")

    @property
    def text_layer_pages(self) -> tuple[int, ...]:
        return tuple(p.index for p in self.pages if p.source == "text_layer")

    @property
    def review_reasons(self) -> tuple[str, ...]:
        """Why a person should look at the result: a photo was read as it was shot."""
        return (PHOTO_NOT_FOUND_REASON,) if self.photo_pages_not_found else ()

    def event_details(self) -> dict[str, list[int]]:
        """What photo correction did, for the document's OCR event (page numbers from 1)."""
        details = {}
        if self.text_layer_pages:
            # Only then: a scan's event stays as it was, every page OCRed goes without saying.
            details["ocr_pages"] = [i + 1 for i in self.ocr_pages]
            details["text_layer_pages"] = [i + 1 for i in self.text_layer_pages]
        if self.photo_pages:
            details["photo_pages"] = [i + 1 for i in self.photo_pages]
        if self.photo_pages_not_found:
            details["photo_pages_not_found"] = [i + 1 for i in self.photo_pages_not_found]
        return details


@dataclass(frozen=True)
class PageJob:
    """Everything a worker needs for one page; picklable."""

    input_path: Path
    kind: FileKind
    index: int
    scratch: Path
    engine: OcrEngine
    languages: str
    min_dpi: int = 200
    jpeg_quality: int = DEFAULT_JPEG_QUALITY
    straighten: bool = True
    photos: bool = True  # look for photographed pages and flatten them
    number: int | None = None  # the page's place in the document when it has several files (else index)
    keep_image: bool = False  # keep the image OCR read, lossless (``PageOutcome.image``)

    @property
    def position(self) -> int:
        return self.index if self.number is None else self.number


@dataclass(frozen=True)
class PageOutcome:
    text: PageText
    page_pdf: Path
    geometry: PageGeometry
    photo: PhotoCorrection = field(default_factory=lambda: PhotoCorrection(status="scan"))
    image: Path | None = None  # the image OCR read, as PNG, when the job asked to keep it


def _discard(path: Path | None, keep: Path, scratch: Path) -> None:
    if path is not None and path != keep and path.is_relative_to(scratch):
        path.unlink(missing_ok=True)


def ocr_resolution(line_height: float | None, dpi: float) -> float:
    """The resolution to OCR a page at: its own, or lower when its text is large.

    Tesseract reads text lines about 28 pixels high as well as larger ones, and faster
    (measured on vn-docs: 13-14 pt administrative text OCRed at about 175 rather than
    200-300 dpi scores the same mean word F1 in a fifth less time); small print keeps its
    resolution.
    """
    if line_height is None or line_height <= 0:
        return dpi
    wanted = max(_MIN_OCR_DPI, _OCR_LINE_PX / line_height)
    return wanted if wanted < 0.9 * dpi else dpi


def _in_page_pixels(text: PageText, factor: float) -> PageText:
    """Word boxes of an OCR image made at another resolution, in page image pixels."""
    if factor == 1 or not text.words:
        return text
    words = tuple(
        replace(
            w,
            left=round(w.left * factor),
            top=round(w.top * factor),
            width=round(w.width * factor),
            height=round(w.height * factor),
        )
        for w in text.words
    )
    return replace(text, words=words)


def _scanned_jpeg(job: PageJob, stem: str) -> EncodedImage | None:
    """The page's own JPEG, to embed as it is (no second lossy pass), when it has one."""
    if job.kind is FileKind.JPEG:
        return passthrough_jpeg(job.input_path)
    if job.kind is FileKind.PDF:
        data = scanned_jpeg(job.input_path, job.index)
        if data is not None:
            path = job.scratch / f"img-{stem}.jpg"
            path.write_bytes(data)
            encoded = passthrough_jpeg(path)
            if encoded is None:
                path.unlink(missing_ok=True)
            return encoded
    return None


def _osd_tesseract(engine: OcrEngine) -> tuple[str | None, int]:
    """The program and memory cap orientation detection runs with: the OCR engine's own.

    Engines that run no tesseract (fakes in tests) leave OSD the defaults.
    """
    if isinstance(engine, TesseractEngine):
        return engine.binary, engine.memory_mb
    return None, DEFAULT_MEMORY_MB


def _prepared(job: PageJob, page: Image.Image, dpi: float, hints: SourceHints) -> PreparedPage:
    return prepare_page(
        page, dpi, look_for_photos=job.photos, resolution_tagged=hints.resolution_tagged, camera=hints.camera
    )


def ocr_page_job(job: PageJob) -> PageOutcome:
    """One page from start to finish; runs in a worker process.

    A scan is kept as it is (and drawn turned and levelled); a photo of a page is replaced
    by the page found in it, flattened and evenly lit. Tesseract reads a grey, evenly lit,
    upright, levelled copy at the resolution its text size wants. Files: tesseract's input
    (uncompressed, fast to read), its outputs, the encoded scan and the page PDF.
    """
    stem = f"{job.position:05d}"
    _, original, dpi = next(iter_page_images(job.input_path, job.kind, pages=[job.index], min_dpi=job.min_dpi))
    hints = source_hints(job.input_path, job.kind, job.index)
    # Pixels made up from a coarser scan: reading them smaller again throws away what the
    # upsampling gave tesseract (150-dpi grey pages: mean word F1 0.985 -> 0.987 on generated
    # pages, the worst 0.965 -> 0.978).
    upsampled = hints.native_dpi is not None and hints.native_dpi < 0.95 * dpi
    prepared = _prepared(job, original, dpi, hints)
    original, grey, dpi, photo = prepared.image, prepared.grey, prepared.dpi, prepared.photo
    del prepared
    flattened = photo.status == "photo"
    geometry = PageGeometry(rotation=0, skew=0.0, source="none")
    if job.straighten:
        binary, memory_mb = _osd_tesseract(job.engine)
        geometry = detect_geometry(
            grey, dpi, work_dir=job.scratch, stem=f"page-{stem}", binary=binary, memory_mb=memory_mb
        )
    ocr_dpi = dpi if upsampled and not flattened else ocr_resolution(geometry.line_height, dpi)
    # Grey, smaller first, then turned: the costly resampling runs on the fewest pixels.
    # Tesseract's LSTM reads grey line images; binarizing here cost accuracy on vn-docs.
    ocr_img = grey
    del grey
    if ocr_dpi < dpi:
        scale = ocr_dpi / dpi
        size = (max(1, round(original.width * scale)), max(1, round(original.height * scale)))
        ocr_img = ocr_img.resize(size, Image.Resampling.BILINEAR)
    if flattened:
        # A phone's optics and JPEG soften strokes: the hook above (ổ) blurs into an acute (ố).
        # Sharpening at the resolution tesseract reads gave back most of what was lost on
        # generated photos, and it costs a few milliseconds.
        ocr_img = ocr_img.filter(_PHOTO_SHARPEN)
    ocr_img = apply_geometry(ocr_img, geometry)
    ocr_input = save_page_image(ocr_img, job.scratch / f"ocr-in-{stem}", ocr_dpi)
    page = PageImage(index=job.position, path=ocr_input, dpi=ocr_dpi, width_px=ocr_img.width, height_px=ocr_img.height)
    kept = None
    if job.keep_image:
        kept = job.scratch / f"read-{stem}.png"
        ocr_img.save(kept, dpi=(ocr_dpi, ocr_dpi))
    del ocr_img
    text = _in_page_pixels(job.engine.ocr_page(page, job.scratch, languages=job.languages), dpi / ocr_dpi)
    encoded = None if flattened else _scanned_jpeg(job, stem)
    if encoded is not None and (encoded.width, encoded.height) != original.size:
        encoded = None  # upsampled or turned by its EXIF tag: the file's bytes are not the page
    if encoded is None:
        encoded = encode_page_image(original, job.scratch / f"img-{stem}", jpeg_quality=job.jpeg_quality)
    del original
    turn = geometry.rotation + (geometry.skew if abs(geometry.skew) >= MIN_DESKEW else 0.0)
    page_pdf = build_page_pdf(
        encoded, dpi=dpi, text_pdf=text.text_pdf, output_path=job.scratch / f"sandwich-{stem}.pdf", turn=turn
    )
    for path in (ocr_input, encoded.path, text.text_pdf):
        _discard(path, page_pdf, job.scratch)
    return PageOutcome(text=replace(text, text_pdf=None), page_pdf=page_pdf, geometry=geometry, photo=photo, image=kept)


class _InlineExecutor(Executor):
    """One process: no pool start-up for single-process runs and tests."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def _executor(processes: int) -> Executor:
    if processes <= 1:
        return _InlineExecutor()
    # fork: workers start in milliseconds and need no importable __main__ (forkserver and
    # spawn re-import the caller's script). Page payloads stay picklable for either.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(max_workers=processes, mp_context=context)


def _lines_of(words: list[dict[str, object]]) -> Iterator[tuple[int, dict[str, object]]]:
    line, last_top = 0, None
    for word in sorted(words, key=lambda w: (round(float(w["top"]) / 3), float(w["x0"]))):  # type: ignore[arg-type]
        top = float(word["top"])  # type: ignore[arg-type]
        if last_top is None or abs(top - last_top) > 3:
            line += 1
            last_top = top
        yield line, word


def extract_text_layer(path: Path, *, pages: Collection[int] | None = None) -> tuple[PageText, ...]:
    """Text of a PDF's own text layer (born-digital or already signed), page by page.

    Word boxes are in PDF points from the top-left corner; nothing is rewritten.
    """
    out: list[PageText] = []
    try:
        with pdfplumber.open(path) as pdf:
            for index, page in enumerate(pdf.pages):
                if pages is not None and index not in pages:
                    continue
                try:
                    raw_words = page.extract_words(keep_blank_chars=False, use_text_flow=False)
                    words = tuple(
                        OcrWord(
                            text=nfc(str(w["text"])),
                            left=round(float(w["x0"])),  # type: ignore[arg-type]
                            top=round(float(w["top"])),  # type: ignore[arg-type]
                            width=round(float(w["x1"]) - float(w["x0"])),  # type: ignore[arg-type]
                            height=round(float(w["bottom"]) - float(w["top"])),  # type: ignore[arg-type]
                            confidence=100.0,
                            line=line,
                        )
                        for line, w in _lines_of(raw_words)
                    )
                    text = nfc(page.extract_text() or "")
                finally:
                    page.close()
                out.append(PageText(index=index, text=text, source="text_layer", words=words))
    except (pdfplumber.utils.exceptions.PdfminerException, ValueError, KeyError) as exc:  # type: ignore[attr-defined]
        raise InputRejected(f"cannot read the text layer: {exc}", code="damaged_pdf") from exc
    return tuple(out)


def _mean_confidence(pages: list[PageText]) -> float | None:
    values = [p.confidence for p in pages if p.source == "ocr" and p.confidence is not None]
    return sum(values) / len(values) if values else None


class PdfOptions(TypedDict, total=False):
    """How :func:`make_document_pdf` makes the PDF, beyond its engine; the defaults are its own."""

    languages: str
    processes: int
    force_ocr: bool
    xmp: Mapping[str, str] | None
    pdfa: bool
    progress: Callable[[int, int], None] | None
    photos: bool


def make_searchable_pdf(
    input_path: Path,
    kind: FileKind,
    output_path: Path,
    work_dir: Path,
    *,
    engine: OcrEngine,
    text_layer_pages: frozenset[int] = frozenset(),
    **options: Unpack[PdfOptions],
) -> OcrOutput:
    """OCR ``input_path`` into a searchable (PDF/A-2b unless ``pdfa=False``) ``output_path``.

    ``photos=False`` reads photographed pages as they were shot (for comparisons).
    """
    source = SourceFile(input_path, kind, frozenset(text_layer_pages))
    return make_document_pdf([source], output_path, work_dir, engine=engine, **options)


@dataclass(frozen=True)
class _Slot:
    """One output page: which file and which page of it."""

    source: SourceFile
    index: int  # 0-based page of ``source``
    keep: bool  # copied as it is, its own text layer read


def _slots(sources: Sequence[SourceFile], *, force_ocr: bool) -> list[_Slot]:
    slots: list[_Slot] = []
    for source in sources:
        kept = frozenset() if force_ocr or source.kind is not FileKind.PDF else source.text_layer_pages
        slots.extend(_Slot(source, i, i in kept) for i in range(page_count(source.path, source.kind)))
    return slots


def _kept_texts(slots: Sequence[_Slot]) -> dict[int, PageText]:
    """The text layers of the kept pages, numbered by their place in the document."""
    texts: dict[int, PageText] = {}
    by_source: dict[Path, dict[int, int]] = {}
    for number, slot in enumerate(slots):
        if slot.keep:
            by_source.setdefault(slot.source.path, {})[slot.index] = number
    for path, numbers in by_source.items():
        for page_text in extract_text_layer(path, pages=numbers.keys()):
            texts[numbers[page_text.index]] = replace(page_text, index=numbers[page_text.index])
    return texts


def make_document_pdf(
    sources: Sequence[SourceFile],
    output_path: Path,
    work_dir: Path,
    *,
    engine: OcrEngine,
    languages: str = "vie",
    processes: int = 2,
    force_ocr: bool = False,
    xmp: Mapping[str, str] | None = None,
    pdfa: bool = True,
    progress: Callable[[int, int], None] | None = None,
    photos: bool = True,
) -> OcrOutput:
    """The pages of ``sources``, in order, as one searchable PDF at ``output_path``.

    Pages a source names in ``text_layer_pages`` (PDFs only) are copied as they are, with their
    content, fonts and text; every other page is OCRed. A kept page may hold what PDF/A forbids
    (fonts not embedded, transparency): the output then claims no PDF/A conformance.
    """
    if not sources:
        raise ValueError("no pages to write")
    slots = _slots(sources, force_ocr=force_ocr)
    total = len(slots)
    pdfa = pdfa and not any(slot.keep for slot in slots)
    work_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="ocr-", dir=work_dir))
    photos_found: dict[int, PhotoCorrection] = {}
    last_image = output_path.with_name(f"{output_path.stem}.{LAST_PAGE_NAME}")
    last_image.unlink(missing_ok=True)
    try:
        texts = _kept_texts(slots)
        with PdfAssembler(scratch) as assembler:
            last_read = _run_pages(
                slots,
                scratch,
                texts,
                assembler,
                photo_outcomes=photos_found,
                look_for_photos=photos,
                engine=engine,
                languages=languages,
                processes=processes,
                progress=progress,
            )
            partial = output_path.with_name(f".{output_path.name}.partial")
            try:
                assembler.save(partial, xmp=xmp, pdfa=pdfa)
                os.replace(partial, output_path)
            finally:
                partial.unlink(missing_ok=True)
        if last_read is not None:
            shutil.move(last_read, last_image)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    pages = [texts[i] for i in range(total)]
    return OcrOutput(
        pages=tuple(pages),
        page_count=total,
        mean_confidence=_mean_confidence(pages),
        output_path=output_path,
        photo_pages=tuple(i for i in sorted(photos_found) if photos_found[i].status == "photo"),
        photo_pages_not_found=tuple(
            i for i in sorted(photos_found) if photos_found[i].status == PHOTO_NOT_FOUND_REASON
        ),
        pdfa=pdfa,
        last_page_image=last_image if last_read is not None else None,
    )


def _run_pages(
    slots: Sequence[_Slot],
    scratch: Path,
    texts: dict[int, PageText],
    assembler: PdfAssembler,
    *,
    photo_outcomes: dict[int, PhotoCorrection],
    look_for_photos: bool,
    engine: OcrEngine,
    languages: str,
    processes: int,
    progress: Callable[[int, int], None] | None,
) -> Path | None:
    """OCR the pages not kept and graft every page into ``assembler`` in order; the lossless image of
    the last page, when OCR read it (``PageJob.keep_image``)."""
    total = len(slots)
    todo = iter([number for number, slot in enumerate(slots) if not slot.keep])
    ready: dict[int, Path | None] = {number: None for number, slot in enumerate(slots) if slot.keep}
    next_graft = 0
    last_read: Path | None = None
    done = len(ready)
    if progress is not None and done:
        progress(done, total)
    # A bounded number of pages in flight keeps scratch space and memory flat.
    in_flight_limit = max(2, processes * 2)
    pool = _executor(processes)
    try:
        in_flight: dict[Future[PageOutcome], int] = {}

        def refill() -> None:
            while len(in_flight) < in_flight_limit:
                number = next(todo, None)
                if number is None:
                    return
                slot = slots[number]
                job = PageJob(
                    input_path=slot.source.path,
                    kind=slot.source.kind,
                    index=slot.index,
                    scratch=scratch,
                    engine=engine,
                    languages=languages,
                    photos=look_for_photos,
                    number=number,
                    keep_image=number == total - 1,
                )
                in_flight[pool.submit(ocr_page_job, job)] = number

        refill()
        while in_flight or next_graft < total:
            if in_flight:
                finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
                for future in finished:
                    number = in_flight.pop(future)
                    try:
                        outcome = future.result()
                    except (OcrError, InputRejected):
                        raise
                    except Exception as exc:
                        raise OcrError(f"page {number + 1} failed: {exc}", code="ocr_failed") from exc
                    texts[number] = replace(outcome.text, index=number)
                    photo_outcomes[number] = outcome.photo
                    if outcome.image is not None:  # only the last page's is kept
                        last_read = outcome.image
                    ready[number] = outcome.page_pdf
                    done += 1
                    if progress is not None:
                        progress(done, total)
            while next_graft in ready:
                page_pdf = ready.pop(next_graft)
                if page_pdf is None:
                    slot = slots[next_graft]
                    assembler.append_kept_page(slot.source.path, slot.index)
                else:
                    assembler.append_page_pdf(page_pdf)
                next_graft += 1
            refill()
            if not in_flight and next_graft < total and next_graft not in ready:
                raise OcrError(f"page {next_graft + 1} was never processed", code="ocr_failed")
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return last_read
