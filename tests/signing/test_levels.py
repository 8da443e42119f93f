"""PAdES levels against a full local PKI (root, intermediate, OCSP, CRL, TSA) served on loopback."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pyhanko_certvalidator import ValidationContext

from sohoa.core.domain import SignRequest
from sohoa.core.errors import SigningError
from sohoa.signing.backends import open_pkcs12
from sohoa.signing.certificates import check_certificate
from sohoa.signing.pades import sign_pdf
from sohoa.signing.verify import verify_pdf
from testkit.localpki import LocalPki
from tests.signing.conftest import PKI_SECRET
from tests.support.services import need_program


def _context(pki: LocalPki) -> ValidationContext:
    return ValidationContext(trust_roots=[pki.root], allow_fetching=True, revocation_mode="hard-fail")


@pytest.mark.parametrize("level", ["B-T", "B-LT", "B-LTA"])
def test_level_is_reached_and_validates_offline(pki: LocalPki, signer, pdf: Path, tmp_path: Path, level) -> None:
    out = tmp_path / f"{level}.pdf"
    context = _context(pki) if level != "B-T" else None
    info = sign_pdf(SignRequest(pdf, out, level=level), signer, timestamper=pki.tsa_url, validation_context=context)
    assert info.level == level

    report = verify_pdf(out, trust_roots=[pki.root])  # no fetching: only what the file carries
    [sig] = report.signatures
    assert sig.level == level, sig
    assert sig.intact and sig.trusted and sig.valid, sig
    assert sig.timestamp_time is not None
    assert abs(sig.timestamp_time - info.signed_at) < dt.timedelta(minutes=5)
    if level == "B-T":
        assert sig.revocation == "unknown"  # nothing embedded, nothing fetched
    else:
        assert sig.revocation == "good"
        assert sig.modification == "none"  # the DSS and document timestamp are not changes
    assert report.document_timestamps == (1 if level == "B-LTA" else 0)
    with pikepdf.open(pdf) as before, pikepdf.open(out) as after:  # validation data and timestamps
        assert after.Root.Metadata.read_bytes() == before.Root.Metadata.read_bytes()  # leave the XMP


def test_long_term_level_without_a_context_trusts_the_root_in_the_chain(
    pki: LocalPki, signer, pdf: Path, tmp_path: Path
) -> None:
    out = tmp_path / "lt.pdf"
    sign_pdf(SignRequest(pdf, out, level="B-LT"), signer, timestamper=pki.tsa_url)
    [sig] = verify_pdf(out, trust_roots=[pki.root]).signatures
    assert sig.level == "B-LT" and sig.revocation == "good"


def test_poppler_accepts_a_b_lta_signature(pki: LocalPki, signer, pdf: Path, tmp_path: Path) -> None:
    pdfsig = need_program("pdfsig")
    out = tmp_path / "lta.pdf"
    sign_pdf(SignRequest(pdf, out, level="B-LTA"), signer, timestamper=pki.tsa_url, validation_context=_context(pki))
    result = subprocess.run([pdfsig, str(out)], capture_output=True, text=True, timeout=60, check=False)
    # poppler checks the signature; it cannot check document timestamps ("unknown" type)
    first = result.stdout.split("Signature #2")[0]
    assert "Signature is Valid" in first and "ETSI.CAdES.detached" in first, result.stdout + result.stderr


@pytest.mark.parametrize("level", ["B-B", "B-LT"])
def test_revoked_signer_is_refused(pki: LocalPki, pdf: Path, tmp_path: Path, level) -> None:
    backend = open_pkcs12(pki.pkcs12("revoked", PKI_SECRET), PKI_SECRET)
    with pytest.raises(SigningError) as info:
        sign_pdf(
            SignRequest(pdf, tmp_path / "out.pdf", level=level),
            backend,
            timestamper=pki.tsa_url,
            validation_context=_context(pki),
        )
    assert info.value.code == "certificate_revoked"
    assert "revoked" in info.value.message
    assert not (tmp_path / "out.pdf").exists()


def test_expired_signer_is_refused(pki: LocalPki, pdf: Path, tmp_path: Path) -> None:
    backend = open_pkcs12(pki.pkcs12("expired", PKI_SECRET), PKI_SECRET)
    [warning] = [w for w in check_certificate(backend, dt.datetime.now(dt.UTC)) if w.fatal]
    assert warning.code == "expired"
    with pytest.raises(SigningError) as info:
        sign_pdf(SignRequest(pdf, tmp_path / "out.pdf", level="B-T"), backend, timestamper=pki.tsa_url)
    assert info.value.code == "certificate_expired"


def test_signer_expiring_within_30_days_warns_but_signs(pki: LocalPki, pdf: Path, tmp_path: Path) -> None:
    backend = open_pkcs12(pki.pkcs12("expiring", PKI_SECRET), PKI_SECRET)
    warnings = check_certificate(backend, dt.datetime.now(dt.UTC))
    assert [(w.code, w.fatal) for w in warnings] == [("expires_soon", False)]
    assert "Lê Văn Cường" in warnings[0].message
    sign_pdf(SignRequest(pdf, tmp_path / "out.pdf"), backend)
    assert not check_certificate(open_pkcs12(pki.pkcs12("signer", PKI_SECRET), PKI_SECRET), dt.datetime.now(dt.UTC))


def test_unreachable_timestamp_authority_is_a_clear_error(signer, pdf: Path, tmp_path: Path) -> None:
    with pytest.raises(SigningError) as info:
        sign_pdf(SignRequest(pdf, tmp_path / "out.pdf", level="B-T"), signer, timestamper="http://127.0.0.1:9/tsa")
    assert info.value.code == "timestamp_unavailable"


def test_timestamped_signature_outlives_its_certificate(pki: LocalPki, pdf: Path, tmp_path: Path) -> None:
    backend = open_pkcs12(pki.pkcs12("expiring", PKI_SECRET), PKI_SECRET)  # expires in 10 days
    out = tmp_path / "lt.pdf"
    sign_pdf(SignRequest(pdf, out, level="B-LT"), backend, timestamper=pki.tsa_url, validation_context=_context(pki))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=40)
    [sig] = verify_pdf(out, trust_roots=[pki.root], validation_time=later).signatures
    assert sig.trusted and sig.valid and sig.level == "B-LT", sig

    untimed = tmp_path / "bb.pdf"
    sign_pdf(SignRequest(pdf, untimed), backend)
    [plain] = verify_pdf(untimed, trust_roots=[pki.root], validation_time=later).signatures
    assert plain.intact and not plain.trusted  # nothing proves it was signed before expiry
