"""Domain values passed between pipeline stages: frozen, picklable, free of I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Self

__all__ = [
    "DocumentState",
    "FileKind",
    "MediaKind",
    "Metadata",
    "OcrWord",
    "PageImage",
    "PageText",
    "Role",
    "SignRequest",
    "SignatureLevel",
    "SniffResult",
]


class DocumentState(StrEnum):
    RECEIVED = "received"
    OCR_DONE = "ocr_done"
    EXTRACTED = "extracted"
    NEEDS_REVIEW = "needs_review"
    APPROVED = "approved"
    SIGNED = "signed"
    ARCHIVED = "archived"
    FAILED = "failed"  # processing error; retryable; carries a reason code
    REJECTED = "rejected"  # bad input; final; carries a reason code

    @property
    def terminal(self) -> bool:
        return self in (DocumentState.ARCHIVED, DocumentState.REJECTED)


class Role(StrEnum):
    UPLOADER = "uploader"
    REVIEWER = "reviewer"
    ARCHIVIST = "archivist"
    SIGNER_ADMIN = "signer_admin"
    AUDITOR = "auditor"
    METRICS = "metrics"
    ADMIN = "admin"  # holds every right


class MediaKind(StrEnum):
    """A kind of file whose members are written ``NAME = "value", "media/type"``: the value is the
    first string alone (what is stored and compared), ``media_type`` the second."""

    media_type: str

    def __new__(cls, value: str, media_type: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.media_type = media_type
        return member


class FileKind(MediaKind):
    PDF = "pdf", "application/pdf"
    PNG = "png", "image/png"
    JPEG = "jpeg", "image/jpeg"
    TIFF = "tiff", "image/tiff"
    ZIP = "zip", "application/zip"


SignatureLevel = Literal["B-B", "B-T", "B-LT", "B-LTA"]


@dataclass(frozen=True)
class SniffResult:
    """What intake learned about one input file by reading its content."""

    kind: FileKind
    page_count: int
    has_text_layer: bool = False  # any page with extractable text (PDF only)
    signed: bool = False  # PDF already carries a signature: never rewrite its bytes
    notes: tuple[str, ...] = ()  # e.g. "repaired: ..." for the document's events
    # What the PDF may do when opened (javascript, launch, embedded_file...; ingest.pdfcheck)
    active_content: tuple[str, ...] = ()


@dataclass(frozen=True)
class PageImage:
    """One page rendered or extracted to an image file, ready for OCR."""

    index: int  # 0-based page number in the document
    path: Path
    dpi: float
    width_px: int
    height_px: int


@dataclass(frozen=True)
class OcrWord:
    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float  # 0..100 as tesseract reports it
    block: int = 0
    line: int = 0


@dataclass(frozen=True)
class PageText:
    """The text of one page and where it came from."""

    index: int
    text: str  # NFC
    source: Literal["ocr", "text_layer"]
    words: tuple[OcrWord, ...] = ()
    confidence: float | None = None  # mean word confidence 0..100; None for text layers
    text_pdf: Path | None = None  # tesseract's text-only PDF page (sandwich layer)


@dataclass(frozen=True)
class Metadata:
    """Filing metadata of an administrative document (Nghị định 30/2020 fields).

    The JSON form (``to_dict``) is shared by the API, the CLI and the catalogue.
    """

    document_type: str | None = None
    type_code: str | None = None
    number: str | None = None
    number_year: int | None = None
    symbol: str | None = None
    number_symbol: str | None = None
    issued_place: str | None = None
    issued_date: str | None = None  # ISO date, or None when the day is blank
    issued_date_text: str | None = None
    issuer: str | None = None
    parent_issuer: str | None = None
    subject: str | None = None
    signer_authority: tuple[str, ...] = ()
    signer_title: str | None = None
    signer_name: str | None = None
    recipients: tuple[str, ...] = ()
    procedure_code: str | None = None
    dossier_code: str | None = None
    confidence: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = list(value)
            elif f.name == "confidence":
                value = dict(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Metadata:
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                continue
            if key in ("signer_authority", "recipients"):
                value = tuple(value or ())
            elif key == "confidence":
                value = dict(value or {})
            kwargs[key] = value
        return cls(**kwargs)


@dataclass(frozen=True)
class SignRequest:
    """What to sign and how; who signs is the signer backend's business."""

    input_path: Path
    output_path: Path
    level: SignatureLevel = "B-B"
    field_name: str = "Signature1"
    reason: str | None = None
    location: str | None = None
    contact_info: str | None = None
