"""Intake: every incoming file is stored whole or not at all, and gets a deliberate outcome.

A file is spooled to the work area while it is hashed, sniffed by content, then either
stored under its content address (``originals/{sha256}``) and catalogued as ``received``,
recognised as a duplicate of an existing original, or refused with a reason code (its
bytes kept in quarantine for inspection). Zip archives expand to one document per entry.

Several files may make one document (one image per page: ``groups``, or one document per folder
of a zip: ``zip_folders``); see :func:`_store_group` for how such a document's originals are kept.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import Any, BinaryIO, Required, TypedDict, Unpack

from sqlalchemy.orm import Session

from sohoa.core.clock import utcnow
from sohoa.core.codes import validate_dossier_code
from sohoa.core.domain import DocumentState, FileKind, SniffResult
from sohoa.core.errors import (
    InputRejected,
    InsufficientStorage,
    ProcessingError,
    SohoaError,
    insufficient_storage,
)
from sohoa.ingest.archive_zip import expand_zip
from sohoa.ingest.grouping import folder_groups, named_groups, stem_groups
from sohoa.ingest.sniff import sniff_file
from sohoa.ingest.splitting import StackPart, split_stack
from sohoa.pipeline.actions.recovery import retry_duplicate
from sohoa.pipeline.diskspace import check_free_space
from sohoa.pipeline.runtime import Runtime
from sohoa.registry.dossiers import COMPONENT, Placement, file_in_dossier, note_duplicate, today
from sohoa.registry.procedures import check_upload_code
from sohoa.storage.catalogue import (
    add_document,
    claim_original,
    create_batch,
    get_batch,
    get_document,
    original_holder,
    record_event,
)
from sohoa.storage.document_parts import PARTS_KIND, PARTS_MEDIA_TYPE, DocumentPart, add_parts, parts_manifest
from sohoa.storage.objectrules import copy_hashing
from sohoa.storage.objectstore import original_key, quarantine_key
from sohoa.storage.records import DocumentRecord

__all__ = [
    "AcceptedDocument",
    "IncomingFile",
    "RejectedFile",
    "UploadOptions",
    "UploadResult",
    "accept_files",
    "accept_paths",
    "group_positions",
    "spool",
]

log = logging.getLogger(__name__)
_CHUNK = 1024 * 1024
ACTIVE_CONTENT = "active_content"  # review reason: a signed input with scripts, actions or attachments
_ZIP_DISK_FULL = "disk_full"  # what expanding a zip onto a full disk raises (ingest.archive_zip)


@dataclass(frozen=True)
class IncomingFile:
    filename: str
    stream: BinaryIO


@dataclass(frozen=True)
class AcceptedDocument:
    id: str
    filename: str
    state: str
    duplicate_of: str | None = None
    parts: tuple[str, ...] = ()  # the files of a document of several, in page order
    # A duplicate: who uploaded the document that holds the file (None: nobody's batch), so an edge
    # can keep another user's document id and state from an uploader who may not see them.
    holder_owner: str | None = None


@dataclass(frozen=True)
class RejectedFile:
    """A refused file and the error that refused it, kept whole: its class says whether trying again
    can help (a storage failure) or not (the input itself), its details what exactly was wrong."""

    filename: str
    error: SohoaError
    document_id: str | None = None  # the document catalogued as rejected, when there is one

    @property
    def code(self) -> str:
        return self.error.code

    @property
    def message(self) -> str:
        return self.error.message


@dataclass(frozen=True)
class UploadResult:
    batch_id: str
    documents: tuple[AcceptedDocument, ...] = ()
    rejected: tuple[RejectedFile, ...] = ()


@dataclass
class _Quarantine:
    """What one upload keeps of refused input, shared by its threads: each distinct file once,
    and no more than ``limit`` bytes in all, so a small zip of many bad entries cannot fill the disk."""

    limit: int
    used: int = 0
    kept: dict[str, str] = field(default_factory=dict)  # sha256 -> quarantine key
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def keep(self, rt: Runtime, sha: str, path: Path, name: str) -> tuple[str | None, str]:
        """The quarantine key of these bytes (None when not kept), and why."""
        with self.lock:
            if sha in self.kept:
                return self.kept[sha], "kept"
            size = path.stat().st_size
            if self.used + size > self.limit:
                return None, "over_request_limit"
            self.used += size  # reserved before the write, so threads cannot overshoot together
        try:
            key = rt.store.put_file(quarantine_key(sha), path, metadata={"filename": name}).key
        except SohoaError as exc:  # quarantine is best effort; the refusal itself stands
            log.warning("could not quarantine %s: %s", name, exc)
            with self.lock:
                self.used -= size
            return None, "store_failed"
        with self.lock:
            self.kept[sha] = key
        return key, "kept"


@dataclass
class _Batch:
    """One upload in progress: where its files go and what became of them."""

    rt: Runtime
    batch_id: str
    procedure_code: str | None
    dossier_code: str | None
    actor: str
    cover_sheets: bool = False
    quarantine: _Quarantine = field(default_factory=lambda: _Quarantine(0))
    placement: Placement = field(default_factory=Placement)  # role in the dossier, owner
    documents: list[AcceptedDocument] = field(default_factory=list)
    rejected: list[RejectedFile] = field(default_factory=list)
    zip_folders: bool = False  # each folder of a zip is one document

    @property
    def filing(self) -> _Filing:
        """The codes the upload was sent with (a part of a stack may carry its own)."""
        return _Filing(self.procedure_code, self.dossier_code)

    def note(self, action: str, details: dict[str, Any]) -> None:
        """An event of this upload, in a transaction of its own."""
        with self.rt.db.session() as session:
            record_event(session, actor=self.actor, action=action, batch_id=self.batch_id, details=details)

    def refuse(self, exc: SohoaError, *names: str) -> None:
        """Files refused before any document was catalogued for them: answered, and audited."""
        for name in names:
            self.rejected.append(RejectedFile(name, exc))
            self.note("upload.rejected", {"filename": name, **exc.event_details()})


@dataclass(frozen=True)
class _Filing:
    """Codes a file is filed under, and why it must be reviewed before signing (if it must)."""

    procedure_code: str | None
    dossier_code: str | None
    review: tuple[str, ...] = ()


def _clean_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/")
    return PurePath(name).name[:255] or "unnamed"


def spool(stream: BinaryIO, dest: Path, max_bytes: int) -> tuple[str, int]:
    """Copy an incoming stream to ``dest`` within ``max_bytes``; its sha256 and size."""
    digest = hashlib.sha256()
    size = 0
    with dest.open("wb") as out:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise InputRejected(f"file larger than the limit of {max_bytes} bytes", code="file_too_large")
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


def _spooled(path: Path, name: str, container: _Spooled) -> _Spooled:
    """A file made in the work area out of another (a zip's entry, a stack's part), hashed where it lies."""
    with path.open("rb") as fh:
        sha, size = copy_hashing(fh)
    return _Spooled(path, name, sha, size, container)


def accept_files(
    rt: Runtime,
    files: Iterable[IncomingFile],
    *,
    procedure_code: str | None,
    dossier_code: str | None = None,
    actor: str,
    source: str = "api",
    cover_sheets: bool = False,
    placement: Placement | None = None,
    groups: Sequence[Sequence[int]] = (),
    zip_folders: bool = False,
) -> UploadResult:
    """Take a batch of incoming files; each one is accepted, a duplicate, or rejected.

    With ``cover_sheets`` each scanned stack is split at its printed cover sheets and every
    part is filed under the codes its sheet carries; the upload's codes are then optional.
    ``placement`` says what the files are in their dossier (result or component) and whose.
    ``groups`` lists the files (0-based positions in ``files``, first page first) that make one
    document each (see :func:`group_positions`); ``zip_folders`` makes each folder inside a zip
    one document, its files in natural name order.
    """
    if procedure_code is None and not cover_sheets:
        raise InputRejected("a procedure code is required", code="procedure_code_required")
    if dossier_code:
        dossier_code = validate_dossier_code(dossier_code)
    placement = placement or Placement()
    if placement.role == COMPONENT and not dossier_code and not cover_sheets:
        raise InputRejected("a component is uploaded into a dossier: give its dossier code", code="dossier_required")
    if cover_sheets and (any(len(g) > 1 for g in groups) or zip_folders):
        # A stack is split into documents at its sheets; joining files is the opposite request.
        raise InputRejected(
            "files joined into one document cannot also be split at cover sheets", code="group_with_cover_sheets"
        )
    check_free_space(rt.settings)
    try:
        return _accept_batch(
            rt,
            files,
            procedure_code=procedure_code,
            dossier_code=dossier_code,
            actor=actor,
            source=source,
            cover_sheets=cover_sheets,
            placement=placement,
            groups=groups,
            zip_folders=zip_folders,
        )
    except OSError as exc:
        # A full disk is the operator's to fix, and the upload's to retry: 507, never a bare 500.
        full = insufficient_storage(exc, "intake")
        if full is None:
            raise
        raise full from exc
    except ProcessingError as exc:
        if exc.code != _ZIP_DISK_FULL:
            raise
        raise InsufficientStorage(exc.message, details=exc.details) from exc


def _accept_batch(
    rt: Runtime,
    files: Iterable[IncomingFile],
    *,
    procedure_code: str | None,
    dossier_code: str | None,
    actor: str,
    source: str,
    cover_sheets: bool,
    placement: Placement,
    groups: Sequence[Sequence[int]] = (),
    zip_folders: bool = False,
) -> UploadResult:
    batch_id = str(uuid.uuid4())
    with rt.db.session() as session:
        if procedure_code is not None:
            procedure_code = check_upload_code(
                session, procedure_code, allow_unknown=rt.settings.accept_unknown_procedures
            )
        create_batch(
            session,
            batch_id=batch_id,
            actor=actor,
            procedure_code=procedure_code,
            dossier_code=dossier_code,
            source=source,
        )
    batch = _Batch(
        rt,
        batch_id,
        procedure_code,
        dossier_code,
        actor,
        cover_sheets,
        _Quarantine(rt.settings.quarantine_max_request_bytes),
        placement=placement,
        zip_folders=zip_folders,
    )
    incoming_dir = rt.settings.work_dir / "incoming" / batch_id
    incoming_dir.mkdir(parents=True, exist_ok=True)
    # Each file's outcome is collected apart and merged in upload order. Storing runs on a few
    # threads: a durable write waits on fsync, and waits overlap where CPU work would not.
    parts: list[_Batch] = []
    # A file of a document of several waits, spooled, until the document's last file is in.
    gathering = _Gathering(groups)
    try:
        with ThreadPoolExecutor(max_workers=max(1, rt.settings.intake_threads)) as pool:
            pending = []
            for number, item in enumerate(files):
                name = _clean_name(item.filename)
                part = replace(batch, documents=[], rejected=[])
                parts.append(part)
                spooled = incoming_dir / f"{number:06d}"
                try:
                    sha, size = spool(item.stream, spooled, rt.settings.max_file_bytes)
                except InputRejected as exc:
                    part.refuse(exc, name)
                    complete = gathering.add(number, name, None)
                    if complete is not None:
                        pending.append(pool.submit(_accept_spooled_group, part, complete))
                    continue
                arrived = _Spooled(spooled, name, sha, size)
                if gathering.wants(number):
                    complete = gathering.add(number, name, arrived)
                    if complete is not None:
                        pending.append(pool.submit(_accept_spooled_group, part, complete))
                    continue
                pending.append(pool.submit(_accept_spooled, part, arrived))
            for leftover in gathering.incomplete():
                part = replace(batch, documents=[], rejected=[])
                parts.append(part)
                pending.append(pool.submit(_accept_spooled_group, part, leftover))
            for future in pending:
                future.result()  # re-raise what a worker thread could not turn into an outcome
    finally:
        shutil.rmtree(incoming_dir, ignore_errors=True)
        for part in parts:
            batch.documents.extend(part.documents)
            batch.rejected.extend(part.rejected)
        # Also when the batch fails part-way (a full disk): what was catalogued is processed now,
        # not only when the sweeper finds it an hour later.
        for i, doc in enumerate(batch.documents):
            if doc.duplicate_of is None:
                rt.enqueue("ocr", doc.id)
            elif doc.state == DocumentState.FAILED.value:
                # The file of a failed document sent again asks for another try, not a dead link.
                retried = retry_duplicate(rt, doc.duplicate_of, actor=actor)
                if retried is not None:
                    batch.documents[i] = replace(doc, state=retried.value)
    return UploadResult(batch_id, tuple(batch.documents), tuple(batch.rejected))


class UploadOptions(TypedDict, total=False):
    """The options of :func:`accept_files` that :func:`accept_paths` passes on as they are."""

    procedure_code: Required[str | None]
    dossier_code: str | None
    actor: Required[str]
    cover_sheets: bool
    placement: Placement | None
    zip_folders: bool


def accept_paths(
    rt: Runtime,
    paths: Iterable[Path],
    *,
    one_document: bool = False,
    group_by: str | None = None,
    **options: Unpack[UploadOptions],
) -> UploadResult:
    """CLI intake: files and folders (recursively, in name order), with the options of :func:`accept_files`.

    ``one_document``: all the files are the pages of one document, in the order given;
    ``group_by="stem"``: files named ``stem_p1``, ``stem_p2``... (or ``stem-1``, ``stem_2``) in one
    folder are one document each, by page number.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file()))
        else:
            files.append(path)
    groups: list[list[int]] = []
    if one_document:
        groups = [list(range(len(files)))]
    elif group_by == "stem":
        groups = stem_groups([str(p) for p in files])
    elif group_by is not None:
        raise InputRejected(f"cannot group files by {group_by!r} (stem)", code="invalid_request")

    def opened() -> Iterable[IncomingFile]:
        for path in files:
            with path.open("rb") as fh:
                yield IncomingFile(path.name, fh)

    return accept_files(rt, opened(), source="cli", groups=groups, **options)


def _accept_spooled(batch: _Batch, arrived: _Spooled) -> None:
    try:
        _accept_one(batch, arrived)
    finally:
        arrived.path.unlink(missing_ok=True)


def _accept_one(batch: _Batch, file: _Spooled) -> None:
    try:
        sniff = sniff_file(file.path, max_pages=batch.rt.settings.max_pages)
    except InputRejected as exc:
        _reject(batch, file, exc)
        return
    if sniff.kind is FileKind.ZIP:
        if file.container is not None:
            _reject(batch, file, InputRejected("zip inside a zip is not accepted", code="nested_zip"))
        else:
            _accept_zip(batch, file)
        return
    # Splitting rewrites pages, so a signed PDF is always kept whole.
    if batch.cover_sheets and not sniff.signed:
        _accept_stack(batch, file, sniff)
        return
    _store_original(batch, file, sniff, batch.filing)


def _accept_zip(batch: _Batch, file: _Spooled) -> None:
    dest = file.path.with_name(file.path.name + ".zip.d")
    try:
        expansion = expand_zip(file.path, dest)
    except InputRejected as exc:
        _reject(batch, file, exc)
        return
    try:
        batch.note(
            "upload.zip",
            {
                "filename": file.name,
                "sha256": file.sha,
                "entries": len(expansion.accepted),
                "refused": len(expansion.rejected),
            },
        )
        for refused in expansion.rejected:
            batch.refuse(InputRejected(refused.message, code=refused.code), f"{file.name}/{refused.name}")
        joined: set[int] = set()
        if batch.zip_folders:
            for folder, positions in folder_groups([m.name for m in expansion.accepted]):
                joined.update(positions)
                members = [
                    _spooled(expansion.accepted[p].path, f"{file.name}/{expansion.accepted[p].name}", file)
                    for p in positions
                ]
                _accept_group(batch, members, label=f"{file.name}/{folder}")
        for position, member in enumerate(expansion.accepted):
            if position not in joined:
                _accept_one(batch, _spooled(member.path, f"{file.name}/{member.name}", file))
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def _accept_stack(batch: _Batch, file: _Spooled, sniff: SniffResult) -> None:
    """A scanned stack of dossiers, each behind its cover sheet: one document per part."""
    work = file.path.with_name(file.path.name + ".split")
    try:
        parts = split_stack(file.path, sniff.kind, work)
        if len(parts) == 1 and parts[0].sheet_index is None:
            _store_original(batch, file, sniff, _part_filing(batch, None))
            return
        batch.note("upload.stack", {"filename": file.name, "sha256": file.sha, "parts": len(parts)})
        # Each part is catalogued as coming out of the stack, or out of the zip the stack came in.
        stack = file.container or file
        for number, part in enumerate(parts, start=1):
            _store_original(
                batch,
                _spooled(part.pdf_path, f"{file.name}#{number}", stack),
                SniffResult(kind=FileKind.PDF, page_count=len(part.page_indices)),
                _part_filing(batch, part),
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _part_filing(batch: _Batch, part: StackPart | None) -> _Filing:
    if part is None or part.sheet_index is None:
        # Pages before the first sheet belong to the upload's codes, or to review without them.
        if batch.procedure_code is None:
            return _Filing(None, batch.dossier_code, ("no_filing_codes",))
        return batch.filing
    reasons: tuple[str, ...] = ()
    if part.needs_review:
        reasons = (part.review_reason or "cover_sheet_uncertain",)
    if part.procedure_code is None:
        # Never fall back to the upload's codes: an unreadable sheet must not file pages wrongly.
        return _Filing(None, None, reasons or ("cover_sheet_unreadable",))
    return _Filing(part.procedure_code, part.dossier_code, reasons)


def _store_original(batch: _Batch, file: _Spooled, sniff: SniffResult, filing: _Filing) -> None:
    rt = batch.rt
    name, sha = file.name, file.sha
    document_id = str(uuid.uuid4())
    if sniff.signed and sniff.active_content:
        # A signed file that can run code when opened: a person decides, and it is never
        # countersigned as it is (the sign stage signs a clean rendition carrying it instead).
        filing = replace(filing, review=(*filing.review, ACTIVE_CONTENT))
    try:
        with rt.db.session() as session:
            holder = original_holder(session, sha)
            if holder is not None:
                _record_duplicate(session, batch, holder, file)
                return
        # Stored before the claim, outside any transaction: SQLite's one writer is not held while
        # the bytes are fsynced. A crash or a lost race leaves at most a content-addressed object
        # no document names, which the next upload of the file reuses or the start-up cleanup removes.
        info = rt.store.put_file(
            original_key(sha), file.path, content_type=sniff.kind.media_type, metadata={"filename": name}
        )
        # The claim and the document commit together or not at all.
        with rt.db.session() as session:
            holder = claim_original(session, sha, document_id)
            if holder is not None:  # another upload of the same file won meanwhile
                _record_duplicate(session, batch, holder, file)
                return
            _add_document(
                session,
                batch,
                document_id,
                file,
                DocumentState.RECEIVED,
                filing,
                details={
                    "filename": name,
                    "sha256": sha,
                    "kind": sniff.kind.value,
                    "pages": sniff.page_count,
                    "notes": list(sniff.notes),
                    "kept_signature": sniff.signed,
                    "review": list(filing.review),
                    **({"active_content": list(sniff.active_content)} if sniff.active_content else {}),
                },
                original_key=info.key,
                original_kind=sniff.kind.value,
                page_count=sniff.page_count,
                kept_signature=sniff.signed,
            )
            if filing.dossier_code:
                _place(session, batch, document_id, filing)
    except InsufficientStorage:
        raise  # the whole upload is answered 507: the next file would not fit either
    except SohoaError as exc:
        log.warning("could not store %s: %s", name, exc)
        batch.refuse(exc, name)
        return
    batch.documents.append(AcceptedDocument(document_id, name, DocumentState.RECEIVED.value))


def _place(session: Session, batch: _Batch, document_id: str, filing: _Filing) -> None:
    """The document's role in its dossier and its owner, committed with the document."""
    assert filing.dossier_code is not None
    p = batch.placement
    file_in_dossier(
        session,
        document_id,
        filing.dossier_code,
        p,
        procedure_code=filing.procedure_code,
        actor=batch.actor,
    )


def _record_duplicate(session: Session, batch: _Batch, holder: str, file: _Spooled) -> None:
    held = get_document(session, holder)
    state = held.state
    owner = get_batch(session, held.batch_id).created_by if held.batch_id else None
    # A component sent again although the owner's reusable copy is on file: counted, the copy offered.
    note_duplicate(session, holder, batch.dossier_code, batch.placement, actor=batch.actor, day=today())
    # Another user's document: the event stays in the audit log, but out of this batch's event stream
    # (which the uploader follows), so it does not name a document the uploader may not see.
    own = owner == batch.actor
    details = {"filename": file.name, "sha256": file.sha}
    if not own:
        details["batch"] = batch.batch_id
    record_event(
        session,
        actor=batch.actor,
        action="upload.duplicate",
        document_id=holder,
        batch_id=batch.batch_id if own else None,
        details=details,
    )
    batch.documents.append(AcceptedDocument(holder, file.name, state, duplicate_of=holder, holder_owner=owner))


def _add_document(
    session: Session,
    batch: _Batch,
    document_id: str,
    file: _Spooled,
    state: DocumentState,
    filing: _Filing,
    *,
    details: dict[str, Any],
    **fields: Any,
) -> None:
    """Catalogue one incoming file in its first state, filed under ``filing``'s codes (review reasons
    with them) and under the zip or stack it came out of, with the event that says so."""
    now = utcnow()
    add_document(
        session,
        DocumentRecord(
            id=document_id,
            batch_id=batch.batch_id,
            filename=file.name,
            state=state.value,
            original_sha256=file.sha,
            original_size=file.size,
            received_at=now,
            updated_at=now,
            created_by=batch.actor,
            procedure_code=filing.procedure_code,
            dossier_code=filing.dossier_code,
            review_reasons=list(filing.review) or None,
            container_sha256=file.container.sha if file.container is not None else None,
            **fields,
        ),
    )
    record_event(
        session,
        actor=batch.actor,
        action="document.state",
        document_id=document_id,
        batch_id=batch.batch_id,
        to_state=state.value,
        details=details,
    )


def _reject(batch: _Batch, file: _Spooled, exc: InputRejected) -> None:
    """Refused input is catalogued as ``rejected`` and its bytes kept in quarantine.

    A refused zip entry keeps its container, once per upload, not each entry: forty bad entries
    of 5 MiB in a 1.3 MB zip are 1.3 MB of quarantine, not 200 MB."""
    rt = batch.rt
    document_id = str(uuid.uuid4())
    container = file.container
    if container is not None:
        key, outcome = batch.quarantine.keep(rt, container.sha, container.path, container.name)
    else:
        key, outcome = batch.quarantine.keep(rt, file.sha, file.path, file.name)
    details: dict[str, Any] = {"filename": file.name, **exc.event_details(), "quarantine": key}
    if container is not None:
        details["quarantine_of"] = "container"
    if key is None:
        details["quarantine_skipped"] = outcome
    with rt.db.session() as session:
        _add_document(
            session,
            batch,
            document_id,
            file,
            DocumentState.REJECTED,
            batch.filing,
            details=details,
            reason_code=exc.code,
            reason_message=exc.message,
            original_key=key,
        )
    batch.rejected.append(RejectedFile(file.name, exc, document_id))


def group_positions(filenames: Sequence[str], groups: Sequence[Sequence[str]]) -> list[list[int]]:
    """The files each named group joins (positions in ``filenames``), checked before anything is
    stored: a name no uploaded file has, or one that names two files, is refused (422)."""
    return named_groups(filenames, groups)


@dataclass(frozen=True)
class _Spooled:
    """One incoming file: where its bytes wait, what they are, and the zip or stack it came out of."""

    path: Path
    name: str
    sha: str
    size: int
    # Catalogued as the document's container; what quarantine keeps, once, when an entry of a zip is refused.
    container: _Spooled | None = None


@dataclass(frozen=True)
class _Gathered:
    """The files of one document of several as they arrived, in page order."""

    members: tuple[_Spooled, ...]
    refused: tuple[str, ...] = ()  # files refused before they could be read (too large)
    missing: int = 0  # files the group named that the upload did not hold


class _Gathering:
    """Collects the files of each group as the upload streams in; hands a group on when whole."""

    def __init__(self, groups: Sequence[Sequence[int]]) -> None:
        self._groups = [tuple(g) for g in groups if len(g) > 1]  # one file is a document as it is
        self._group_of = {position: g for g, members in enumerate(self._groups) for position in members}
        self._got: dict[int, dict[int, tuple[str, _Spooled | None]]] = {}
        self._handed: set[int] = set()

    def wants(self, position: int) -> bool:
        return position in self._group_of

    def add(self, position: int, name: str, spooled: _Spooled | None) -> _Gathered | None:
        """Record one file (None: refused); the group when this was its last file."""
        g = self._group_of.get(position)
        if g is None:
            return None
        got = self._got.setdefault(g, {})
        got[position] = (name, spooled)
        if len(got) < len(self._groups[g]):
            return None
        self._handed.add(g)
        return self._gathered(g)

    def incomplete(self) -> list[_Gathered]:
        """Groups some of whose files never came: what came is refused, not stored alone."""
        return [self._gathered(g) for g in sorted(self._got) if g not in self._handed]

    def _gathered(self, g: int) -> _Gathered:
        got = self._got.get(g, {})
        order = [p for p in self._groups[g] if p in got]
        return _Gathered(
            members=tuple(s for p in order if (s := got[p][1]) is not None),
            refused=tuple(got[p][0] for p in order if got[p][1] is None),
            missing=len(self._groups[g]) - len(order),
        )


def _group_label(names: Sequence[str]) -> str:
    """What a document of several files is called: its first file, and how many follow."""
    return f"{names[0]} (+{len(names) - 1})"[:512]


def _accept_spooled_group(batch: _Batch, gathered: _Gathered) -> None:
    try:
        if gathered.refused or gathered.missing:
            because = gathered.refused[0] if gathered.refused else f"{gathered.missing} of its files"
            _refuse_members(batch, gathered.members, because=because)
            return
        _accept_group(batch, list(gathered.members), label=_group_label([m.name for m in gathered.members]))
    finally:
        for member in gathered.members:
            member.path.unlink(missing_ok=True)


def _refuse_members(batch: _Batch, members: Sequence[_Spooled], *, because: str) -> None:
    """The other files of a document one of whose files was refused: nothing of it is stored."""
    exc = InputRejected(
        f"{because} was refused, and this file is a page of the same document: nothing of the document was stored",
        code="group_incomplete",
        details={"because": because},
    )
    batch.refuse(exc, *(m.name for m in members))


def _accept_group(batch: _Batch, members: list[_Spooled], *, label: str) -> None:
    """Files that make one document: each checked as any upload is, then stored together."""
    if len(members) == 1:
        _accept_one(batch, members[0])
        return
    sniffs: list[SniffResult] = []
    for member in members:
        try:
            sniff = sniff_file(member.path, max_pages=batch.rt.settings.max_pages)
            if sniff.kind is FileKind.ZIP:
                raise InputRejected(
                    "a zip cannot be a page of a document: send the files in it", code="group_member_zip"
                )
            if sniff.signed:
                # Joining rewrites the pages into one new PDF: the signature would no longer hold.
                raise InputRejected(
                    "a signed PDF cannot be joined with other files: its signature would break; send it alone",
                    code="group_member_signed",
                )
        except InputRejected as exc:
            _reject(batch, member, exc)
            _refuse_members(batch, [m for m in members if m is not member], because=member.name)
            return
        sniffs.append(sniff)
    pages = sum(s.page_count for s in sniffs)
    if pages > batch.rt.settings.max_pages:
        too_many = InputRejected(
            f"the document has {pages} pages, more than the limit of {batch.rt.settings.max_pages}",
            code="too_many_pages",
            details={"pages": pages},
        )
        batch.refuse(too_many, *(m.name for m in members))
        return
    _store_group(batch, members, sniffs, label=label)


def _store_group(batch: _Batch, members: Sequence[_Spooled], sniffs: Sequence[SniffResult], *, label: str) -> None:
    """Catalogue one document made of several files, keeping each file as its original.

    How a multi-file original is kept, and why:

    - Each file is stored whole under its own content address (``originals/{sha256}``), exactly
      as a single upload is: a page is kept as it came, and a file already in the store (the
      same page sent before) is the same object, not a second copy.
    - The document names its files in page order (``document_parts``), and its own
      ``original_sha256`` is the hash of that ordered list (``storage.document_parts.parts_manifest``),
      stored beside the files as ``originals/{that hash}``. Claimed in ``originals`` like a
      single file's hash, it makes duplicate detection race-free for the document as a whole:
      the same pages in the same order sent again find this document; other pages, or the same
      pages in another order, are another document.
    - Each file's own hash is claimed for the document too when nobody holds it yet, so a page
      later sent alone is answered as part of this document instead of becoming a one-page
      document of its own. A file another document already holds stays that document's (the
      same photo sent alone yesterday by mistake): joining it here is the correction, not a
      duplicate.
    - Every file is in the store before the catalogue commits; the claims, the document and its
      parts commit together or not at all. A crash in between leaves only content-addressed
      objects no document names, which the leftover cleanup removes (it knows parts), so the
      document is stored whole or not at all, like a single file.
    """
    rt = batch.rt
    document_id = str(uuid.uuid4())
    parts = [
        DocumentPart(m.sha, m.name, s.kind.value, s.page_count, m.size) for m, s in zip(members, sniffs, strict=True)
    ]
    manifest = parts_manifest(parts)
    # The document as one file: the list of its files, which is stored as its original; its size is
    # all of its files', which is what the catalogue counts as a document's original.
    whole = _Spooled(
        members[0].path.with_name(members[0].path.name + ".parts.json"),
        label,
        hashlib.sha256(manifest).hexdigest(),
        sum(p.size for p in parts),
        container=next((m.container for m in members if m.container is not None), None),
    )
    filing = batch.filing
    names = [m.name for m in members]
    try:
        with rt.db.session() as session:
            holder = original_holder(session, whole.sha)
            if holder is not None:
                _record_duplicate(session, batch, holder, whole)
                _name_parts(batch, names)
                return
        for member, sniff in zip(members, sniffs, strict=True):
            rt.store.put_file(
                original_key(member.sha),
                member.path,
                content_type=sniff.kind.media_type,
                metadata={"filename": member.name},
            )
        whole.path.write_bytes(manifest)
        try:
            info = rt.store.put_file(
                original_key(whole.sha), whole.path, content_type=PARTS_MEDIA_TYPE, metadata={"filename": label}
            )
        finally:
            whole.path.unlink(missing_ok=True)
        with rt.db.session() as session:
            holder = claim_original(session, whole.sha, document_id)
            if holder is not None:  # the same files in the same order won meanwhile
                _record_duplicate(session, batch, holder, whole)
                _name_parts(batch, names)
                return
            for part in parts:
                claim_original(session, part.sha256, document_id)  # held by another document: stays theirs
            _add_document(
                session,
                batch,
                document_id,
                whole,
                DocumentState.RECEIVED,
                filing,
                details={
                    "filename": label,
                    "sha256": whole.sha,
                    "kind": PARTS_KIND,
                    "pages": sum(p.page_count for p in parts),
                    "files": [
                        {"filename": p.filename, "sha256": p.sha256, "kind": p.kind, "pages": p.page_count}
                        for p in parts
                    ],
                    "notes": [note for s in sniffs for note in s.notes],
                    "kept_signature": False,
                    "review": [],
                },
                original_key=info.key,
                original_kind=PARTS_KIND,
                page_count=sum(p.page_count for p in parts),
                kept_signature=False,
            )
            add_parts(session, document_id, parts)
            if filing.dossier_code:
                _place(session, batch, document_id, filing)
    except InsufficientStorage:
        raise
    except SohoaError as exc:
        log.warning("could not store the document %s: %s", label, exc)
        batch.refuse(exc, *names)
        return
    batch.documents.append(AcceptedDocument(document_id, label, DocumentState.RECEIVED.value, parts=tuple(names)))


def _name_parts(batch: _Batch, names: Sequence[str]) -> None:
    """The answer for a document of several files names them, a duplicate's too: an uploader
    sees each of the files sent accounted for."""
    batch.documents[-1] = replace(batch.documents[-1], parts=tuple(names))
