from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from sohoa.core.domain import DocumentState
from sohoa.registry.metrics import STAGE_BUCKETS, render_metrics
from sohoa.registry.register import import_register
from sohoa.registry.sources import SourceFormat
from sohoa.storage.database import Database
from sohoa.storage.records import EventRecord, PageRecord
from tests.registry.builders import add_document, dossier_code, register_csv

S = DocumentState
NOW = datetime(2025, 3, 20, 3, 0, tzinfo=UTC)


def _walk(session: Session, doc_id: str, steps: list[tuple[str | None, str, float]], reason: str | None = None) -> None:
    """State events of one document: (from, to, seconds after the start)."""
    start = NOW - timedelta(days=1)
    for from_state, to_state, seconds in steps:
        details = {"reason_code": reason} if reason and to_state in ("failed", "rejected") else None
        session.add(
            EventRecord(
                at=start + timedelta(seconds=seconds),
                actor="system",
                action="document.state",
                document_id=doc_id,
                from_state=from_state,
                to_state=to_state,
                details=details,
            )
        )


def _samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((sample.labels, sample.value))
    return out


def _value(samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    matches = [v for lab, v in samples[name] if all(lab.get(k) == want for k, want in labels.items())]
    assert len(matches) == 1, (name, labels, samples.get(name))
    return matches[0]


def test_metrics_are_read_from_the_catalogue(sqlite_database: Database) -> None:
    march = date(2025, 3, 5)
    rows = [[dossier_code(march, i), "1.001029", "Karaoke", "Văn hóa", march, march, "paper"] for i in range(4)]
    with sqlite_database.session() as session:
        import_register(session, register_csv(rows), SourceFormat.CSV, actor="test")
        done = add_document(session, dossier=dossier_code(march, 0), state=S.ARCHIVED)
        broken = add_document(session, dossier=dossier_code(march, 1), state=S.FAILED, reason_code="ocr_error")
        add_document(session, dossier=None, state=S.RECEIVED)
        add_document(session, dossier=None, state=S.NEEDS_REVIEW)
        session.flush()
        _walk(
            session,
            done.id,
            [
                (None, "received", 0),
                ("received", "ocr_done", 40),
                ("ocr_done", "extracted", 42),
                ("extracted", "signed", 44),
                ("signed", "archived", 45),
            ],
        )
        _walk(session, broken.id, [(None, "received", 0), ("received", "failed", 7200)], reason="ocr_error")
        session.add_all(
            PageRecord(document_id=done.id, page_index=i, text="trang", source=src)
            for i, src in enumerate(["ocr", "ocr", "text_layer"])
        )
    not_after = NOW + timedelta(days=30, hours=12)
    with sqlite_database.session() as session:
        text = render_metrics(session, now=NOW, certificate_not_after=not_after).decode()
    samples = _samples(text)

    assert _value(samples, "sohoa_documents", state="archived") == 1
    assert _value(samples, "sohoa_documents", state="signed") == 0  # every state is present
    assert _value(samples, "sohoa_queue_depth", stage="ocr") == 1
    assert _value(samples, "sohoa_queue_depth", stage="review") == 1

    # OCR took 40 s for one document and ended in failure after two hours for the other.
    assert _value(samples, "sohoa_stage_duration_seconds_count", stage="ocr", outcome="ok") == 1
    assert _value(samples, "sohoa_stage_duration_seconds_sum", stage="ocr", outcome="ok") == 40
    assert _value(samples, "sohoa_stage_duration_seconds_bucket", stage="ocr", outcome="ok", le="30.0") == 0
    assert _value(samples, "sohoa_stage_duration_seconds_bucket", stage="ocr", outcome="ok", le="60.0") == 1
    assert _value(samples, "sohoa_stage_duration_seconds_sum", stage="ocr", outcome="failed") == 7200
    assert _value(samples, "sohoa_stage_duration_seconds_bucket", stage="ocr", outcome="failed", le="3600.0") == 0
    assert _value(samples, "sohoa_stage_duration_seconds_bucket", stage="sign", outcome="ok", le="+Inf") == 1
    buckets = [v for lab, v in samples["sohoa_stage_duration_seconds_bucket"] if lab["stage"] == "extract"]
    assert len(buckets) == len(STAGE_BUCKETS) + 1 and buckets == sorted(buckets)

    assert _value(samples, "sohoa_ocr_pages_total") == 2
    assert _value(samples, "sohoa_signatures_total") == 1
    assert _value(samples, "sohoa_failures_total", state="failed", reason="ocr_error") == 1
    assert _value(samples, "sohoa_documents_failing", state="failed", reason="ocr_error") == 1
    assert _value(samples, "sohoa_signing_certificate_days_left") == 30.5

    assert _value(samples, "sohoa_coverage_rate", window="month", period="2025-03", indicator="archived") == 1 / 4
    assert _value(samples, "sohoa_coverage_rate", window="year", period="2025", indicator="digitized") == 1 / 4
    assert _value(samples, "sohoa_coverage_dossiers", window="month", period="2025-03", status="missing") == 3
    assert _value(samples, "sohoa_register_entries") == 4


def test_an_empty_catalogue_still_answers_and_invents_no_rate(sqlite_database: Database) -> None:
    with sqlite_database.session() as session:
        samples = _samples(render_metrics(session, now=NOW).decode())
    assert "sohoa_coverage_rate" not in samples
    assert "sohoa_signing_certificate_days_left" not in samples
    assert _value(samples, "sohoa_coverage_dossiers", window="year", period="2025", status="paper") == 0
    assert sum(v for _, v in samples["sohoa_documents"]) == 0


def test_the_last_fixity_audit_is_exposed(sqlite_database: Database) -> None:
    from sohoa.storage.archive_records import FixityRunRecord

    with sqlite_database.session() as session:
        assert "sohoa_fixity_last_run_objects" not in _samples(render_metrics(session, now=NOW).decode())
        session.add(
            FixityRunRecord(
                started_at=NOW - timedelta(hours=2),
                finished_at=NOW - timedelta(hours=1),
                actor="test",
                checked=10,
                intact=8,
                mismatched=1,
                missing=1,
                unreadable=0,
            )
        )
        session.add(FixityRunRecord(started_at=NOW - timedelta(minutes=5), actor="test", checked=3))  # unfinished
        session.flush()
        samples = _samples(render_metrics(session, now=NOW).decode())
    assert _value(samples, "sohoa_fixity_last_run_objects", result="mismatched") == 1
    assert _value(samples, "sohoa_fixity_last_run_objects", result="intact") == 8
    assert _value(samples, "sohoa_fixity_last_run_age_seconds") == 3600
