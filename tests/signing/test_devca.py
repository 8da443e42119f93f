from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

from sohoa.signing.devca import DEV_ROOT_NAME, ensure_dev_ca


def test_creates_labelled_root_and_signing_certificate(tmp_path: Path) -> None:
    creds = ensure_dev_ca(tmp_path / "ca", agency_name="Sở Văn hóa, Thể thao và Du lịch")
    root = x509.load_pem_x509_certificate(creds.root_certificate_path.read_bytes())
    assert DEV_ROOT_NAME in root.subject.rfc4514_string()
    key, cert, extra = pkcs12.load_key_and_certificates(creds.pkcs12_path.read_bytes(), creds.passphrase)
    assert key is not None and cert is not None
    cert.verify_directly_issued_by(root)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert "NOT FOR PRODUCTION" in cert.subject.rfc4514_string()
    org = cert.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)[0].value
    assert org == "Sở Văn hóa, Thể thao và Du lịch"
    assert [c.subject for c in extra] == [root.subject]


def test_secrets_are_private(tmp_path: Path) -> None:
    creds = ensure_dev_ca(tmp_path / "ca")
    for path in (
        creds.pkcs12_path,
        creds.pkcs12_path.with_name("signer.p12.pass"),
        creds.pkcs12_path.with_name("root-ca.key.pem"),
    ):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(creds.directory.stat().st_mode) == 0o700
    assert creds.passphrase not in repr(creds).encode()


def test_second_run_reuses_the_same_material(tmp_path: Path) -> None:
    first = ensure_dev_ca(tmp_path / "ca")
    before = first.pkcs12_path.read_bytes()
    second = ensure_dev_ca(tmp_path / "ca")
    assert second.passphrase == first.passphrase
    assert second.pkcs12_path.read_bytes() == before
    assert second.root_certificate.dump() == first.root_certificate.dump()


def test_concurrent_first_runs_agree(tmp_path: Path) -> None:
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: ensure_dev_ca(tmp_path / "ca"), range(4)))
    assert len({r.passphrase for r in results}) == 1
    assert len({r.root_certificate.dump() for r in results}) == 1
    assert not [p for p in (tmp_path / "ca").iterdir() if p.name.endswith(".tmp")]


def test_damaged_signer_file_is_reissued_under_the_same_root(tmp_path: Path) -> None:
    first = ensure_dev_ca(tmp_path / "ca")
    first.pkcs12_path.write_bytes(b"garbage")
    second = ensure_dev_ca(tmp_path / "ca")
    _, cert, _ = pkcs12.load_key_and_certificates(second.pkcs12_path.read_bytes(), second.passphrase)
    assert cert is not None
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(second.root_certificate_path.read_bytes()))
    assert second.root_certificate.dump() == first.root_certificate.dump()
