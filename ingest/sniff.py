"""Intake checks: what an input file is, by content, and whether sohoa can process it.

The kind is decided by magic bytes, never by the file name: a PNG named ``scan.pdf`` is a PNG.
Images are checked here, in-process, from their headers and structure without decoding pixels:
that work is bounded by construction (chunk and segment walks have caps, TIFF frames stop at
``max_pages``, Pillow reads headers only and breaks IFD loops). PDFs are inspected by
:mod:`ingest.pdfcheck` in a time- and memory-limited child process, because qpdf and pdfminer can
be driven into long or huge work. Zip archives are only checked for a readable end record here;
:func:`ingest.archive_zip.expand_zip` expands them.

Reason codes (``InputRejected.code``) raised by :func:`sniff_file`:

``empty_file``
    zero bytes.
``unsupported_type``
    not a PDF, PNG, JPEG, TIFF or zip by content (text, GIF, BMP, PDFs whose ``%PDF-``
    header is missing or further than 1 KiB in...).
``truncated_file``
    an image or PDF cut short: PNG without ``IEND``, JPEG without an end-of-image marker after its
    scan, TIFF strips beyond the end of the file, a PDF without ``%%EOF`` that qpdf had to
    reconstruct, a zip without its end-of-central-directory record.
``damaged_image``
    an image whose headers cannot be parsed (bad chunk/segment structure, zero size, ...).
``damaged_zip``
    a zip whose central directory is unreadable.
``image_too_large``
    an image (or an image inside a PDF page) with more than ``max_pixels`` pixels, decided from
    headers; Pillow's own decompression-bomb error is reported with this code too.
``too_many_pages``
    more than ``max_pages`` pages (multi-page TIFF frames, PDF pages), decided before rendering.
PDF-only codes (``password_protected``, ``damaged_pdf``, ``page_too_large``, ``page_tree_loop``,
``no_pages``, ``dynamic_xfa_form``, ``too_complex``) are documented in :mod:`ingest.pdfcheck`.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from sohoa.core.domain import FileKind, SniffResult
from sohoa.core.errors import InputRejected
from sohoa.ingest.archive_zip import read_zip_directory
from sohoa.ingest.pdfcheck import inspect_pdf

__all__ = ["detect_kind", "sniff_file"]

_HEAD_BYTES = 1024  # how far in a "%PDF-" header may start (junk before it is tolerated)
_PDF_MAGIC = b"%PDF-"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_MAGICS: tuple[tuple[bytes, FileKind], ...] = (
    (_PNG_MAGIC, FileKind.PNG),
    (b"\xff\xd8\xff", FileKind.JPEG),
    (b"II*\x00", FileKind.TIFF),
    (b"MM\x00*", FileKind.TIFF),
    (b"II+\x00", FileKind.TIFF),  # BigTIFF
    (b"MM\x00+", FileKind.TIFF),
    (b"PK\x03\x04", FileKind.ZIP),
    (b"PK\x05\x06", FileKind.ZIP),  # empty archive: only the end record
    (_PDF_MAGIC, FileKind.PDF),
)
_PILLOW_FORMAT = {FileKind.PNG: "PNG", FileKind.JPEG: "JPEG", FileKind.TIFF: "TIFF"}
_TIFF_STRIP_TAGS = ((273, 279), (324, 325))  # (StripOffsets, StripByteCounts), (TileOffsets, TileByteCounts)
_MAX_PNG_CHUNKS = 1_000_000  # real PNGs have thousands at most; bounds the walk on hostile files
_MAX_JPEG_SEGMENTS = 10_000
_MAX_JPEG_FILL_BYTES = 64
_MAX_JPEG_JUNK = 64 * 1024
_SCAN_BLOCK = 1024 * 1024


def sniff_file(
    path: Path,
    *,
    max_pages: int = 2000,
    max_pixels: int = 200_000_000,
    time_limit: float = 30.0,
) -> SniffResult:
    """Detect the kind of ``path`` by content and validate it, or raise ``InputRejected``.

    ``time_limit`` bounds the PDF inspection (seconds of wall time for its child process).
    """
    size = path.stat().st_size
    if size == 0:
        raise InputRejected("the file is empty (0 bytes)", code="empty_file")
    with path.open("rb") as fp:
        head = fp.read(_HEAD_BYTES + len(_PDF_MAGIC) - 1)
    detected = detect_kind(head)
    if detected is None:
        if 3 <= size < 8 and any(magic.startswith(head) for magic, _ in _MAGICS):
            raise InputRejected("the file ends inside its format signature", code="truncated_file")
        raise InputRejected(
            "not a PDF, PNG, JPEG, TIFF or zip file (decided by content, not by name)",
            code="unsupported_type",
            details={"head": head[:16].hex()},
        )
    kind, offset = detected
    if kind is FileKind.PDF:
        return inspect_pdf(
            path, header_offset=offset, max_pages=max_pages, max_pixels=max_pixels, time_limit=time_limit
        )
    if kind is FileKind.ZIP:
        entries = read_zip_directory(path)
        return SniffResult(kind=kind, page_count=0, notes=(f"zip: {entries} entries declared",))
    return _sniff_image(path, kind, size, max_pages=max_pages, max_pixels=max_pixels)


def detect_kind(head: bytes) -> tuple[FileKind, int] | None:
    """The kind announced by the first bytes of a file and the offset of its signature."""
    for magic, kind in _MAGICS:
        if head.startswith(magic):
            return kind, 0
    offset = head.find(_PDF_MAGIC, 0, _HEAD_BYTES + len(_PDF_MAGIC) - 1)
    if offset >= 0:
        return FileKind.PDF, offset
    return None


def _sniff_image(path: Path, kind: FileKind, size: int, *, max_pages: int, max_pixels: int) -> SniffResult:
    with path.open("rb") as fp:
        if kind is FileKind.PNG:
            _check_png_structure(fp, size)
        elif kind is FileKind.JPEG:
            _check_jpeg_structure(fp, size)
    # Image.open reads headers only; pixels are never decoded here.
    with warnings.catch_warnings():
        # Between Pillow's warning threshold and ours, our max_pixels decides, not a warning.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(path, formats=[_PILLOW_FORMAT[kind]]) as image:
                pages = _count_frames(image, kind, size, max_pages=max_pages, max_pixels=max_pixels)
        except InputRejected:
            raise
        except Image.DecompressionBombError as exc:
            raise InputRejected(f"image too large: {exc}", code="image_too_large") from exc
        except Exception as exc:
            # Pillow reports hostile headers with many exception types (OSError, SyntaxError,
            # ValueError, struct.error, EOFError...): all of them mean "cannot read this image".
            raise InputRejected(
                f"the {kind.value.upper()} image cannot be read: {exc}",
                code="damaged_image",
                details={"error": type(exc).__name__},
            ) from exc
    return SniffResult(kind=kind, page_count=pages)


def _count_frames(image: Image.Image, kind: FileKind, size: int, *, max_pages: int, max_pixels: int) -> int:
    frames = 0
    while True:
        if kind is FileKind.TIFF:
            try:
                image.seek(frames)
            except EOFError:
                break
        elif frames == 1:
            break  # PNG/JPEG: one page (APNG/MPO extra frames are not pages)
        frames += 1
        if frames > max_pages:
            raise InputRejected(
                f"the image has more than {max_pages} pages", code="too_many_pages", details={"max_pages": max_pages}
            )
        width, height = image.size
        if width <= 0 or height <= 0:
            raise InputRejected(f"page {frames} has no pixels ({width}×{height})", code="damaged_image")
        if width * height > max_pixels:
            raise InputRejected(
                f"page {frames} is {width}×{height} = {width * height} pixels, more than {max_pixels}",
                code="image_too_large",
                details={"width": width, "height": height, "max_pixels": max_pixels},
            )
        if kind is FileKind.TIFF:
            _check_tiff_strips(image, size, frames)
    if frames == 0:
        raise InputRejected("the TIFF file holds no image", code="damaged_image")
    return frames


def _check_tiff_strips(image: Image.Image, size: int, page: int) -> None:
    tags = getattr(image, "tag_v2", None)
    if tags is None:
        return
    for offsets_tag, counts_tag in _TIFF_STRIP_TAGS:
        offsets, counts = tags.get(offsets_tag), tags.get(counts_tag)
        if offsets is None or counts is None:
            continue
        offsets = offsets if isinstance(offsets, tuple) else (offsets,)
        counts = counts if isinstance(counts, tuple) else (counts,)
        end = max((int(o) + int(c) for o, c in zip(offsets, counts, strict=False)), default=0)
        if end > size:
            raise InputRejected(
                f"TIFF page {page} needs data up to byte {end} but the file has {size} bytes",
                code="truncated_file",
            )


def _check_png_structure(fp: BinaryIO, size: int) -> None:
    """Walk the chunk headers (seeking over data) up to IEND."""
    position = len(_PNG_MAGIC)
    seen_data = False
    for _ in range(_MAX_PNG_CHUNKS):
        if position + 12 > size:
            raise InputRejected("the PNG file ends before its IEND chunk", code="truncated_file")
        fp.seek(position)
        length, chunk_type = struct.unpack(">I4s", fp.read(8))
        if length > 0x7FFFFFFF:
            raise InputRejected(f"PNG chunk {chunk_type!r} has an invalid length", code="damaged_image")
        end = position + 12 + length
        if end > size:
            raise InputRejected(f"the PNG file ends inside its {chunk_type!r} chunk", code="truncated_file")
        if chunk_type == b"IEND":
            if not seen_data:
                raise InputRejected("the PNG file has no image data (IDAT)", code="damaged_image")
            return
        seen_data = seen_data or chunk_type == b"IDAT"
        position = end
    raise InputRejected("the PNG file has too many chunks", code="damaged_image")


def _check_jpeg_structure(fp: BinaryIO, size: int) -> None:
    """Walk the marker segments to the first scan, then require an end-of-image marker after it.

    Entropy-coded data stuffs every 0xFF with 0x00, so a 0xFFD9 after the scan start can only be
    the real end-of-image marker (or come after it, in trailing data).
    """
    scan_start = _jpeg_scan_start(fp, size)
    end = size
    while end > scan_start:
        begin = max(scan_start, end - _SCAN_BLOCK)
        fp.seek(begin)
        if b"\xff\xd9" in fp.read(min(end + 1, size) - begin):  # +1 byte: a marker across blocks
            return
        end = begin
    raise InputRejected("the JPEG file ends before its end-of-image marker", code="truncated_file")


def _jpeg_scan_start(fp: BinaryIO, size: int) -> int:
    fp.seek(2)
    for _ in range(_MAX_JPEG_SEGMENTS):
        prefix = fp.read(1)
        if not prefix:
            raise InputRejected("the JPEG file ends inside its headers", code="truncated_file")
        if prefix != b"\xff":
            _skip_jpeg_junk(fp)  # decoders tolerate stray bytes between segments; so do we
            continue
        marker = fp.read(1)
        for _ in range(_MAX_JPEG_FILL_BYTES):
            if marker != b"\xff":
                break
            marker = fp.read(1)
        if not marker:
            raise InputRejected("the JPEG file ends inside its headers", code="truncated_file")
        code = marker[0]
        if code == 0xDA:  # start of scan
            return fp.tell()
        if code == 0xD9:
            raise InputRejected("the JPEG file ends before any image data", code="damaged_image")
        if code == 0x01 or 0xD0 <= code <= 0xD7:
            continue  # markers without a length field
        raw_length = fp.read(2)
        if len(raw_length) < 2:
            raise InputRejected("the JPEG file ends inside its headers", code="truncated_file")
        length = int.from_bytes(raw_length, "big")
        if length < 2:
            raise InputRejected("the JPEG headers are damaged (bad segment length)", code="damaged_image")
        if fp.tell() + length - 2 > size:
            raise InputRejected("the JPEG file ends inside its headers", code="truncated_file")
        fp.seek(length - 2, 1)
    raise InputRejected("the JPEG file has too many header segments", code="damaged_image")


def _skip_jpeg_junk(fp: BinaryIO) -> None:
    start = fp.tell()
    junk = fp.read(_MAX_JPEG_JUNK)
    found = junk.find(b"\xff")
    if found < 0:
        raise InputRejected("the JPEG headers are damaged (no marker found)", code="damaged_image")
    fp.seek(start + found)
