"""Splitting a scanned stack at its cover sheets: one part per dossier, each a PDF of its own pages.

Staff put a printed cover sheet (:mod:`ingest.coversheet`) on top of each dossier and scan the
whole stack as one file. Pages are looked at one at a time, on reduced images; cover sheets (and
a blank page right behind one, the back of a sheet scanned duplex) are dropped. Each part's PDF
holds the stack's own page data: PDF pages are copied as they are (pikepdf), scanned images are
wrapped without decoding when their format allows (JPEG, PNG, single-strip G4 TIFF) and encoded
losslessly otherwise.

A sheet whose QR code cannot be read is recognised by its corner squares; when the caller gives
an OCR function its printed codes are read instead, and the part goes to review either way.
"""

from __future__ import annotations

import io
import logging
import shutil
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream
from PIL import Image, ImageOps

from sohoa.core.domain import FileKind, PageImage
from sohoa.core.errors import InputRejected
from sohoa.ingest.coversheet import CoverSheet, SheetFinding, inspect_sheet, read_cover_sheet_text
from sohoa.ingest.pages import render_pages

__all__ = ["OcrText", "StackPart", "split_stack"]

log = logging.getLogger(__name__)

OcrText = Callable[[Path], str]
_MERGE_CHUNK = 200  # page files open at once while a part is merged
_OCR_MAX_DPI = 300
_BLANK_LONG_SIDE = 1200
_KEEP = pikepdf.StreamDecodeLevel.none  # write every image stream exactly as it came


@dataclass(frozen=True)
class StackPart:
    """One dossier of a stack.

    ``sheet_index`` is None only for the pages before the first cover sheet: the caller files
    those under the upload's codes. A part opened by a sheet whose codes are None must go to
    review, never under the upload's codes.
    """

    procedure_code: str | None
    dossier_code: str | None
    needs_review: bool
    page_indices: tuple[int, ...]  # 0-based pages of the stack, in order
    pdf_path: Path
    sheet_index: int | None = None  # the page of the cover sheet that opened this part
    review_reason: str | None = None  # cover_sheet_text | cover_sheet_unreadable


# ---------------------------------------------------------------------------------------------
# Deciding what a page is


def _ocr_sheet(
    img: Image.Image, page: PageImage, marks: int | None, ocr_text: OcrText, scratch: Path
) -> CoverSheet | None:
    """Read a sheet's printed text; the corner squares give its rotation up to a half turn."""
    grey = img if img.mode == "L" else img.convert("L")
    dpi = min(page.dpi, _OCR_MAX_DPI)
    if page.dpi > _OCR_MAX_DPI:
        scale = _OCR_MAX_DPI / page.dpi
        grey = grey.resize((round(grey.width * scale), round(grey.height * scale)), Image.Resampling.BOX)
    turns = (90, 270) if marks == 90 else (0, 180) if marks == 0 else (0,)
    found: CoverSheet | None = None
    for angle in turns:
        upright = grey.rotate(angle, expand=True) if angle else grey
        path = scratch / f"ocr-{page.index:05d}-{angle}.png"
        upright.save(path, dpi=(dpi, dpi))
        try:
            sheet = read_cover_sheet_text(ocr_text(path))
        finally:
            path.unlink(missing_ok=True)
        if sheet is not None and sheet.readable:
            return sheet
        found = found or sheet
    return found


def _is_blank(img: Image.Image) -> bool:
    """No ink: at most a few specks of dust darker than half the paper's brightness.

    Show-through of the sheet's QR code is a light grey; a single line of text is well above
    the threshold at ~100 dpi.
    """
    grey = img if img.mode == "L" else img.convert("L")
    factor = max(grey.size) // _BLANK_LONG_SIDE
    if factor >= 2:
        grey = grey.reduce(factor)
    hist = grey.histogram()
    total, seen, paper = sum(hist), 0, 255
    for level, count in enumerate(hist):
        seen += count
        if seen * 2 >= total:
            paper = level
            break
    ink = sum(hist[: max(0, int(paper * 0.55))])
    return ink <= 0.0005 * total


def _classify(
    page: PageImage,
    scratch: Path,
    ocr_text: OcrText | None,
    ocr_pages: Literal["marked", "all"],
    after_sheet: bool,
) -> CoverSheet | Literal["content", "sheet_back"]:
    with Image.open(page.path) as img:
        img.load()
        finding: SheetFinding = inspect_sheet(img)
        sheet = finding.sheet
        if sheet is not None and sheet.readable:
            return sheet
        suspect = sheet is not None or finding.unread_symbol or ocr_pages == "all"
        if ocr_text is not None and suspect:
            from_text = _ocr_sheet(img, page, finding.marks, ocr_text, scratch)
            if from_text is not None and (from_text.readable or sheet is None):
                sheet = from_text
        if sheet is not None:
            return sheet
        if after_sheet and _is_blank(img):
            return "sheet_back"
    return "content"


# ---------------------------------------------------------------------------------------------
# Writing parts


class _PartWriter(Protocol):
    def add(self, page: PageImage) -> None: ...

    def write(self, indices: tuple[int, ...], target: Path) -> None: ...


class _PdfPartWriter:
    """Pages of a PDF stack, copied with their content streams and images untouched."""

    def __init__(self, src: pikepdf.Pdf) -> None:
        self.src = src

    def add(self, page: PageImage) -> None:
        return None

    def write(self, indices: tuple[int, ...], target: Path) -> None:
        with pikepdf.new() as out:
            out.pages.extend(self.src.pages[i] for i in indices)
            out.save(target, stream_decode_level=_KEEP)


@dataclass(frozen=True)
class _Encoded:
    data: bytes
    width: int
    height: int
    params: Dictionary  # Filter, DecodeParms, ColorSpace, BitsPerComponent


class _ImagePartWriter:
    """Pages of a raster stack: one small PDF per page on disk, merged when a part is complete."""

    def __init__(self, path: Path, kind: FileKind, image: Image.Image, scratch: Path) -> None:
        self.path, self.kind, self.image, self.scratch = path, kind, image, scratch
        self.files: dict[int, Path] = {}

    def add(self, page: PageImage) -> None:
        self.image.seek(page.index)
        tags = getattr(self.image, "tag_v2", None)
        orientation = tags.get(274, 1) if tags is not None else self.image.getexif().get(0x0112, 1)
        turn = {1: 0, 3: 180, 6: 90, 8: 270}.get(orientation)
        encoded = self._as_stored(self.image) if turn is not None else None
        if encoded is None:
            encoded, turn = _lossless(ImageOps.exif_transpose(self.image)), 0
        target = self.scratch / f"page-{page.index:05d}.pdf"
        _image_page_pdf(encoded, page.dpi, turn or 0, target)
        self.files[page.index] = target

    def _as_stored(self, frame: Image.Image) -> _Encoded | None:
        if getattr(frame, "n_frames", 1) > 1 and self.kind is not FileKind.TIFF:
            return None  # animated PNG, multi-picture JPEG: the file's bytes are more than this page
        if self.kind is FileKind.JPEG:
            return _jpeg_stream(frame, self.path)
        if self.kind is FileKind.PNG:
            return _png_stream(self.path)
        if self.kind is FileKind.TIFF:
            return _g4_stream(frame, self.path)
        return None

    def write(self, indices: tuple[int, ...], target: Path) -> None:
        files = [self.files.pop(i) for i in indices]
        _merge(files, target)
        for file in files:
            file.unlink(missing_ok=True)


def _image_page_pdf(encoded: _Encoded, dpi: float, turn: int, target: Path) -> None:
    # PDF pages must measure 3..14400 units a side: a thumbnail-sized scan (or a wild DPI tag)
    # is given the resolution that keeps it inside, rather than failing the whole stack.
    longest, shortest = max(encoded.width, encoded.height), min(encoded.width, encoded.height)
    dpi = min(max(dpi, longest * 72.0 / 14400.0), shortest * 72.0 / 3.0)
    width_pt, height_pt = encoded.width * 72.0 / dpi, encoded.height * 72.0 / dpi
    with pikepdf.new() as pdf:
        page = pdf.add_blank_page(page_size=(width_pt, height_pt))
        image = Stream(pdf, encoded.data)
        image.Type, image.Subtype = Name.XObject, Name.Image
        image.Width, image.Height = encoded.width, encoded.height
        for key, value in encoded.params.items():
            image[key] = value
        page.Resources = Dictionary(XObject=Dictionary(Im0=image))
        page.Contents = Stream(pdf, f"q {width_pt:.4f} 0 0 {height_pt:.4f} 0 0 cm /Im0 Do Q".encode("ascii"))
        if turn:
            page.Rotate = turn  # an EXIF rotation, kept without decoding the image
        pdf.save(target, stream_decode_level=_KEEP)


def _merge(files: list[Path], target: Path) -> None:
    """One PDF of many page PDFs; qpdf copies their data when saving, with few files open at once."""
    if len(files) > _MERGE_CHUNK:
        chunks = []
        for n in range(0, len(files), _MERGE_CHUNK):
            chunk = target.with_name(f"{target.stem}.{n // _MERGE_CHUNK:04d}.pdf")
            _merge(files[n : n + _MERGE_CHUNK], chunk)
            chunks.append(chunk)
        _merge(chunks, target)
        for chunk in chunks:
            chunk.unlink(missing_ok=True)
        return
    with ExitStack() as stack, pikepdf.new() as out:
        for file in files:
            src = stack.enter_context(pikepdf.open(file))
            out.pages.extend(src.pages)
        out.save(target, stream_decode_level=_KEEP)


def _jpeg_stream(frame: Image.Image, path: Path) -> _Encoded | None:
    if frame.mode not in ("L", "RGB"):
        return None  # CMYK/YCCK JPEGs need Adobe inversion rules; decode them instead
    colour = Name.DeviceGray if frame.mode == "L" else Name.DeviceRGB
    params = Dictionary(Filter=Name.DCTDecode, ColorSpace=colour, BitsPerComponent=8)
    return _Encoded(path.read_bytes(), frame.width, frame.height, params)


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        yield kind, data[pos + 8 : pos + 8 + length]
        if kind == b"IEND":
            return
        pos += 12 + length


def _png_stream(path: Path) -> _Encoded | None:
    """A PNG's compressed pixel data as a Flate stream with PNG predictors: no decoding at all."""
    data = path.read_bytes()
    header: tuple[int, ...] | None = None
    palette, idat = b"", []
    for kind, body in _png_chunks(data):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = body
        elif kind == b"tRNS":
            return None  # transparency must be flattened onto white
        elif kind == b"IDAT":
            idat.append(body)
    if header is None or not idat:
        return None
    width, height, depth, colour_type, _, _, interlace = header
    if interlace or depth > 8 or colour_type not in (0, 2, 3) or (colour_type == 3 and not palette):
        return None
    colours = 3 if colour_type == 2 else 1
    space: pikepdf.Object = {0: Name.DeviceGray, 2: Name.DeviceRGB}.get(colour_type) or Array(
        [Name.Indexed, Name.DeviceRGB, len(palette) // 3 - 1, pikepdf.String(palette)]
    )
    params = Dictionary(
        Filter=Name.FlateDecode,
        DecodeParms=Dictionary(Predictor=15, Colors=colours, BitsPerComponent=depth, Columns=width),
        ColorSpace=space,
        BitsPerComponent=depth,
    )
    return _Encoded(b"".join(idat), width, height, params)


def _g4_stream(frame: Image.Image, path: Path) -> _Encoded | None:
    """A single-strip CCITT G4 TIFF frame, its coded data copied as it is."""
    tags = getattr(frame, "tag_v2", None)
    if frame.mode != "1" or tags is None or tags.get(259) != 4 or tags.get(266, 1) != 1:
        return None
    offsets, counts = tags.get(273), tags.get(279)
    if not offsets or not counts or len(offsets) != 1:
        return None
    with path.open("rb") as fh:
        fh.seek(int(offsets[0]))
        data = fh.read(int(counts[0]))
    return _Encoded(data, frame.width, frame.height, _g4_params(frame.width, frame.height, tags.get(262, 0) == 1))


def _g4_params(width: int, height: int, black_is_1: bool) -> Dictionary:
    return Dictionary(
        Filter=Name.CCITTFaxDecode,
        # BlackIsZero data codes black pixels as the fax "white" runs.
        DecodeParms=Dictionary(K=-1, Columns=width, Rows=height, BlackIs1=black_is_1),
        ColorSpace=Name.DeviceGray,
        BitsPerComponent=1,
    )


def _lossless(frame: Image.Image) -> _Encoded:
    """Decoded pixels, stored without loss: G4 for black and white, Flate otherwise."""
    if frame.mode == "1":
        buf = io.BytesIO()
        frame.save(buf, "TIFF", compression="group4", strip_size=2**31 - 1)
        with Image.open(buf) as tif:
            tags = getattr(tif, "tag_v2", {})
            offsets, counts = tags.get(273, ()), tags.get(279, ())
            black_is_1 = tags.get(262, 0) == 1
        if len(offsets) == 1:
            data = buf.getvalue()[offsets[0] : offsets[0] + counts[0]]
            return _Encoded(data, frame.width, frame.height, _g4_params(frame.width, frame.height, black_is_1))
    if frame.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (frame.mode == "P" and "transparency" in frame.info):
        rgba = frame.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        frame = flat
    elif frame.mode not in ("1", "L", "RGB", "CMYK"):
        frame = frame.convert("L" if frame.mode in ("I", "I;16", "I;16B", "I;16L", "F") else "RGB")
    space = {"1": Name.DeviceGray, "L": Name.DeviceGray, "RGB": Name.DeviceRGB, "CMYK": Name.DeviceCMYK}[frame.mode]
    params = Dictionary(Filter=Name.FlateDecode, ColorSpace=space, BitsPerComponent=1 if frame.mode == "1" else 8)
    return _Encoded(zlib.compress(frame.tobytes(), 6), frame.width, frame.height, params)


# ---------------------------------------------------------------------------------------------


@dataclass
class _OpenPart:
    sheet: CoverSheet | None
    sheet_index: int | None
    pages: list[int]


def _finish(part: _OpenPart, writer: _PartWriter, target: Path) -> StackPart | None:
    if not part.pages:
        if part.sheet is not None:
            log.warning("cover sheet on page %d is followed by no pages", (part.sheet_index or 0) + 1)
        return None
    indices = tuple(part.pages)
    writer.write(indices, target)
    sheet = part.sheet
    if sheet is None:
        return StackPart(None, None, False, indices, target)
    review = sheet.needs_review or not sheet.readable
    reason = ("cover_sheet_text" if sheet.readable else "cover_sheet_unreadable") if review else None
    return StackPart(
        sheet.procedure_code,
        sheet.dossier_code,
        review,
        indices,
        target,
        sheet_index=part.sheet_index,
        review_reason=reason,
    )


def split_stack(
    path: Path,
    kind: FileKind,
    work_dir: Path,
    *,
    ocr_text: OcrText | None = None,
    ocr_pages: Literal["marked", "all"] = "marked",
) -> tuple[StackPart, ...]:
    """Split a scanned stack at its cover sheets into parts written to ``work_dir`` (``part-NNN.pdf``).

    ``work_dir`` belongs to this one stack (part names repeat from one stack to the next). A stack
    without any sheet comes back as one part of every page, ``sheet_index`` None: the caller may
    keep the original file instead. A sheet followed by no page yields no part (logged).

    ``ocr_text(image_path) -> text`` reads the printed codes of sheets whose QR code is unreadable.
    It is called for pages that show a sheet's corner squares or an undecodable QR-like symbol
    (``ocr_pages="marked"``), or for every page without a sheet QR (``"all"``: slower, for sheets
    damaged beyond their corner squares too).
    """
    if kind not in (FileKind.PDF, FileKind.PNG, FileKind.JPEG, FileKind.TIFF):
        raise InputRejected(f"cannot split a {kind.value} file", code="unsupported_type")
    work_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="split-", dir=work_dir))
    parts: list[StackPart] = []
    try:
        with ExitStack() as stack:
            writer: _PartWriter
            if kind is FileKind.PDF:
                writer = _PdfPartWriter(stack.enter_context(_open_pdf(path)))
            else:
                writer = _ImagePartWriter(path, kind, stack.enter_context(Image.open(path)), scratch)
            current = _OpenPart(None, None, [])
            last_was_sheet = False

            def close(part: _OpenPart) -> None:
                done = _finish(part, writer, work_dir / f"part-{len(parts) + 1:03d}.pdf")
                if done is not None:
                    parts.append(done)

            for page in render_pages(path, kind, scratch / "pages", min_dpi=1):
                try:
                    verdict = _classify(page, scratch, ocr_text, ocr_pages, after_sheet=last_was_sheet)
                    if verdict == "content":
                        writer.add(page)
                        current.pages.append(page.index)
                    elif isinstance(verdict, CoverSheet):
                        close(current)
                        current = _OpenPart(verdict, page.index, [])
                    last_was_sheet = isinstance(verdict, CoverSheet)
                finally:
                    page.path.unlink(missing_ok=True)
            close(current)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return tuple(parts)


def _open_pdf(path: Path) -> pikepdf.Pdf:
    try:
        return pikepdf.open(path)
    except pikepdf.PasswordError as exc:
        raise InputRejected("the PDF is password protected", code="password_protected") from exc
    except pikepdf.PdfError as exc:
        raise InputRejected(f"damaged PDF: {exc}", code="damaged_pdf") from exc
