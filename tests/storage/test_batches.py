"""Following one batch: its documents' states and the events of the batch and of its documents."""

from __future__ import annotations

from sohoa.storage.batches import batch_events, batch_states
from sohoa.storage.catalogue import add_document, create_batch, record_event
from sohoa.storage.database import Database
from tests.support.rows import document_row


def _batch(db: Database, batch_id: str, documents: dict[str, str]) -> None:
    with db.session() as session:
        create_batch(session, batch_id=batch_id, actor="lan", procedure_code=None, dossier_code=None, source="api")
        for doc_id, state in documents.items():
            add_document(session, document_row(doc_id, state, batch_id=batch_id))
            # A stage's event names only the document, not its batch.
            record_event(session, actor="worker", action="document.state", document_id=doc_id, to_state=state)


def test_a_batch_is_followed_through_its_own_and_its_documents_events(sqlite_database: Database) -> None:
    _batch(sqlite_database, "b1", {"a": "archived", "b": "needs_review"})
    _batch(sqlite_database, "b2", {"c": "received"})
    with sqlite_database.session() as session:
        assert sorted(batch_states(session, "b1")) == ["archived", "needs_review"]
        events = batch_events(session, "b1", after_id=0, limit=100)
        assert [(e.action, e.document_id) for e in events] == [
            ("batch.created", None),
            ("document.state", "a"),
            ("document.state", "b"),
        ]
        later = batch_events(session, "b1", after_id=events[0].id, limit=1)
        assert [e.document_id for e in later] == ["a"]
        assert batch_states(session, "none") == []
        assert batch_events(session, "none", after_id=0, limit=100) == []
