"""The reuse rule alone: which paper may stand in for a new one on a given day, and why not."""

from datetime import UTC, date, datetime

import pytest

from sohoa.core.domain import DocumentState
from sohoa.registry.dossiers import reuse_refusal
from sohoa.storage.dossier_records import DocumentFactsRecord
from sohoa.storage.records import DocumentRecord

DAY = date(2026, 6, 1)
SIGNED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _doc(state: DocumentState = DocumentState.ARCHIVED, signed_at: datetime | None = SIGNED) -> DocumentRecord:
    return DocumentRecord(id="d1", state=state.value, signed_at=signed_at)


def _valid(valid_from: date | None = None, valid_until: date | None = None) -> DocumentFactsRecord:
    return DocumentFactsRecord(document_id="d1", valid_from=valid_from, valid_until=valid_until)


@pytest.mark.parametrize(
    ("doc", "facts", "superseded", "reason"),
    [
        (_doc(), None, False, None),
        (_doc(), _valid(date(2026, 1, 1), date(2026, 6, 1)), False, None),  # both ends count as valid
        (_doc(DocumentState.NEEDS_REVIEW), None, False, "not_archived"),
        (_doc(DocumentState.EXTRACTED), _valid(valid_until=date(2099, 1, 1)), False, "not_archived"),
        (_doc(signed_at=None), None, False, "not_archived"),  # no signing time: not a signed result
        (_doc(DocumentState.NEEDS_REVIEW), None, True, "not_archived"),  # the first reason wins
        (_doc(), None, True, "superseded"),
        (_doc(), _valid(valid_until=date(2026, 5, 31)), False, "expired"),
        (_doc(), _valid(valid_from=date(2026, 6, 2)), False, "not_yet_valid"),
    ],
)
def test_reuse_refusal_names_the_first_reason(
    doc: DocumentRecord, facts: DocumentFactsRecord | None, superseded: bool, reason: str | None
) -> None:
    assert reuse_refusal(doc, facts, superseded, DAY) == reason
