"""Stage tasks over a document id.

Each task reads its inputs from the object store and catalogue, runs a plain stage
function, writes outputs to the document's work area (``work/{document_id}/``) and moves
the state in one transaction with one event. A task for a document that is no longer in
the task's input state does nothing, so redelivered or repeated jobs are harmless.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sohoa.core.clock import utcnow
from sohoa.core.domain import DocumentState, FileKind, PageText
from sohoa.core.errors import InputRejected, ProcessingError, SohoaError, StorageError, insufficient_storage
from sohoa.core.text import nfc
from sohoa.pipeline.indexing import build_search_text
from sohoa.pipeline.retention import record_retention
from sohoa.pipeline.runtime import Runtime, worker_identity
from sohoa.pipeline.signing_ops import hold_for_signer, sign_document
from sohoa.storage.catalogue import Claim, claim_document, get_document, release_document, replace_pages, transition
from sohoa.storage.objectstore import archive_key
from sohoa.storage.records import DocumentRecord, PageRecord

__all__ = ["STAGE_INPUTS", "TransientFailure", "run_task", "work_dir", "worker_identity"]

log = logging.getLogger(__name__)
SYSTEM = "system"
S = DocumentState

# The states each task consumes; anything else means the job is stale.
STAGE_INPUTS: dict[str, tuple[DocumentState, ...]] = {
    "ocr": (S.RECEIVED,),
    "extract": (S.OCR_DONE,),
    "sign": (S.EXTRACTED, S.APPROVED),
    "archive": (S.SIGNED,),
}


def work_dir(rt: Runtime, document_id: str) -> Path:
    path = rt.settings.work_dir / document_id
    path.mkdir(parents=True, exist_ok=True)
    return path


class TransientFailure(Exception):
    """The stage could not run for a reason that passes (store or database unreachable, lease held)."""


def _is_transient(exc: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, StorageError):
        return exc.retryable
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def run_task(rt: Runtime, task: str, document_id: str, *, final_attempt: bool = True) -> None:
    """Run one stage of one document.

    Failures are recorded on the document (``rejected`` for bad input, ``failed`` otherwise).
    Transient failures raise ``TransientFailure`` unless this is the final attempt, so a
    queue with retries can try again later; the document keeps its state meanwhile.
    """
    stage = _STAGES[task]
    owner = worker_identity()
    try:
        with rt.db.session() as session:
            claim = claim_document(
                session, document_id, expected=STAGE_INPUTS[task], owner=owner, seconds=rt.settings.lease_seconds
            )
    except Exception as exc:
        if _is_transient(exc) and not final_attempt:
            raise TransientFailure(str(exc)) from exc
        raise
    if claim is Claim.STALE:
        log.info("skip %s for %s: no longer in its input state", task, document_id)
        return
    if claim is Claim.BUSY:
        if final_attempt:
            return  # another worker has it; if that worker dies, the sweeper re-enqueues after the lease
        raise TransientFailure(f"document {document_id} is being processed by another worker")
    try:
        next_task = stage(rt, document_id)
    except InputRejected as exc:
        _fail(rt, document_id, task, DocumentState.REJECTED, exc)
        return
    except Exception as exc:
        if _is_transient(exc):
            _release(rt, document_id, owner)
            if not final_attempt:
                raise TransientFailure(str(exc)) from exc
        full = insufficient_storage(exc, "work area")  # a full disk is retried once space returns
        if full is not None:
            _fail(rt, document_id, task, DocumentState.FAILED, full)
        elif isinstance(exc, SohoaError):
            _fail(rt, document_id, task, DocumentState.FAILED, exc)
        else:  # a bug or an unforeseen library error: fail this document alone
            log.exception("task %s crashed on %s", task, document_id)
            _fail(rt, document_id, task, DocumentState.FAILED, SohoaError(repr(exc)))
        return
    if next_task:
        rt.enqueue(next_task, document_id)


def _release(rt: Runtime, document_id: str, owner: str) -> None:
    try:
        with rt.db.session() as session:
            release_document(session, document_id, owner=owner)
    except Exception:  # the lease expires by itself
        log.warning("could not release %s", document_id, exc_info=True)


def _fail(rt: Runtime, document_id: str, task: str, to: DocumentState, exc: SohoaError) -> None:
    with rt.db.session() as session:
        doc = get_document(session, document_id)
        transition(
            session,
            document_id,
            expected=STAGE_INPUTS[task],
            to=to,
            actor=SYSTEM,
            details={"task": task, "message": exc.message, **exc.details},
            reason_code=exc.code,
            reason_message=exc.message,
            attempts=doc.attempts + 1,
        )


def _work_key(document_id: str, name: str) -> str:
    return f"work/{document_id}/{name}"


def _save_work(rt: Runtime, document_id: str, name: str, path: Path) -> None:
    """Stage outputs go to the object store: the next stage may run on another machine."""
    rt.store.put_file(_work_key(document_id, name), path, content_type="application/pdf")


def _load_work(rt: Runtime, document_id: str, name: str, dest: Path) -> bool:
    key = _work_key(document_id, name)
    if not rt.store.exists(key):
        return False
    rt.store.get_file(key, dest, verify=True)
    return True


def _fetch_original(rt: Runtime, doc: DocumentRecord, dest_dir: Path) -> Path:
    assert doc.original_key is not None
    dest = dest_dir / f"original.{doc.original_kind or 'bin'}"
    if not dest.exists():
        rt.store.get_file(doc.original_key, dest, verify=True)
    return dest


def _progress_for(rt: Runtime, document_id: str) -> Callable[[int, int], None] | None:
    hook = rt.progress
    if hook is None:
        return None
    return lambda done, total: hook(document_id, done, total)


def ocr_stage(rt: Runtime, document_id: str) -> str | None:
    from sohoa.ingest.ocr import extract_text_layer, make_searchable_pdf

    with rt.db.session() as session:
        doc = get_document(session, document_id)
    work = work_dir(rt, document_id)
    original = _fetch_original(rt, doc, work)
    output = work / "ocr.pdf"
    kind = FileKind(doc.original_kind or "pdf")
    if doc.kept_signature:
        # Any rewrite would break the existing signatures: keep the bytes, read the text layer.
        pages: tuple[PageText, ...] = extract_text_layer(original)
        shutil.copyfile(original, output)
        confidence = None
        photo_details: dict[str, list[int]] = {}
        photo_reasons: tuple[str, ...] = ()
    else:
        result = make_searchable_pdf(
            original,
            kind,
            output,
            work / "scratch",
            engine=rt.ocr_engine(),
            languages=rt.settings.ocr_languages,
            processes=rt.settings.ocr_processes,
            xmp={
                "title": doc.filename,
                "procedure_code": doc.procedure_code or "",
                "dossier_code": doc.dossier_code or "",
                "original_sha256": doc.original_sha256,
                "document_id": doc.id,
            },
            progress=_progress_for(rt, document_id),
        )
        pages, confidence = result.pages, result.mean_confidence
        # Which pages were photos (flattened, or read as shot): the event says; a photo read as
        # shot waits for a person, through the reasons the extract stage keeps under every policy.
        photo_details, photo_reasons = result.event_details(), result.review_reasons
    _save_work(rt, document_id, "ocr.pdf", output)
    _save_pages(rt, document_id, pages, work)
    with rt.db.session() as session:
        replace_pages(
            session,
            document_id,
            [
                PageRecord(
                    document_id=document_id,
                    page_index=p.index,
                    text=nfc(p.text),
                    source=p.source,
                    confidence=p.confidence,
                )
                for p in pages
            ],
        )
        moved = transition(
            session,
            document_id,
            expected=STAGE_INPUTS["ocr"],
            to=S.OCR_DONE,
            actor=SYSTEM,
            details={"pages": len(pages), "mean_confidence": confidence, **photo_details},
            page_count=len(pages),
            mean_confidence=confidence,
            reason_code=None,
            reason_message=None,
            **(
                {"review_reasons": list(dict.fromkeys([*(doc.review_reasons or ()), *photo_reasons]))}
                if photo_reasons
                else {}
            ),
        )
    return "extract" if moved else None


def _save_pages(rt: Runtime, document_id: str, pages: tuple[PageText, ...], work: Path) -> None:
    """The pages with their word boxes, for the extract stage's layout reading (the catalogue keeps text only)."""
    from sohoa.ingest.metadata.pagejson import PAGES_NAME, dump_pages

    path = work / PAGES_NAME
    path.write_bytes(dump_pages(pages))
    rt.store.put_file(_work_key(document_id, PAGES_NAME), path, content_type="application/json")


def _stage_pages(rt: Runtime, document_id: str, page_rows: list[PageRecord]) -> list[PageText]:
    """The OCR stage's pages with word boxes; the catalogue's page texts for documents OCRed before it kept them."""
    from sohoa.ingest.metadata.pagejson import PAGES_NAME, load_pages

    dest = work_dir(rt, document_id) / PAGES_NAME
    if _load_work(rt, document_id, PAGES_NAME, dest):
        try:
            return list(load_pages(dest.read_bytes()))
        except ValueError:
            log.warning("unreadable %s for %s: reading the page texts", PAGES_NAME, document_id)
    return [
        PageText(
            index=p.page_index,
            text=p.text,
            source="ocr" if p.source == "ocr" else "text_layer",
            confidence=p.confidence,
        )
        for p in page_rows
    ]


def _look_again(rt: Runtime, document_id: str) -> Callable[[int], PageText | None]:
    """A second reading of one page of the OCR stage's PDF (darkest ink only: under a seal), on demand."""

    def look(index: int) -> PageText | None:
        from sohoa.ingest.metadata.second_look import dark_ink_page

        work = work_dir(rt, document_id)
        if not _load_work(rt, document_id, "ocr.pdf", work / "ocr.pdf"):
            return None
        return dark_ink_page(
            work / "ocr.pdf", index, work / "again", engine=rt.ocr_engine(), languages=rt.settings.ocr_languages
        )

    return look


def extract_stage(rt: Runtime, document_id: str) -> str | None:
    from sqlalchemy import select

    from sohoa.ingest.metadata.filing import file_document

    with rt.db.session() as session:
        doc = get_document(session, document_id)
        page_rows = list(
            session.scalars(
                select(PageRecord).where(PageRecord.document_id == document_id).order_by(PageRecord.page_index)
            )
        )
    # the same function as ``sohoa extract`` and bench/metadata.py, on the OCR stage's own reading
    filing = file_document(
        _stage_pages(rt, document_id, page_rows),
        policy=rt.settings.review_policy,
        upload_procedure_code=doc.procedure_code,
        upload_dossier_code=doc.dossier_code,
        intake_reasons=tuple(doc.review_reasons or ()),
        look_again=None if doc.kept_signature else _look_again(rt, document_id),
    )
    reasons = filing.reasons
    to = S.NEEDS_REVIEW if reasons else S.EXTRACTED
    with rt.db.session() as session:
        moved = transition(
            session,
            document_id,
            expected=STAGE_INPUTS["extract"],
            to=to,
            actor=SYSTEM,
            details={"review_reasons": list(reasons)} if reasons else {},
            metadata_json=filing.record(),
            review_reasons=list(reasons) or None,
            dossier_code=doc.dossier_code or filing.printed.dossier_code,
        )
        if moved:
            fresh = get_document(session, document_id)
            fresh.search_text = build_search_text(session, fresh)
    return "sign" if moved and to is S.EXTRACTED else None


def sign_stage(rt: Runtime, document_id: str) -> str | None:
    work = work_dir(rt, document_id)
    source, signed, receipt = work / "ocr.pdf", work / "signed.pdf", work / "signature.json"
    if _load_work(rt, document_id, "signed.pdf", signed) and _load_work(rt, document_id, "signature.json", receipt):
        # A crash after signing but before the state moved: reuse the signed bytes so the
        # archive never holds two different signed copies of one document.
        outcome = json.loads(receipt.read_text())
        outcome["reused"] = True
    else:
        if hold_for_signer(rt, document_id):
            # The key cannot sign (e.g. an expired certificate): the document waits where it is and
            # the sweeper brings it back once the key is fit again. Nothing is lost.
            return None
        if not _load_work(rt, document_id, "ocr.pdf", source):
            raise ProcessingError("the OCR output is missing from the work area", code="work_missing")
        outcome = sign_document(rt, document_id, source, signed)
        receipt.write_text(json.dumps(outcome))
        _save_work(rt, document_id, "signed.pdf", signed)
        _save_work(rt, document_id, "signature.json", receipt)
    fields = {k: outcome[k] for k in ("signer_subject", "signer_fingerprint", "signature_level") if k in outcome}
    fields["signed_at"] = datetime.fromisoformat(outcome["signed_at"])
    with rt.db.session() as session:
        moved = transition(
            session,
            document_id,
            expected=STAGE_INPUTS["sign"],
            to=S.SIGNED,
            actor=SYSTEM,
            details={k: v for k, v in outcome.items() if k != "signed_at"},
            **fields,
        )
    return "archive" if moved else None


def archive_stage(rt: Runtime, document_id: str) -> str | None:
    with rt.db.session() as session:
        doc = get_document(session, document_id)
    signed = work_dir(rt, document_id) / "signed.pdf"
    if not _load_work(rt, document_id, "signed.pdf", signed):
        raise ProcessingError("the signed PDF is missing from the work area", code="work_missing")
    assert doc.procedure_code is not None
    key = archive_key(doc.procedure_code, doc.received_at.year, doc.id)
    filing = {
        "document_id": doc.id,
        "procedure_code": doc.procedure_code,
        "dossier_code": doc.dossier_code or "",
        "original_sha256": doc.original_sha256,
        "signed_at": doc.signed_at.isoformat() if doc.signed_at else "",
    }
    # The full filing record rides beside the PDF: S3 caps object metadata at 2 KiB, and a
    # catalogue lost with its database must be rebuildable from the archive alone.
    record = work_dir(rt, document_id) / "record.json"
    record.write_text(
        json.dumps(
            {
                **filing,
                "filename": doc.filename,
                "received_at": doc.received_at.isoformat(),
                "metadata": doc.metadata_json or {},
                "signer_subject": doc.signer_subject,
                "signature_level": doc.signature_level,
            },
            ensure_ascii=False,
            sort_keys=True,
            indent=1,
        )
    )
    rt.store.put_file(key.removesuffix(".pdf") + ".json", record, content_type="application/json", metadata=filing)
    # Idempotent: the store returns the existing object when the same bytes are put again.
    info = rt.store.put_file(key, signed, content_type="application/pdf", metadata=filing)
    rt.store.stat(key)  # read back: the catalogue only points at what the store confirms
    with rt.db.session() as session:
        moved = transition(
            session,
            document_id,
            expected=STAGE_INPUTS["archive"],
            to=S.ARCHIVED,
            actor=SYSTEM,
            details={"archive_key": key, "sha256": info.sha256},
            archive_key=key,
            archive_sha256=info.sha256,
            archived_at=utcnow(),
        )
        if moved:
            record_retention(session, rt.store, document_id, key)
    if moved:
        for name in ("ocr.pdf", "pages.json", "signed.pdf", "signature.json"):
            if rt.store.exists(_work_key(document_id, name)):
                rt.store.delete(_work_key(document_id, name))
        shutil.rmtree(rt.settings.work_dir / document_id, ignore_errors=True)
    return None


_STAGES: dict[str, Callable[[Runtime, str], str | None]] = {
    "ocr": ocr_stage,
    "extract": extract_stage,
    "sign": sign_stage,
    "archive": archive_stage,
}
