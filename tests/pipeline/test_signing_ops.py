"""Signing in the pipeline: a key unfit to sign holds documents, signed inputs keep their signatures,
archived copies are verified and their timestamps renewed (fake OCR engine throughout)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from typer.testing import CliRunner

from sohoa.core.clock import utcnow
from sohoa.core.domain import DocumentState
from sohoa.core.errors import NotFound
from sohoa.core.settings import Settings
from sohoa.pipeline.intake import accept_paths
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.signing_ops import (
    check_signer,
    hold_for_signer,
    latest_verification,
    signer_metrics,
    signer_readiness,
    verify_archived,
)
from sohoa.pipeline.sweeper import sweep
from sohoa.pipeline.wiring import open_runtime
from sohoa.signing.pades import certificate_fingerprint
from sohoa.signing.verify import verify_pdf
from sohoa.storage.catalogue import get_document, list_events
from sohoa.storage.signing_records import ArchiveRenewalRecord, ExistingSignatureRecord
from testkit.localpki import LocalPki, local_pki
from testkit.material import TestCa, new_key, write_pkcs12
from tests.support.corpus import corpus_file

PROCEDURE = "1.001234.000.00.00.H19"
SECRET = b"pipeline signing secret"
DAY = dt.timedelta(days=1)


def _ingest(rt: Runtime, path: Path) -> str:
    result = accept_paths(rt, [path], procedure_code=PROCEDURE, actor="tester")
    assert rt.queue is not None
    rt.queue.join()  # type: ignore[attr-defined]
    [doc] = result.documents
    return doc.id


def _state(rt: Runtime, doc_id: str) -> str:
    with rt.db.session() as session:
        return get_document(session, doc_id).state


def _pkcs12(path: Path, ca: TestCa, name: str, *, not_before: dt.datetime, not_after: dt.datetime) -> Path:
    key = new_key("ec")
    cert = ca.issue(key, name, not_before=not_before, not_after=not_after)
    return write_pkcs12(path, key, cert, [ca.cert], SECRET)


@pytest.fixture
def agency_key(settings: Settings, tmp_path: Path) -> Iterator[tuple[Settings, TestCa, Path]]:
    """Settings signing with a PKCS#12 file (issued by a test CA) instead of the development CA."""
    ca = TestCa.create()
    secret = tmp_path / "p12.pass"
    secret.write_bytes(SECRET)
    settings.pkcs12_path = tmp_path / "agency.p12"
    settings.pkcs12_passphrase_file = secret
    yield settings, ca, settings.pkcs12_path


def test_expired_key_holds_documents_until_it_is_replaced(agency_key, scan: Path) -> None:
    settings, ca, p12 = agency_key
    now = utcnow()
    _pkcs12(p12, ca, "Sở Văn hóa (chứng thư cũ)", not_before=now - 400 * DAY, not_after=now - DAY)
    rt = open_runtime(settings)
    try:
        doc_id = _ingest(rt, scan)
        assert _state(rt, doc_id) == DocumentState.EXTRACTED  # waiting, not failed: nothing is lost
        with rt.db.session() as session:
            held = [e for e in list_events(session, document_id=doc_id) if e.action == "signing.held"]
            doc = get_document(session, doc_id)
            assert doc.lease_owner is None and doc.reason_code is None
        assert held and held[0].details["reason_code"] == "certificate_expired"
        assert "expired" in held[0].details["message"]
        assert signer_readiness(rt)["ok"] is False
        assert "expired" in signer_metrics(rt)["warnings"]

        # the administrator replaces the file; the next check (every few minutes) picks it up
        _pkcs12(p12, ca, "Sở Văn hóa (chứng thư mới)", not_before=now - DAY, not_after=now + 365 * DAY)
        assert check_signer(rt).blocking is None
        sweep(rt, stuck_after=dt.timedelta(0))
        rt.queue.join()  # type: ignore[union-attr]
        with rt.db.session() as session:
            doc = get_document(session, doc_id)
        assert doc.state == DocumentState.ARCHIVED, (doc.state, doc.reason_code)
        assert doc.signer_fingerprint == certificate_fingerprint(rt.signer().certificate)
        assert "chứng thư mới" in (doc.signer_subject or "")
    finally:
        rt.close()


def test_readiness_and_metrics_warn_of_a_certificate_near_expiry(agency_key) -> None:
    settings, ca, p12 = agency_key
    now = utcnow()
    _pkcs12(p12, ca, "Sở Văn hóa", not_before=now - 300 * DAY, not_after=now + 10 * DAY)
    rt = open_runtime(settings, with_queue=False)
    try:
        ready = signer_readiness(rt)
        assert ready["ok"] is True and ready["signer"].startswith("pkcs12:")
        assert [w["code"] for w in ready["warnings"]] == ["expires_soon"]
        assert 9 <= ready["days_left"] <= 10
        json.dumps(ready)  # JSON-able as it is
        metrics = signer_metrics(rt)
        assert metrics == {
            "days_left": pytest.approx(ready["days_left"], abs=0.1),
            "warnings": ["expires_soon"],
            "blocked": False,
        }
        assert hold_for_signer(rt, "no-such-document") is False  # fit to sign: nothing is held
    finally:
        rt.close()


@pytest.mark.parametrize("name", ["digitally-signed.pdf", "minimal-two-fields-signed-twice.pdf"])
def test_signed_input_keeps_its_signatures_and_gets_ours(runtime: Runtime, tmp_path: Path, name: str) -> None:
    original = corpus_file(f"pdfs-special/{name}")
    before = verify_pdf(original, trust_roots=[])
    doc_id = _ingest(runtime, original)
    with runtime.db.session() as session:
        doc = get_document(session, doc_id)
        rows = list(
            session.scalars(select(ExistingSignatureRecord).where(ExistingSignatureRecord.document_id == doc_id))
        )
    assert doc.kept_signature and doc.state == DocumentState.ARCHIVED, (doc.state, doc.reason_code)
    assert [(r.field_name, r.intact, r.trusted) for r in sorted(rows, key=lambda r: r.position)] == [
        (s.field_name, True, False)
        for s in before.signatures  # intact; their roots are not ours
    ]
    archived = tmp_path / "archived.pdf"
    runtime.store.get_file(doc.archive_key, archived)
    assert archived.read_bytes().startswith(original.read_bytes())  # an incremental update only
    after = verify_pdf(archived, trust_roots=[runtime.signer().development_root])
    earlier = {s.field_name for s in before.signatures}
    for sig in after.signatures:
        if sig.field_name in earlier:  # still intact, and our later signature is no change to them
            assert sig.intact and sig.modification == "none", sig
            assert "changed_after_signing" not in sig.problem_codes, sig
    [ours] = [s for s in after.signatures if s.field_name not in earlier]
    # a certification must come first: after other signatures ours locks its field (/Lock /P 1)
    assert ours.valid and ours.certification == "no_changes" and doc.signature_level == "B-B"


def test_level_recorded_is_the_level_produced(settings: Settings, scan: Path, tmp_path: Path) -> None:
    """A TSA configured with SOHOA_SIGNING_LEVEL=B-B is not asked (nothing listens on port 9): the
    catalogue's B-B is what the archived copy holds."""
    settings.signing_level = "B-B"
    settings.tsa_url = "http://127.0.0.1:9/tsa"
    rt = open_runtime(settings)
    try:
        doc_id = _ingest(rt, scan)
        with rt.db.session() as session:
            doc = get_document(session, doc_id)
        assert doc.state == DocumentState.ARCHIVED and doc.signature_level == "B-B", (doc.state, doc.reason_code)
        archived = tmp_path / "archived.pdf"
        rt.store.get_file(doc.archive_key, archived)
        [sig] = verify_pdf(archived, trust_roots=[rt.signer().development_root]).signatures
        assert sig.level == "B-B" and sig.timestamp_time is None and sig.valid
        assert sig.certification == "no_changes"
    finally:
        rt.close()


def test_certified_input_forbidding_changes_is_archived_unchanged(runtime: Runtime, tmp_path: Path) -> None:
    original = corpus_file("pdfs-special/certified-with-indirect-refs-in-dir.pdf")
    doc_id = _ingest(runtime, original)
    with runtime.db.session() as session:
        doc = get_document(session, doc_id)
        signed = [e for e in list_events(session, document_id=doc_id) if e.to_state == DocumentState.SIGNED]
        [row] = session.scalars(select(ExistingSignatureRecord).where(ExistingSignatureRecord.document_id == doc_id))
    assert doc.state == DocumentState.ARCHIVED and doc.signature_level is None
    assert signed[0].details["unsigned_reason"] == "changes_forbidden"
    assert row.certification == "no_changes" and row.intact
    archived = tmp_path / "archived.pdf"
    runtime.store.get_file(doc.archive_key, archived)
    assert archived.read_bytes() == original.read_bytes()


def test_archived_copy_is_verified_and_the_result_kept(runtime: Runtime, scan: Path) -> None:
    doc_id = _ingest(runtime, scan)
    assert latest_verification(runtime, doc_id) is None
    result = verify_archived(runtime, doc_id, actor="auditor")
    assert result["valid"] and result["signatures"][0]["trusted"], result
    with runtime.db.session() as session:
        doc = get_document(session, doc_id)
    assert (result["archive_key"], result["archive_sha256"]) == (doc.archive_key, doc.archive_sha256)
    assert result["path"] == doc.archive_key and result["checked_by"] == "auditor"
    assert latest_verification(runtime, doc_id) == result
    json.dumps(result)


def test_document_without_archived_copy_cannot_be_verified(scan: Path, settings: Settings) -> None:
    settings.review_policy = "always"
    rt = open_runtime(settings)
    try:
        doc_id = _ingest(rt, scan)
        with pytest.raises(NotFound) as info:
            verify_archived(rt, doc_id)
        assert info.value.code == "file_not_available"
    finally:
        rt.close()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPki]:
    with local_pki(tmp_path_factory.mktemp("pki")) as running:
        yield running


def test_renew_lta_stores_new_copies_beside_the_first(
    pki: LocalPki, scan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roots = tmp_path / "roots.pem"
    roots.write_bytes(_pem(pki))
    secret = tmp_path / "p12.pass"
    secret.write_bytes(SECRET)
    for key in ("SOHOA_DATABASE_URL", "SOHOA_S3_ENDPOINT", "SOHOA_BROKER_URL", "SOHOA_PKCS11_MODULE", "SOHOA_STAMP"):
        monkeypatch.delenv(key, raising=False)
    env = {
        "SOHOA_DATA_DIR": str(tmp_path / "var"),
        "SOHOA_PKCS12_PATH": str(pki.pkcs12("signer", SECRET)),
        "SOHOA_PKCS12_PASSPHRASE_FILE": str(secret),
        "SOHOA_SIGNING_LEVEL": "B-LTA",
        "SOHOA_TSA_URL": pki.tsa_url,
        "SOHOA_TRUST_ROOTS": str(roots),
        "SOHOA_OCR_ENGINE": "fake",
        "SOHOA_OCR_PROCESSES": "1",
        "SOHOA_REVIEW_POLICY": "never",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    rt = open_runtime(Settings())
    try:
        doc_id = _ingest(rt, scan)
        with rt.db.session() as session:
            doc = get_document(session, doc_id)
        assert doc.state == DocumentState.ARCHIVED and doc.signature_level == "B-LTA", doc.reason_message
        first = rt.store.stat(doc.archive_key)

        from sohoa.cli.main import app

        def renew(before: str) -> list[dict]:
            done = CliRunner().invoke(app, ["signing", "renew-lta", "--before", before, "--json"])
            assert done.exit_code == 0, done.output
            return json.loads(done.output)

        [one] = renew("2099-01-01")
        assert one["status"] == "renewed" and one["previous_key"] == doc.archive_key
        assert one["archive_key"] == doc.archive_key.removesuffix(".pdf") + ".r1.pdf"
        [current] = renew((dt.date.today() + DAY).isoformat())  # the new timestamp is years from expiry
        assert current["status"] == "current" and current["previous_key"] == one["archive_key"]
        [two] = renew("2099-01-01")
        assert two["archive_key"].endswith(".r2.pdf") and two["previous_key"] == one["archive_key"]

        assert rt.store.stat(doc.archive_key).sha256 == first.sha256 == doc.archive_sha256  # never overwritten
        copies = {
            key: tmp_path / f"{i}.pdf"
            for i, key in enumerate((doc.archive_key, one["archive_key"], two["archive_key"]))
        }
        for key, path in copies.items():
            rt.store.get_file(key, path)
        old, r1, r2 = (p.read_bytes() for p in copies.values())
        assert r2.startswith(r1) and r1.startswith(old)
        report = verify_pdf(copies[two["archive_key"]], trust_roots=[pki.root])
        assert report.document_timestamps == 3 and report.signatures[0].level == "B-LTA" and report.valid
        with rt.db.session() as session:
            links = list(session.scalars(select(ArchiveRenewalRecord).order_by(ArchiveRenewalRecord.generation)))
        assert [(r.generation, r.previous_key) for r in links] == [(1, doc.archive_key), (2, one["archive_key"])]
        checked = verify_archived(rt, doc_id)  # the document now shows its newest copy
        assert checked["archive_key"] == two["archive_key"] and checked["valid"], checked
    finally:
        rt.close()


def _pem(pki: LocalPki) -> bytes:
    from cryptography import x509

    return x509.load_der_x509_certificate(pki.root.dump()).public_bytes(Encoding.PEM)


def test_checks_log_at_start_and_are_cached_between(agency_key, caplog, monkeypatch: pytest.MonkeyPatch) -> None:
    import sohoa.pipeline.signing_ops as ops

    settings, ca, p12 = agency_key
    now = utcnow()
    _pkcs12(p12, ca, "Sở Văn hóa", not_before=now - 300 * DAY, not_after=now + 10 * DAY)
    rt = open_runtime(settings, with_queue=False)
    try:
        with caplog.at_level("WARNING", logger="sohoa.pipeline.signing_ops"):
            stop = ops.start_certificate_checks(rt, interval=3600)
            for _ in range(100):  # the first check runs at once on its thread
                if any("expires_soon" in r.getMessage() for r in caplog.records):
                    break
                stop.wait(0.05)
            stop.set()
        assert any("expires_soon" in r.getMessage() for r in caplog.records), caplog.text

        calls: list[int] = []
        real = ops.health.check_certificate
        monkeypatch.setattr(ops.health, "check_certificate", lambda *a, **k: calls.append(1) or real(*a, **k))
        assert ops.signing_blocked(rt) is None and ops.signing_blocked(rt) is None
        assert calls == []  # answered from the check made at start
        assert ops.signing_blocked(rt, max_age=dt.timedelta(0)) is None
        assert calls == [1]
    finally:
        rt.close()


def test_expired_development_signer_is_reissued_at_the_next_check(runtime: Runtime, scan: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from sohoa.signing.backends import open_pkcs12

    dev = runtime.settings.dev_ca_dir
    runtime.signer()  # creates the development CA
    passphrase = (dev / "signer.p12.pass").read_bytes().strip()
    root = TestCa(
        key=serialization.load_pem_private_key((dev / "root-ca.key.pem").read_bytes(), passphrase),
        cert=x509.load_pem_x509_certificate((dev / "root-ca.pem").read_bytes()),
    )
    now = utcnow()
    key = new_key("ec")
    cert = root.issue(key, "Sở Văn hóa (hết hạn)", not_before=now - 800 * DAY, not_after=now - DAY)
    write_pkcs12(dev / "signer.p12", key, cert, [root.cert], passphrase)
    expired = open_pkcs12(dev / "signer.p12", passphrase)
    # as if this process had been running since before the certificate expired
    expired.kind = "dev-ca"
    runtime._signer = expired

    doc_id = _ingest(runtime, scan)
    with runtime.db.session() as session:
        doc = get_document(session, doc_id)
        held = [e for e in list_events(session, document_id=doc_id) if e.action == "signing.held"]
    assert doc.state == DocumentState.ARCHIVED and not held  # renewed under the same root, not held
    assert runtime.signer() is not expired
    assert doc.signer_fingerprint == certificate_fingerprint(runtime.signer().certificate)
    assert runtime.signer().certificate["tbs_certificate"]["validity"]["not_after"].native > now
