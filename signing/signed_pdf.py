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
from typing import IO, Literal

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt import AuthStatus
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import EmbeddedPdfSignature

from sohoa.core.errors import InputRejected

__all__ = [
    "Entry",
    "EntryKind",
    "TimestampSignature",
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


def trailing_bytes(data: bytes) -> int:
    """How many bytes follow the last ``%%EOF`` marker and its line end.

    An incremental update is a revision ending in its own ``%%EOF``; anything after the last one is
    invisible to a viewer's revision list but still part of the file an archive keeps, and no
    signature covers it."""
    end = data.rfind(b"%%EOF")
    if end < 0:
        return 0
    rest = data[end + 5 :]
    for eol in (b"\r\n", b"\n", b"\r"):  # the marker's own line end
        if rest.startswith(eol):
            rest = rest[len(eol) :]
            break
    return len(rest) if rest.strip(_FILLER) else 0


def salvage_fields(data: bytes) -> list[tuple[str, EntryKind, str | None]] | None:
    """The filled signature fields of a file pyHanko cannot read, found by qpdf's repairing reader
    (pikepdf): each can only be reported as unreadable. None when even qpdf sees no PDF."""
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
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
