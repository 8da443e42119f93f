"""Documents as people see them: one, a page of them, their history, and audited downloads."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.orm import Session

from sohoa.core.domain import DocumentState
from sohoa.core.errors import NotFound
from sohoa.core.text import fold, nfc, normalize_space
from sohoa.ingest.metadata.syllables import is_syllable
from sohoa.pipeline.originals import write_parts_zip
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.supersede import Lineage, read_lineage
from sohoa.storage.catalogue import DocumentFilter, get_document, list_documents, list_events, record_event
from sohoa.storage.document_parts import PARTS_KIND
from sohoa.storage.objectstore import ObjectInfo
from sohoa.storage.records import DocumentRecord, EventRecord

__all__ = [
    "Download",
    "FileKind",
    "batch_documents",
    "clean_subject",
    "document",
    "document_events",
    "document_title",
    "documents",
    "download_name",
    "lineage",
    "open_download",
    "review_queue",
    "save_download",
]

FileKind = Literal["signed", "original"]
_CHUNK = 256 * 1024
_ROMAN = re.compile(r"^[IVXLC]+$")


def _keeps_capitals(word: str) -> bool:
    """Abbreviations (``UBND``, ``HĐND``) and numerals (``XIV``, ``COVID-19``) keep their capitals."""
    core = word.strip(".,;:()\"'“”")
    if not core or is_syllable(core):
        return False
    if any(ch.isdigit() for ch in core) or _ROMAN.match(core):
        return True
    return sum(ch in "aeiouy" for ch in fold(core)) <= 1  # KARAOKE is a word, SVHTTDL an abbreviation


def clean_subject(subject: str) -> str:
    """A subject as a title: ``CẤP GIẤY PHÉP KINH DOANH KARAOKE CHO CÔNG TY TNHH`` (a title block read in
    capitals) becomes ``Cấp giấy phép kinh doanh karaoke cho công ty TNHH``; spaces made single, the
    first letter a capital. A subject already in sentence case keeps its words as printed."""
    words = normalize_space(nfc(subject)).split()
    letters = [ch for ch in "".join(words) if ch.isalpha()]
    if letters and sum(ch.isupper() for ch in letters) > 0.8 * len(letters):
        words = [w if _keeps_capitals(w) else w.lower() for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def document_title(doc: DocumentRecord) -> str:
    """What a person calls the document: its subject cleaned, else its type and number, else its file name."""
    meta = doc.metadata_json or {}
    subject = meta.get("subject")
    if isinstance(subject, str) and subject.strip():
        return clean_subject(subject)
    named = " ".join(str(meta[k]) for k in ("document_type", "number_symbol") if meta.get(k))
    return named or doc.filename


def document(rt: Runtime, document_id: str) -> DocumentRecord:
    with rt.db.session() as session:
        return get_document(session, document_id)


def documents(
    rt: Runtime, flt: DocumentFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[DocumentRecord], int]:
    """A page of the documents ``flt`` lets through, newest first, and how many match in all."""
    with rt.db.session() as session:
        return list_documents(session, flt, limit=limit, offset=offset)


def batch_documents(rt: Runtime, batch_id: str) -> list[DocumentRecord]:
    """Every document of one upload (batch)."""
    with rt.db.session() as session:
        docs, _ = list_documents(session, DocumentFilter(batch_id=batch_id), limit=1_000_000)
    return docs


def review_queue(rt: Runtime, *, limit: int = 10_000) -> list[DocumentRecord]:
    """Documents waiting for a reviewer, oldest first (the first to arrive is the first to be signed);
    at most ``limit``, the oldest ones."""
    flt = DocumentFilter(state=DocumentState.NEEDS_REVIEW)
    with rt.db.session() as session:
        _, total = list_documents(session, flt, limit=1)
        newest_first, _ = list_documents(session, flt, limit=limit, offset=max(0, total - limit))
    return list(reversed(newest_first))


def lineage(rt: Runtime, document_id: str) -> Lineage:
    """The corrections of a record, back to the first one and forward to the current one."""
    with rt.db.session() as session:
        return read_lineage(session, document_id)


def document_events(rt: Runtime, document_id: str, *, limit: int = 10_000) -> tuple[DocumentRecord, list[EventRecord]]:
    """The document and its history, oldest event first (NotFound for an unknown id)."""
    with rt.db.session() as session:
        doc = get_document(session, document_id)
        return doc, list_events(session, document_id=document_id, limit=limit)


@dataclass(frozen=True)
class Download:
    """A stored file someone is allowed to take, already recorded in the audit log."""

    document_id: str
    kind: FileKind
    key: str
    filename: str  # what to call it on the taker's disk
    info: ObjectInfo
    local: Path | None = None  # made for this download (the zip of a joined document's files), removed after

    def chunks(self, rt: Runtime) -> Iterator[bytes]:
        if self.local is not None:
            try:
                with self.local.open("rb") as fh:
                    while chunk := fh.read(_CHUNK):
                        yield chunk
            finally:
                self.local.unlink(missing_ok=True)
            return
        with rt.store.open(self.key) as fh:
            while chunk := fh.read(_CHUNK):
                yield chunk


def _key_of(doc: DocumentRecord, kind: FileKind) -> str:
    key = doc.archive_key if kind == "signed" else doc.original_key
    if key is None:
        raise NotFound(
            "this document has no signed archived copy yet"
            if kind == "signed"
            else "this document has no stored original",
            code="file_not_available",
            details={"state": doc.state},
        )
    return key


_PATH_CHARACTERS = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def download_name(doc: DocumentRecord, kind: FileKind) -> str:
    """``{number_symbol or type}_{dossier}.pdf`` (``12-QĐ-UBND_000.00.32.H19-250312-0017.pdf``): Vietnamese
    letters kept, characters a path cannot hold replaced; the original scan ends ``_ban-goc.<kind>``."""
    meta = doc.metadata_json or {}
    head = meta.get("number_symbol") or meta.get("document_type") or "van-ban"
    parts = [str(head), doc.dossier_code or doc.id[:8]]
    stem = "_".join(
        re.sub(r"-{2,}", "-", "-".join(_PATH_CHARACTERS.sub("-", nfc(part)).split())).strip("-.") or "van-ban"
        for part in parts
    )
    if kind == "signed":
        return f"{stem}.pdf"
    return f"{stem}_ban-goc.{doc.original_kind or 'bin'}"


def _record_download(session: Session, actor: str, doc: DocumentRecord, kind: FileKind, **extra: object) -> None:
    details = {"key": _key_of(doc, kind), **extra}
    record_event(session, actor=actor, action=f"download.{kind}", document_id=doc.id, details=details)


def open_download(rt: Runtime, document_id: str, kind: FileKind, *, actor: str, inline: bool = False) -> Download:
    """Check that the file exists and record the download (one ``download.<kind>`` event).

    Viewing a signed copy in the browser is a download too (``inline``)."""
    with rt.db.session() as session:
        doc = get_document(session, document_id)
        key = _key_of(doc, kind)
        info = rt.store.stat(key)
        _record_download(session, actor, doc, kind, **({"inline": True} if inline else {}))
        name = download_name(doc, kind)
    if kind == "original" and doc.original_kind == PARTS_KIND:
        # A document joined from several files: its original is those files, handed over as one zip.
        folder = rt.settings.work_dir / "downloads"
        folder.mkdir(parents=True, exist_ok=True)
        local = folder / f"{uuid.uuid4().hex}.zip"
        info = write_parts_zip(rt, doc, local)
        name = name.removesuffix(f".{PARTS_KIND}") + ".zip"
        return Download(document_id=document_id, kind=kind, key=key, filename=name, info=info, local=local)
    return Download(document_id=document_id, kind=kind, key=key, filename=name, info=info)


def save_download(rt: Runtime, document_id: str, kind: FileKind, output: Path, *, actor: str) -> ObjectInfo:
    """Write the file to ``output`` (its checksum verified), then record the download."""
    with rt.db.session() as session:
        doc = get_document(session, document_id)
        if kind == "original" and doc.original_kind == PARTS_KIND:
            info = write_parts_zip(rt, doc, output)  # the files of a joined document, in page order
        else:
            info = rt.store.get_file(_key_of(doc, kind), output, verify=True)
        _record_download(session, actor, doc, kind, output=str(output))
    return info
