"""The archive write: the signed PDF stored under its archive key, the catalogue updated, the work area cleared."""

from __future__ import annotations

import json
import logging
import shutil

from sohoa.core.clock import utcnow
from sohoa.core.domain import DocumentState
from sohoa.core.errors import ProcessingError
from sohoa.pipeline.retention import companion_key, record_retention
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.stages.work import leave_stage, load_work, work_dir, work_key
from sohoa.storage.catalogue import get_document
from sohoa.storage.objectstore import archive_key

__all__ = ["archive_stage"]

log = logging.getLogger(__name__)
S = DocumentState


def archive_stage(rt: Runtime, document_id: str) -> str | None:
    with rt.db.session() as session:
        doc = get_document(session, document_id)
    signed = work_dir(rt, document_id) / "signed.pdf"
    if not load_work(rt, document_id, "signed.pdf", signed):
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
    rt.store.put_file(companion_key(key), record, content_type="application/json", metadata=filing)
    # Idempotent: the store returns the existing object when the same bytes are put again.
    info = rt.store.put_file(key, signed, content_type="application/pdf", metadata=filing)
    rt.store.stat(key)  # read back: the catalogue only points at what the store confirms
    with rt.db.session() as session:
        moved = leave_stage(
            session,
            document_id,
            "archive",
            S.ARCHIVED,
            details={"archive_key": key, "sha256": info.sha256},
            archive_key=key,
            archive_sha256=info.sha256,
            archived_at=utcnow(),
        )
        if moved:
            record_retention(session, rt.store, document_id, key)
    if moved:
        # Every stage output, whichever stages wrote it (a list of names here forgot the newer ones).
        for leftover in list(rt.store.list(work_key(document_id, ""))):
            rt.store.delete(leftover)
        shutil.rmtree(rt.settings.work_dir / document_id, ignore_errors=True)
    return None
