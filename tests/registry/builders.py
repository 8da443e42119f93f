"""Test data built in code: register files and documents inserted directly as catalogue records."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from sohoa.core.domain import DocumentState
from sohoa.storage.records import DocumentRecord

__all__ = ["CANONICAL_HEADER", "add_document", "dossier_code", "register_csv"]

CANONICAL_HEADER = (
    "dossier_code",
    "procedure_code",
    "procedure_name",
    "field",
    "received_date",
    "resolved_date",
    "result_type",
)


def dossier_code(day: date, sequence: int) -> str:
    return f"000.00.32.H19-{day:%y%m%d}-{sequence:04d}"


def register_csv(rows: Iterable[Sequence[object]], header: Sequence[str] = CANONICAL_HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, date) else v) for v in row])
    return out.getvalue().encode()


def add_document(
    session: Session,
    *,
    dossier: str | None,
    state: DocumentState,
    procedure_code: str = "1.001029.000.00.00.H19",
    signed: bool | None = None,
    reason_code: str | None = None,
) -> DocumentRecord:
    """A document as the pipeline would have left it in ``state`` (signed from ``signed`` on, by default)."""
    if signed is None:
        signed = state in (DocumentState.SIGNED, DocumentState.ARCHIVED)
    now = datetime.now(UTC)
    doc_id = str(uuid.uuid4())
    record = DocumentRecord(
        id=doc_id,
        filename=f"{doc_id}.pdf",
        state=state.value,
        procedure_code=procedure_code,
        dossier_code=dossier,
        original_sha256=uuid.uuid4().hex * 2,
        reason_code=reason_code,
        signed_at=now - timedelta(minutes=1) if signed else None,
        signer_fingerprint=uuid.uuid4().hex * 2 if signed else None,
        archive_key=f"archive/{procedure_code}/2025/{doc_id}.pdf" if state is DocumentState.ARCHIVED else None,
        archived_at=now if state is DocumentState.ARCHIVED else None,
        received_at=now - timedelta(hours=1),
        updated_at=now,
    )
    session.add(record)
    return record
