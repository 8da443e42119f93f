"""Rebuild the catalogue from the archive alone, so losing the database loses no filing.

Every archived PDF carries its filing in its object metadata (document id, procedure and
dossier codes, original SHA-256, signing time) and a full filing record beside it
(``{id}.json``: file name, received time, extracted metadata, signer). The PDF's own XMP,
written at assembly, is read as a cross-check; its text layer restores the pages and the
search text. The newest correction stored beside it (``{id}.c{n}.json``, see
``pipeline.corrections``) restores a correction of its metadata made after archiving, and the
corrections stored are listed in the catalogue again (a gap in their numbers is an error: a
correction lost). A renewed
copy (``{id}.r{n}.pdf``, whose object metadata names the copy it renews, see
``pipeline.signing_ops.archive``) is no document: it restores the document's renewal of that
generation. Lineage records (``{id}.lineage.json``) restore supersessions, and the store's
retention dates and legal holds are recorded again.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pikepdf
from pyhanko.pdf_utils.misc import PdfError
from sqlalchemy.orm import Session

from sohoa.core.clock import utcnow
from sohoa.core.domain import DocumentState, FileKind, PageText
from sohoa.core.errors import IntegrityError, ObjectNotFound, SohoaError
from sohoa.ingest.assemble import SOHOA_XMP_NS
from sohoa.pipeline.corrections import corrected_filing, correction_entry
from sohoa.pipeline.indexing import build_search_text
from sohoa.pipeline.retention import (
    companion_key,
    correction_key,
    locking_store,
    parse_correction_key,
    record_retention,
)
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.signing_ops.archive import link_stored_renewal
from sohoa.pipeline.supersede import LINEAGE_SUFFIX
from sohoa.storage.archive_queries import add_legal_hold, add_supersession, get_supersession
from sohoa.storage.archive_records import SupersessionRecord, active_hold
from sohoa.storage.catalogue import (
    add_document,
    claim_original,
    document_exists,
    get_document,
    record_event,
    replace_pages,
)
from sohoa.storage.document_parts import PARTS_KIND, PARTS_MEDIA_TYPE, add_parts, read_manifest
from sohoa.storage.objectstore import ObjectInfo, original_key
from sohoa.storage.records import DocumentRecord, PageRecord
from sohoa.storage.signing_queries import latest_renewal

__all__ = ["FILING_FIELDS", "RebuildIssue", "RebuildReport", "filing_fields", "rebuild_catalogue"]

log = logging.getLogger(__name__)

# What a rebuilt catalogue reproduces exactly, document by document.
FILING_FIELDS = (
    "id",
    "state",
    "filename",
    "procedure_code",
    "dossier_code",
    "original_sha256",
    "archive_key",
    "archive_sha256",
    "signed_at",
    "received_at",
    "metadata_json",
    "signer_subject",
    "signature_level",
    "archive_corrections",
)
_ERRORS = frozenset(
    {"record_missing", "record_unreadable", "conflict", "integrity", "xmp_mismatch", "failed", "correction_missing"}
)
_MAX_RECORD_BYTES = 16 * 1024 * 1024
_KIND_BY_MEDIA = {kind.media_type: kind.value for kind in FileKind}
# What reading one archived object may raise: reported against that object, the rest restored.
_UNREADABLE = (SohoaError, OSError, ValueError, pikepdf.PdfError, PdfError)


@dataclass(frozen=True)
class RebuildIssue:
    key: str
    kind: str  # errors: see _ERRORS; notes: no_xmp, orphan_lineage, orphan_renewal, stray_renewal
    message: str

    @property
    def error(self) -> bool:
        return self.kind in _ERRORS


@dataclass(frozen=True)
class RebuildReport:
    restored: tuple[str, ...] = ()
    present: tuple[str, ...] = ()  # already in the catalogue: left as they were
    links: int = 0
    renewals: int = 0  # renewed copies linked to their documents again
    issues: tuple[RebuildIssue, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not any(issue.error for issue in self.issues)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "restored": len(self.restored),
            "present": len(self.present),
            "links": self.links,
            "renewals": self.renewals,
            "issues": [{"key": i.key, "kind": i.kind, "message": i.message} for i in self.issues],
        }


def filing_fields(doc: DocumentRecord) -> dict[str, Any]:
    """The fields a rebuild must reproduce, for comparing catalogues."""
    return {name: getattr(doc, name) for name in FILING_FIELDS}


def _moment(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _read_json(rt: Runtime, key: str) -> dict[str, Any]:
    with rt.store.open(key) as stream:
        raw = stream.read(_MAX_RECORD_BYTES + 1)
    if len(raw) > _MAX_RECORD_BYTES:
        raise ValueError(f"{key} is larger than a filing record can be")
    value = json.loads(raw.decode("utf-8"))
    if not isinstance(value, dict):
        raise ValueError(f"{key} does not hold a JSON object")
    return value


def _xmp(path: Path) -> dict[str, str]:
    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata()
        names = ("document_id", "procedure_code", "dossier_code", "original_sha256")
        return {name: str(meta[f"{{{SOHOA_XMP_NS}}}{name}"]) for name in names if f"{{{SOHOA_XMP_NS}}}{name}" in meta}


@dataclass
class _Restore:
    """One archived PDF on its way back into the catalogue."""

    key: str
    info: ObjectInfo
    record: dict[str, Any]
    issues: list[RebuildIssue]

    def filing(self) -> dict[str, Any]:
        meta, record = self.info.metadata, self.record
        document_id = PurePosixPath(self.key).stem
        for name in ("document_id", "procedure_code", "dossier_code", "original_sha256", "signed_at"):
            if name in meta and name in record and (meta[name] or "") != (record[name] or ""):
                self.issues.append(
                    RebuildIssue(self.key, "conflict", f"{name}: object says {meta[name]!r}, record {record[name]!r}")
                )
        if meta.get("document_id", document_id) != document_id:
            self.issues.append(
                RebuildIssue(self.key, "conflict", f"document_id {meta['document_id']!r} is not the key's")
            )

        def pick(name: str) -> Any:
            # The object's own metadata first: it is locked with the bytes it describes.
            return meta.get(name) or record.get(name) or None

        return {
            "id": document_id,
            "procedure_code": pick("procedure_code") or self.key.split("/")[1],
            "dossier_code": pick("dossier_code"),
            "original_sha256": pick("original_sha256") or "",
            "signed_at": _moment(pick("signed_at")),
            "filename": record.get("filename") or f"{document_id}.pdf",
            "received_at": _moment(record.get("received_at")),
            "metadata_json": record.get("metadata") or None,
            "signer_subject": record.get("signer_subject"),
            "signature_level": record.get("signature_level"),
        }

    def cross_check(self, xmp: Mapping[str, str], filing: Mapping[str, Any]) -> None:
        if not xmp:
            self.issues.append(RebuildIssue(self.key, "no_xmp", "the PDF carries no sohoa XMP (kept as received?)"))
            return
        expected = {
            "document_id": filing["id"],
            "procedure_code": filing["procedure_code"],
            "original_sha256": filing["original_sha256"],
            "dossier_code": filing["dossier_code"] or "",
        }
        for name, value in xmp.items():
            # The XMP is written before metadata extraction, which may add a dossier code.
            if name == "dossier_code" and not value:
                continue
            if value != expected[name]:
                self.issues.append(
                    RebuildIssue(self.key, "xmp_mismatch", f"{name}: XMP says {value!r}, archive {expected[name]!r}")
                )


def _apply_correction(
    rt: Runtime, key: str, numbers: list[int], filing: dict[str, Any], issues: list[RebuildIssue]
) -> str | None:
    """Set in ``filing`` what the newest readable correction stored beside the PDF says, and the list of
    the corrections stored (``numbers``, as the store listed them); the applied one's key.

    Corrections are numbered from 1 without gaps, so a number missing below the newest is a correction
    lost (deleted, or hidden by a delete marker on S3): an error naming its key. Each correction holds
    the whole filing, so the newest is applied all the same; the catalogue lists those the store holds.

    A correction is stored before the catalogue commits it, so the newest may be one the catalogue
    never had (a failure in between, its ``metadata.corrected`` events lost with it). It is applied
    all the same: it is the latest word of a person on the filing and names who made it and when,
    where passing over it would bring back the very values that person corrected. A retry of that
    correction is stored under the next number, and so wins over it in any case."""
    stored = [correction_key(key, number) for number in sorted(numbers)]
    held = set(numbers)
    issues.extend(
        RebuildIssue(
            correction_key(key, number),
            "correction_missing",
            f"correction {number} is not in the store, while {stored[-1]} is: the filing is rebuilt from the "
            "newest held; bring the lost one back from the archive backup (on S3, its earlier version)",
        )
        for number in range(1, max(numbers, default=0))
        if number not in held
    )
    entries = []
    for correction in stored:
        try:
            entries.append(correction_entry(rt.store.stat(correction)))
        except SohoaError as exc:
            issues.append(RebuildIssue(correction, "record_unreadable", str(exc)))
    filing["archive_corrections"] = entries or None
    for correction in reversed(stored):
        try:
            filing.update(corrected_filing(_read_json(rt, correction), filing["id"]))
        except (ValueError, UnicodeDecodeError, SohoaError) as exc:
            issues.append(RebuildIssue(correction, "record_unreadable", str(exc)))
            continue
        return correction
    return None


def _restore_document(
    rt: Runtime, info: ObjectInfo, *, actor: str, text: bool, work: Path, corrections: list[int]
) -> tuple[bool, list[RebuildIssue]]:
    key = info.key
    issues: list[RebuildIssue] = []
    try:
        record = _read_json(rt, companion_key(key))
    except ObjectNotFound:
        record = {}
        issues.append(RebuildIssue(key, "record_missing", "no filing record beside the PDF"))
    except (ValueError, UnicodeDecodeError) as exc:
        record = {}
        issues.append(RebuildIssue(key, "record_unreadable", str(exc)))
    restore = _Restore(key, info, record, issues)
    filing = restore.filing()
    with rt.db.session() as session:
        if document_exists(session, filing["id"]):
            return False, []
    pdf = work / "archived.pdf"
    pages = None
    try:
        rt.store.get_file(key, pdf, verify=True)
    except IntegrityError as exc:
        issues.append(RebuildIssue(key, "integrity", exc.message))
    else:
        try:
            restore.cross_check(_xmp(pdf), filing)
        except pikepdf.PdfError as exc:
            issues.append(RebuildIssue(key, "xmp_mismatch", f"XMP unreadable: {exc}"))
        if text:
            from sohoa.ingest.ocr import extract_text_layer

            pages = extract_text_layer(pdf)
    # After the cross-check: the PDF's XMP carries the filing as archived, not as corrected since.
    correction = _apply_correction(rt, key, corrections, filing, issues)
    lock = locking_store(rt.store).lock_status(key)
    with rt.db.session() as session:
        _insert(session, rt, filing, info, lock.stored_at, pages=pages, actor=actor, key=key, correction=correction)
        record_retention(session, rt.store, filing["id"], key)
        if lock.legal_hold and active_hold(session, filing["id"]) is None:
            add_legal_hold(
                session,
                filing["id"],
                key,
                reason="held in the store when the catalogue was rebuilt",
                placed_by=actor,
                placed_at=utcnow(),
            )
    pdf.unlink(missing_ok=True)
    return True, issues


def _original(rt: Runtime, sha256: str) -> ObjectInfo | None:
    if not sha256:
        return None
    try:
        return rt.store.stat(original_key(sha256))
    except ObjectNotFound:
        return None


def _insert(
    session: Session,
    rt: Runtime,
    filing: dict[str, Any],
    info: ObjectInfo,
    stored_at: datetime | None,
    *,
    pages: tuple[PageText, ...] | None,
    actor: str,
    key: str,
    correction: str | None,
) -> None:
    original = _original(rt, filing["original_sha256"])
    now = utcnow()
    doc = DocumentRecord(
        **filing,
        state=DocumentState.ARCHIVED.value,
        archive_key=key,
        archive_sha256=info.sha256,
        original_key=original.key if original else None,
        original_size=original.size if original else 0,
        original_kind=_KIND_BY_MEDIA.get(original.content_type) if original else None,
        page_count=len(pages) if pages is not None else None,
        archived_at=stored_at,
        updated_at=now,
        created_by=actor,
    )
    if doc.received_at is None:
        doc.received_at = stored_at or now
    add_document(session, doc)
    if doc.original_sha256:
        claim_original(session, doc.original_sha256, doc.id)
    if original is not None and original.content_type == PARTS_MEDIA_TYPE:
        _restore_parts(session, rt, doc, original)
    if pages is not None:
        replace_pages(
            session,
            doc.id,
            [PageRecord(document_id=doc.id, page_index=p.index, text=p.text, source=p.source) for p in pages],
        )
        session.flush()
    doc.search_text = build_search_text(session, doc)
    record_event(
        session,
        actor=actor,
        action="document.state",
        document_id=doc.id,
        to_state=DocumentState.ARCHIVED.value,
        details={"rebuilt_from": key, "sha256": info.sha256, **({"corrected_by": correction} if correction else {})},
    )


def _restore_parts(session: Session, rt: Runtime, doc: DocumentRecord, manifest: ObjectInfo) -> None:
    """A document joined from several files names them again, so none is taken for a leftover."""
    with rt.store.open(manifest.key) as fh:
        try:
            parts = read_manifest(fh.read())
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("the files of %s cannot be named again: %s", doc.id, exc)
            return
    doc.original_kind = PARTS_KIND
    add_parts(session, doc.id, parts)
    for part in parts:
        claim_original(session, part.sha256, doc.id)


def _restore_links(rt: Runtime, keys: list[str], *, issues: list[RebuildIssue]) -> int:
    links = 0
    for key in keys:
        try:
            record = _read_json(rt, key)
            new_id, old_id = str(record["document_id"]), str(record["supersedes"])
        except (ValueError, KeyError, UnicodeDecodeError, SohoaError) as exc:
            issues.append(RebuildIssue(key, "record_unreadable", str(exc)))
            continue
        with rt.db.session() as session:
            if get_supersession(session, new_id) is not None:
                continue
            if not document_exists(session, new_id) or not document_exists(session, old_id):
                # The replacement was never archived (refused or failed): nothing to link.
                issues.append(RebuildIssue(key, "orphan_lineage", f"{new_id} or {old_id} is not in the archive"))
                continue
            add_supersession(
                session,
                SupersessionRecord(
                    new_document_id=new_id,
                    old_document_id=old_id,
                    reason=str(record.get("reason") or ""),
                    actor=str(record.get("actor") or "unknown"),
                    created_at=_moment(record.get("at")) or utcnow(),
                    lineage_key=key,
                ),
            )
            links += 1
    return links


def _restore_renewals(rt: Runtime, copies: list[ObjectInfo], *, actor: str, issues: list[RebuildIssue]) -> int:
    """Link renewed copies to their documents again, each document's in generation order; how many.

    A copy is linked only as the next generation renewing the copy before it (the document's own
    copy for the first generation), as ``renewal_of`` in its object metadata says: linked otherwise,
    it would pass for the newest copy, which verification reads and the next renewal renews, with no
    known way back to the copy the document was archived as. One that does not is a stray, reported
    as a note (archived, it can never be deleted, and a renewal passes over its key), and the chain
    goes on past it. A copy that cannot be read ends its chain: no later generation can renew it."""
    chains: dict[str, list[tuple[int, ObjectInfo]]] = defaultdict(list)
    for info in copies:
        try:
            chains[info.metadata["document_id"]].append((int(info.metadata["generation"]), info))
        except (KeyError, ValueError) as exc:
            issues.append(RebuildIssue(info.key, "record_unreadable", f"renewal metadata: {exc!r}"))
    linked = 0
    for document_id, chain in chains.items():
        with rt.db.session() as session:
            if not document_exists(session, document_id):
                issues.extend(
                    RebuildIssue(info.key, "orphan_renewal", f"{document_id} is not in the catalogue")
                    for _, info in chain
                )
                continue
            last = latest_renewal(session, document_id)
            # The copy the next generation renews, and its timestamp's expiry once read.
            generation, previous, previous_expiry = (
                (last.generation, last.archive_key, last.expires_at)
                if last is not None
                else (0, get_document(session, document_id).archive_key or "", None)
            )
        newest = generation
        # A stray claiming the generation of a copy linked here is reported whether it sorts before or
        # after it; one at or below the catalogue's newest generation cannot be told from its copy.
        for number, info in sorted(chain, key=lambda item: item[0]):
            if number <= newest:
                continue  # in the catalogue already
            renewal_of = info.metadata.get("renewal_of")
            if number != generation + 1 or renewal_of != previous:
                issues.append(
                    RebuildIssue(
                        info.key,
                        "stray_renewal",
                        f"not linked: as generation {number} it renews {renewal_of!r}, "
                        f"where generation {generation + 1} renews {previous!r}",
                    )
                )
                continue
            try:
                renewal = link_stored_renewal(
                    rt, info, number, previous, previous_expiry, actor=actor, rebuilt_from=info.key
                )
            except _UNREADABLE as exc:
                issues.append(
                    RebuildIssue(info.key, "integrity" if isinstance(exc, IntegrityError) else "failed", str(exc))
                )
                break
            linked += 1
            generation, previous, previous_expiry = number, info.key, renewal.expires_at
    return linked


def rebuild_catalogue(rt: Runtime, *, actor: str, text: bool = True) -> RebuildReport:
    """Restore every archived document missing from the catalogue; documents present are left alone."""
    lineage: list[str] = []
    renewed: list[ObjectInfo] = []
    restored: list[str] = []
    present: list[str] = []
    issues: list[RebuildIssue] = []
    # The numbers of the corrections stored beside each PDF (by its key without ".pdf"). Both stores
    # list in whole-key order, so {id}.c{n}.json comes before its {id}.pdf: all are known by then.
    corrections: dict[str, list[int]] = defaultdict(list)
    with tempfile.TemporaryDirectory(dir=rt.settings.work_dir) as tmp:
        for key in rt.store.list("archive/"):
            if key.endswith(LINEAGE_SUFFIX):
                lineage.append(key)  # linked once every document is back
            if correction := parse_correction_key(key):
                corrections[correction[0]].append(correction[1])
            if not key.endswith(".pdf"):
                continue
            try:
                info = rt.store.stat(key)
                if "renewal_of" in info.metadata:
                    renewed.append(info)  # a later copy of a document: linked once the document is back
                    continue
                stored = corrections.pop(key.removesuffix(".pdf"), [])
                done, found = _restore_document(rt, info, actor=actor, text=text, work=Path(tmp), corrections=stored)
            except _UNREADABLE as exc:
                log.warning("could not restore %s", key, exc_info=True)
                issues.append(RebuildIssue(key, "failed", str(exc)))
                continue
            issues.extend(found)
            (restored if done else present).append(PurePosixPath(key).stem)
        renewals = _restore_renewals(rt, renewed, actor=actor, issues=issues)
    links = _restore_links(rt, lineage, issues=issues)
    report = RebuildReport(tuple(restored), tuple(present), links, renewals, tuple(issues))
    with rt.db.session() as session:
        details = report.to_dict()
        details["issues"] = details["issues"][:1000]
        record_event(session, actor=actor, action="catalogue.rebuilt", details=details)
    return report
