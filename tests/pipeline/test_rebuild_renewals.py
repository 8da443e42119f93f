"""A renewed archived copy ({id}.r{n}.pdf) is not a document: a catalogue rebuilt from the store
gives it back to its document as a renewal, in the chain it was made, so verification and the next
renewal go on from the newest copy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select

from sohoa.core.settings import Settings
from sohoa.pipeline.rebuild import filing_fields, rebuild_catalogue
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.signing_ops import renew_archive_timestamps, verify_archived
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.catalogue import DocumentFilter, get_document, list_documents, list_events
from sohoa.storage.signing_records import ArchiveRenewalRecord
from testkit.localpki import LocalPki, local_pki
from tests.support.flows import archive_one

SECRET = b"rebuild renewal secret"
LATER = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)  # every timestamp expires before: each run renews
RESTORED = ("generation", "archive_key", "previous_key", "sha256", "previous_expiry", "expires_at")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPki]:
    with local_pki(tmp_path_factory.mktemp("pki")) as running:
        yield running


@pytest.fixture
def lta(settings: Settings, pki: LocalPki, tmp_path: Path) -> Settings:
    """The embedded settings, signing at B-LTA with the local PKI's key and timestamp authority."""
    roots, secret = tmp_path / "roots.pem", tmp_path / "p12.pass"
    roots.write_bytes(x509.load_der_x509_certificate(pki.root.dump()).public_bytes(Encoding.PEM))
    secret.write_bytes(SECRET)
    settings.pkcs12_path = pki.pkcs12("signer", SECRET)
    settings.pkcs12_passphrase_file = secret
    settings.signing_level = "B-LTA"
    settings.tsa_url = pki.tsa_url
    settings.trust_roots = (roots,)
    return settings


def _renewals(rt: Runtime) -> list[ArchiveRenewalRecord]:
    with rt.db.session() as session:
        rows = list(session.scalars(select(ArchiveRenewalRecord).order_by(ArchiveRenewalRecord.generation)))
        session.expunge_all()
        return rows


def _fields(row: ArchiveRenewalRecord) -> dict[str, Any]:
    return {name: getattr(row, name) for name in RESTORED}


def _lose_sqlite_catalogue(settings: Settings) -> None:
    database = settings.data_dir / "sohoa.db"
    for path in (database, database.with_name("sohoa.db-wal"), database.with_name("sohoa.db-shm")):
        path.unlink(missing_ok=True)


def test_renewed_copies_come_back_as_renewals(lta: Settings, scan: Path, tmp_path: Path) -> None:
    rt = open_runtime(lta)
    try:
        doc = archive_one(rt, scan)
        assert doc.signature_level == "B-LTA" and doc.archive_key is not None
        for _ in range(2):
            [renewed] = renew_archive_timestamps(rt, LATER, actor="archivist")
            assert renewed["status"] == "renewed", renewed
        with rt.db.session() as session:
            filing = filing_fields(get_document(session, doc.id))
        before = _renewals(rt)
    finally:
        rt.close()
    r1, r2 = (row.archive_key for row in before)
    assert [(row.generation, row.previous_key) for row in before] == [(1, doc.archive_key), (2, r1)]
    assert filing["archive_key"] == doc.archive_key  # a renewal leaves the document's own copy as it was

    _lose_sqlite_catalogue(lta)
    rt = open_runtime(lta)
    try:
        report = rebuild_catalogue(rt, actor="restorer")
        assert report.ok and report.issues == (), report.issues
        assert report.restored == (doc.id,) and report.renewals == 2
        with rt.db.session() as session:
            docs, _ = list_documents(session, DocumentFilter(), limit=10)
            assert {d.id: filing_fields(d) for d in docs} == {doc.id: filing}  # no {id}.r1, {id}.r2
            renewed = [e.details for e in list_events(session, document_id=doc.id) if e.action == "archive.renewed"]
        assert [d["archive_key"] for d in renewed] == [r1, r2]
        after = _renewals(rt)
        assert [_fields(row) for row in after] == [_fields(row) for row in before]
        # Who renewed is not in the archive; when is the store's time of the copy, moments after.
        assert {row.renewed_by for row in after} == {"restorer"}
        for old, new in zip(before, after, strict=True):
            assert abs(new.renewed_at - old.renewed_at) < dt.timedelta(minutes=1)

        checked = verify_archived(rt, doc.id)  # the newest copy, as before the loss
        assert checked["archive_key"] == r2 and checked["valid"], checked
        [third] = renew_archive_timestamps(rt, LATER, actor="archivist")  # the chain goes on from r2
        assert third["status"] == "renewed" and third["previous_key"] == r2 and third["generation"] == 3

        # A copy claiming to renew the first one again breaks the chain: reported, not linked.
        stray = doc.archive_key.removesuffix(".pdf") + ".r9.pdf"
        copy = tmp_path / "r2.pdf"
        rt.store.get_file(r2, copy)
        meta = {"document_id": doc.id, "renewal_of": doc.archive_key, "generation": "9"}
        rt.store.put_file(stray, copy, content_type="application/pdf", metadata=meta)
        again = rebuild_catalogue(rt, actor="restorer")
        assert again.present == (doc.id,) and again.restored == () and again.renewals == 0
        assert [(i.key, i.kind) for i in again.issues] == [(stray, "conflict")]
        assert [row.generation for row in _renewals(rt)] == [1, 2, 3]
    finally:
        rt.close()
