"""A PDF opened for verification: its signature fields, each read on its own, and what follows its
last revision.

pyHanko's own listing (``reader.embedded_signatures``) drops fields whose SubFilter it does not know
(``adbe.pkcs7.sha1``), classifies document timestamps by ``/Type`` alone (third-party files write
``/Type /Sig`` or no type at all) and fails as a whole when one signature dictionary is malformed.
Here every filled signature field becomes an :class:`Entry`: a parsed signature, or the error that
stopped it, so one bad field never hides the others.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt import AuthStatus
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import EmbeddedPdfSignature

from sohoa.core.errors import InputRejected

__all__ = [
    "Entry",
    "EntryKind",
    "Prefix",
    "TimestampSignature",
    "last_eof_end",
    "list_entries",
    "open_reader",
    "salvage_fields",
    "trailing_bytes",
]

EntryKind = Literal["signature", "legacy_sha1", "document_timestamp"]

_TIMESTAMP_SUBFILTER = "/ETSI.RFC3161"
_LEGACY_SUBFILTER = "/adbe.pkcs7.sha1"
# what may follow %%EOF without being content: line ends, spaces, padding NULs
_FILLER = b"\r\n\t\f\x00 "


class TimestampSignature(EmbeddedPdfSignature):
    """A document timestamp whatever its ``/Type`` says: ISO 32000-2 names it by its SubFilter
    ``/ETSI.RFC3161``; files in the wild write ``/Type /Sig`` or leave the type out."""

    @property
    def sig_object_type(self) -> generic.NameObject:
        return generic.NameObject("/DocTimeStamp")


@dataclass(frozen=True)
class Entry:
    """One filled signature field: its parsed signature, or why it could not be parsed."""

    field_name: str
    kind: EntryKind
    subfilter: str | None
    signature: EmbeddedPdfSignature | None
    error: Exception | None = None


def open_reader(fh: IO[bytes]) -> PdfFileReader:
    """A tolerant reader; an encrypted file is opened with the empty user password when it has one
    (signed PDFs restricted against editing are still readable by anyone)."""
    reader = PdfFileReader(fh, strict=False)
    if reader.encrypted:
        try:
            result = reader.decrypt("")
        except Exception:  # public-key encryption, unknown security handler
            result = None
        if result is None or result.status == AuthStatus.FAILED:
            raise InputRejected("the PDF is encrypted with a password", code="password_protected")
    _tolerate_dangling_references(reader)
    return reader


def _tolerate_dangling_references(reader: PdfFileReader) -> None:
    """A reference to an object no revision defines is the null object (ISO 32000-2 7.3.10), but
    pyHanko's revision analysis asks which revision introduced it and fails with KeyError. Such an
    object is newer than every revision: it is never part of what an earlier signature covered."""
    xrefs = reader.xrefs
    original = xrefs.get_introducing_revision

    def introducing(ref: generic.Reference) -> int:
        try:
            return int(original(ref))
        except KeyError:
            return int(xrefs.total_revisions)

    xrefs.get_introducing_revision = introducing  # type: ignore[method-assign]


def list_entries(reader: PdfFileReader) -> list[Entry]:
    """Every filled signature field, in the order the file's revisions signed them."""
    entries: list[tuple[int, Entry]] = []
    try:
        fields = list(enumerate_sig_fields(reader, filled_status=True))
    except Exception as exc:
        return [Entry("?", "signature", None, None, exc)]
    for position, (name, value, field_ref) in enumerate(fields):
        entries.append(_entry(reader, str(name), value, field_ref, position))
    entries.sort(key=lambda pair: pair[0])
    return [entry for _, entry in entries]


def _entry(reader: PdfFileReader, name: str, value: object, field_ref: object, position: int) -> tuple[int, Entry]:
    subfilter: str | None = None
    kind: EntryKind = "signature"
    try:
        sig_dict = value.get_object() if isinstance(value, generic.IndirectObject) else value
        raw = sig_dict.get("/SubFilter") if isinstance(sig_dict, generic.DictionaryObject) else None
        subfilter = str(raw) if raw is not None else None
        if subfilter == _TIMESTAMP_SUBFILTER:
            kind = "document_timestamp"
        elif subfilter == _LEGACY_SUBFILTER:
            kind = "legacy_sha1"
        cls = TimestampSignature if kind == "document_timestamp" else EmbeddedPdfSignature
        field = field_ref.get_object() if isinstance(field_ref, generic.IndirectObject) else field_ref
        sig = cls(reader, field, name)  # type: ignore[arg-type]
    except Exception as exc:
        # unparsed fields sort after the parsed ones, in form order
        return 1 << 30 | position, Entry(name, kind, subfilter, None, exc)
    return sig.signed_revision, Entry(name, kind, subfilter, sig)


def last_eof_end(fh: IO[bytes], size: int) -> int | None:
    """The offset just past the last ``%%EOF`` marker and its line end; None without one. Read
    backwards in chunks: the file itself may be large."""
    chunk = 1 << 16
    pos = size
    carry = b""
    while pos > 0:
        start = max(0, pos - chunk)
        fh.seek(start)
        block = fh.read(pos - start) + carry
        found = block.rfind(b"%%EOF")
        if found >= 0:
            end = start + found + 5
            fh.seek(end)
            after = fh.read(2)
            for eol in (b"\r\n", b"\n", b"\r"):  # the marker's own line end
                if after.startswith(eol):
                    return end + len(eol)
            return end
        carry = block[:4]  # a marker split across two chunks
        pos = start
    return None


def trailing_bytes(fh: IO[bytes], size: int) -> int:
    """How many bytes follow the last ``%%EOF`` marker and its line end (line ends, spaces and NULs
    alone do not count).

    An incremental update is a revision ending in its own ``%%EOF``; anything after the last one is
    invisible to a viewer's revision list but still part of the file an archive keeps, and no
    signature covers it."""
    end = last_eof_end(fh, size)
    if end is None:
        return 0
    fh.seek(end)
    while block := fh.read(1 << 16):
        if block.strip(_FILLER):
            return size - end
    return 0


class Prefix(io.RawIOBase):
    """The first ``size`` bytes of a seekable file, as a file of its own (to open a PDF without what
    was appended after its last revision, without copying it)."""

    def __init__(self, fh: IO[bytes], size: int) -> None:
        self._fh, self._size, self._pos = fh, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise OSError(22, "Invalid argument")  # as a real file says
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        wanted = max(0, min(len(buffer), self._size - self._pos))
        self._fh.seek(self._pos)
        data = self._fh.read(wanted)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


def salvage_fields(path: Path) -> list[tuple[str, EntryKind, str | None]] | None:
    """The filled signature fields of a file pyHanko cannot read, found by qpdf's repairing reader
    (pikepdf): each can only be reported as unreadable. None when even qpdf sees no PDF."""
    import pikepdf

    try:
        pdf = pikepdf.open(path)
    except Exception:
        return None
    found: list[tuple[str, EntryKind, str | None]] = []
    with pdf:
        try:
            acroform = pdf.Root.get("/AcroForm")
            fields = list(acroform.get("/Fields", [])) if acroform is not None else []
            _walk_fields(fields, "", found, depth=0)
        except Exception:
            return found  # a damaged form: the fields found so far
    return found


def _walk_fields(fields: list, prefix: str, found: list[tuple[str, EntryKind, str | None]], depth: int) -> None:
    if depth > 32:  # a cycle in a damaged field tree
        return
    for fld in fields:
        name = f"{prefix}.{fld.get('/T', '')}" if prefix else str(fld.get("/T", "?"))
        kids = fld.get("/Kids")
        if kids is not None and any("/T" in kid for kid in kids):
            _walk_fields(list(kids), name, found, depth + 1)
            continue
        value = fld.get("/V")
        if fld.get("/FT") != "/Sig" or value is None or not hasattr(value, "get"):
            continue
        subfilter = value.get("/SubFilter")
        sub = str(subfilter) if subfilter is not None else None
        kind: EntryKind = (
            "document_timestamp"
            if sub == _TIMESTAMP_SUBFILTER
            else "legacy_sha1"
            if sub == _LEGACY_SUBFILTER
            else "signature"
        )
        found.append((name, kind, sub))
