"""A renewed archived copy ({id}.r{n}.pdf) is not a document: a catalogue rebuilt from the store
gives it back to its document as a renewal, in the chain it was made, so verification and the next
renewal go on from the newest copy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import delete, select

from sohoa.core.settings import Settings
from sohoa.pipeline.fixity import run_fixity
from sohoa.pipeline.rebuild import filing_fields, rebuild_catalogue
from sohoa.pipeline.retention import locking_store, place_hold, release_hold
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.signing_ops import archive, renew_archive_timestamps, verify_archived
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.catalogue import DocumentFilter, get_document, list_documents, list_events
from sohoa.storage.localstore import LocalStore
from sohoa.storage.objectrules import RetentionPolicy
from sohoa.storage.records import DocumentRecord
from sohoa.storage.signing_records import ArchiveRenewalRecord
from testkit.localpki import LocalPki, local_pki
from tests.support.catalogue_loss import lose_sqlite_catalogue
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


@contextmanager
def _catalogue_lost(settings: Settings) -> Iterator[Runtime]:
    """A runtime over the store alone: the SQLite catalogue is lost."""
    lose_sqlite_catalogue(settings)
    rt = open_runtime(settings)
    try:
        yield rt
    finally:
        rt.close()


def _renewed_key(doc: DocumentRecord, number: int) -> str:
    assert doc.archive_key is not None
    return f"{doc.archive_key.removesuffix('.pdf')}.r{number}.pdf"


def _store_copy(rt: Runtime, doc: DocumentRecord, number: int, path: Path, *, renewal_of: str, generation: int) -> str:
    """Store ``path`` as a renewed copy of ``doc`` that no renewal made; its key."""
    key = _renewed_key(doc, number)
    meta = {"document_id": doc.id, "renewal_of": renewal_of, "generation": str(generation)}
    rt.store.put_file(key, path, content_type="application/pdf", metadata=meta)
    return key


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

    with _catalogue_lost(lta) as rt:
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

        # A copy claiming to renew the first one again is a stray: reported, not linked.
        copy = tmp_path / "r2.pdf"
        rt.store.get_file(r2, copy)
        stray = _store_copy(rt, doc, 9, copy, renewal_of=doc.archive_key, generation=9)
        again = rebuild_catalogue(rt, actor="restorer")
        assert again.present == (doc.id,) and again.restored == () and again.renewals == 0
        # A note, not an error: archived, the stray can never be deleted, and every rebuild would fail.
        assert [(i.key, i.kind) for i in again.issues] == [(stray, "stray_renewal")] and again.ok
        assert [row.generation for row in _renewals(rt)] == [1, 2, 3]


def _chained(rows: list[ArchiveRenewalRecord], first: str) -> None:
    """Generations 1..n, each renewing the copy before it."""
    assert [row.generation for row in rows] == list(range(1, len(rows) + 1))
    assert [row.previous_key for row in rows] == [first, *(row.archive_key for row in rows[:-1])]


def test_a_renewal_stopped_before_its_row_is_recorded_by_the_next(
    lta: Settings, scan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = open_runtime(lta)
    try:
        doc = archive_one(rt, scan)
        assert doc.archive_key is not None
        [one] = renew_archive_timestamps(rt, LATER, actor="archivist")
        r1 = one["archive_key"]

        # The copy is stored, then the process dies before the catalogue records it.
        def crash(*args: Any) -> None:
            raise SystemExit("killed between the store and the catalogue")

        with monkeypatch.context() as patch:
            patch.setattr(archive, "add_renewal", crash)
            with pytest.raises(SystemExit):
                renew_archive_timestamps(rt, LATER, actor="archivist")
        r2 = _renewed_key(doc, 2)
        assert rt.store.stat(r2).metadata["renewal_of"] == r1
        assert [row.archive_key for row in _renewals(rt)] == [r1]

        # The next run records the copy left behind and finds it current: no ObjectExists.
        [current] = renew_archive_timestamps(rt, dt.datetime.now(dt.UTC), actor="archivist")
        assert current["status"] == "current" and current["previous_key"] == r2, current
        rows = _renewals(rt)
        assert [row.archive_key for row in rows] == [r1, r2]
        _chained(rows, doc.archive_key)
        assert rows[1].sha256 == rt.store.stat(r2).sha256 and rows[1].renewed_by == "archivist"
        assert rows[1].previous_expiry == rows[0].expires_at
        assert verify_archived(rt, doc.id)["archive_key"] == r2

        # Again stopped before the row, then renewed on from the copy it left.
        with monkeypatch.context() as patch:
            patch.setattr(archive, "add_renewal", crash)
            with pytest.raises(SystemExit):
                renew_archive_timestamps(rt, LATER, actor="archivist")
        [renewed] = renew_archive_timestamps(rt, LATER, actor="archivist")
        r3 = _renewed_key(doc, 3)
        assert renewed["status"] == "renewed", renewed
        assert renewed["previous_key"] == r3 and renewed["generation"] == 4
        rows = _renewals(rt)
        assert [row.archive_key for row in rows] == [r1, r2, r3, renewed["archive_key"]]
        _chained(rows, doc.archive_key)
        with rt.db.session() as session:
            events = [e.details for e in list_events(session, document_id=doc.id) if e.action == "archive.renewed"]
        assert [e["archive_key"] for e in events] == [row.archive_key for row in rows]
    finally:
        rt.close()


def test_a_renewal_passes_over_a_key_taken_by_a_stray(lta: Settings, scan: Path, tmp_path: Path) -> None:
    rt = open_runtime(lta)
    try:
        doc = archive_one(rt, scan)
        assert doc.archive_key is not None
        # A copy under r1 that renews something else: not this document's renewal, its key taken.
        copy = tmp_path / "copy.pdf"
        rt.store.get_file(doc.archive_key, copy)
        stray = _store_copy(rt, doc, 1, copy, renewal_of="archive/elsewhere.pdf", generation=1)
        [renewed] = renew_archive_timestamps(rt, LATER, actor="archivist")
        assert renewed["status"] == "renewed", renewed
        assert renewed["archive_key"] == _renewed_key(doc, 2)
        assert renewed["generation"] == 1
        before = _renewals(rt)
        _chained(before, doc.archive_key)
    finally:
        rt.close()

    with _catalogue_lost(lta) as rt:
        report = rebuild_catalogue(rt, actor="restorer")
        assert report.ok and report.renewals == 1
        assert [(i.key, i.kind) for i in report.issues] == [(stray, "stray_renewal")]
        assert [_fields(row) for row in _renewals(rt)] == [_fields(row) for row in before]


def test_a_rebuild_goes_on_from_the_renewals_in_the_catalogue(lta: Settings, scan: Path) -> None:
    rt = open_runtime(lta)
    try:
        doc = archive_one(rt, scan)
        for _ in range(2):
            renew_archive_timestamps(rt, LATER, actor="archivist")
        before = _renewals(rt)
        # A rebuild stopped halfway through the chain: generation 1 is back, generation 2 is not.
        with rt.db.session() as session:
            session.execute(delete(ArchiveRenewalRecord).where(ArchiveRenewalRecord.generation == 2))
        report = rebuild_catalogue(rt, actor="restorer")
        assert report.ok and report.issues == () and report.present == (doc.id,) and report.renewals == 1
        after = _renewals(rt)
        assert [_fields(row) for row in after] == [_fields(row) for row in before]
        assert after[1].renewed_by == "restorer"
    finally:
        rt.close()


@pytest.mark.parametrize(
    "timestamp",
    [
        {"Contents": b"\x00\xff not CMS", "ByteRange": [0, 1, 2, 3]},  # the CMS parser's ValueError
        {},  # pyHanko's PdfReadError: no /ByteRange
    ],
    ids=["bad-cms", "no-byterange"],
)
def test_an_unreadable_renewed_copy_is_reported_and_the_rebuild_goes_on(
    lta: Settings, scan: Path, tmp_path: Path, timestamp: dict[str, Any]
) -> None:
    rt = open_runtime(lta)
    try:
        doc = archive_one(rt, scan)
        assert doc.archive_key is not None
        garbage = tmp_path / "garbage.pdf"
        _broken_timestamp(garbage, timestamp)
        r1 = _store_copy(rt, doc, 1, garbage, renewal_of=doc.archive_key, generation=1)
    finally:
        rt.close()

    with _catalogue_lost(lta) as rt:
        report = rebuild_catalogue(rt, actor="restorer")
        assert report.restored == (doc.id,) and report.renewals == 0
        assert [(i.key, i.kind) for i in report.issues] == [(r1, "failed")] and not report.ok
        assert _renewals(rt) == []
        with rt.db.session() as session:
            assert [e.action for e in list_events(session) if e.action == "catalogue.rebuilt"]


def _broken_timestamp(path: Path, timestamp: dict[str, Any]) -> None:
    """A PDF whose one signature field holds a document timestamp that cannot be parsed."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    value = pikepdf.Dictionary(Type=pikepdf.Name.DocTimeStamp, SubFilter=pikepdf.Name("/ETSI.RFC3161"))
    if "Contents" in timestamp:
        value.Contents = pikepdf.String(timestamp["Contents"])
        value.ByteRange = pikepdf.Array(timestamp["ByteRange"])
    field = pdf.make_indirect(pikepdf.Dictionary(FT=pikepdf.Name.Sig, T=pikepdf.String("ts"), V=value))
    pdf.Root.AcroForm = pdf.make_indirect(pikepdf.Dictionary(Fields=pikepdf.Array([field])))
    pdf.save(path)


def test_a_held_documents_renewed_copies_are_held_with_it(lta: Settings, scan: Path) -> None:
    rt = open_runtime(lta)
    rt.store = LocalStore(rt.store.root, retention=RetentionPolicy(years=10))
    try:
        doc = archive_one(rt, scan)
        assert doc.archive_key is not None
        [first] = renew_archive_timestamps(rt, LATER, actor="archivist")
        place_hold(rt, doc.id, reason="thanh tra", actor="admin")  # the copy renewed before the hold
        [second] = renew_archive_timestamps(rt, LATER, actor="archivist")  # and the one renewed under it
        copies = [first["archive_key"], second["archive_key"]]
        locks = locking_store(rt.store)
        assert [locks.lock_status(key).legal_hold for key in [doc.archive_key, *copies]] == [True, True, True]
        release_hold(rt, doc.id, reason="xong", actor="admin")
        assert [locks.lock_status(key).legal_hold for key in [doc.archive_key, *copies]] == [False, False, False]
    finally:
        rt.close()


def test_fixity_checks_the_renewed_copies_too(lta: Settings, scan: Path) -> None:
    rt = open_runtime(lta)
    try:
        doc = archive_one(rt, scan)
        [renewed] = renew_archive_timestamps(rt, LATER, actor="archivist")
        assert run_fixity(rt, actor="auditor").ok
        copy = lta.store_dir / renewed["archive_key"]
        copy.chmod(0o644)  # bit rot, or an intruder with the owner's rights
        data = bytearray(copy.read_bytes())
        data[len(data) // 2] ^= 0x01
        copy.write_bytes(bytes(data))
        found = run_fixity(rt, actor="auditor")
        assert not found.ok and (found.checked, found.mismatched) == (1, 1)
        problems = [(p.document_id, p.key, p.kind) for p in found.problems]
        assert problems == [(doc.id, renewed["archive_key"], "mismatch")]
    finally:
        rt.close()
