"""Prefix and substring matches take what a person typed literally: ``%`` and ``_`` are no wildcards.

On both engines, since each has its own LIKE (SQLite's ignores case, PostgreSQL's does not).
"""

from __future__ import annotations

from sohoa.storage.audit import AuditFilter, find_events
from sohoa.storage.catalogue import DocumentFilter, add_document, list_documents, record_event
from sohoa.storage.database import Database
from sohoa.storage.registry_queries import find_procedures, first_procedure_under
from sohoa.storage.registry_records import ProcedureRecord
from tests.support.rows import document_row


def test_procedure_words_and_longer_codes_match_literally(database: Database) -> None:
    with database.session() as session:
        for code, key in (("1.001029.000.00.00.H19", "karaoke 100%"), ("1.0010", "le_hoi")):
            session.add(ProcedureRecord(code=code, name=key, search_key=key))
    with database.session() as session:
        found = first_procedure_under(session, "1.001029")
        assert found is not None and found.code == "1.001029.000.00.00.H19"
        assert first_procedure_under(session, "1_001029") is None
        assert first_procedure_under(session, "1.001%") is None

        def codes(*words: str) -> list[str]:
            rows, total = find_procedures(session, words=words, field=None, limit=10, offset=0)
            assert total == len(rows)
            return [r.code for r in rows]

        assert codes("100%") == ["1.001029.000.00.00.H19"]
        assert codes("0%") == ["1.001029.000.00.00.H19"]
        assert codes("%") == ["1.001029.000.00.00.H19"]
        assert codes("e_h") == ["1.0010"]
        assert codes("_") == ["1.0010"]
        assert codes("k_r") == []  # "_" as a wildcard would find "kar"
        assert codes("/") == []  # the escape character itself is literal too


def test_a_procedure_code_filter_finds_longer_codes_by_whole_segments_only(database: Database) -> None:
    with database.session() as session:
        for doc_id, code in (
            ("a", "1.001029"),
            ("b", "1.001029.000.00.00.H19"),
            ("c", "1.0010290"),
            ("d", "1x001029.1"),
        ):
            add_document(session, document_row(doc_id, "archived", procedure_code=code))
    with database.session() as session:
        for code, expected in (("1.001029", ["a", "b"]), ("1_001029", []), ("1.00102%", []), ("1%", [])):
            rows, total = list_documents(session, DocumentFilter(procedure_code=code))
            assert (sorted(r.id for r in rows), total) == (expected, len(expected)), code


def test_an_audit_action_prefix_is_literal(database: Database) -> None:
    with database.session() as session:
        for action in ("auth.login", "auth.logout", "authxlogin", "document.state"):
            record_event(session, actor="lan", action=action)
    with database.session() as session:

        def actions(pattern: str) -> list[str]:
            rows, total = find_events(session, AuditFilter(action=pattern), limit=10, offset=0)
            assert total == len(rows)
            return sorted(r.action for r in rows)

        assert actions("auth.*") == ["auth.login", "auth.logout"]
        assert actions("auth_*") == []
        assert actions("%*") == []
        assert actions("auth.login") == ["auth.login"]
