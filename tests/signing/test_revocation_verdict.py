"""An unknown revocation status is its own verdict, and a setting makes it fail."""

from __future__ import annotations

from pathlib import Path

from sohoa.core.domain import SignRequest
from sohoa.pipeline.actions.signatures import verify_file
from sohoa.signing.pades import sign_pdf
from sohoa.signing.verify import verify_pdf
from testkit.localpki import LocalPki
from tests.signing.test_verify import _sign_without_checks


def test_a_signer_nobody_can_vouch_for_is_valid_with_revocation_unknown(dev_backend, pdf: Path, tmp_path: Path) -> None:
    out = tmp_path / "signed.pdf"
    sign_pdf(SignRequest(pdf, out), dev_backend)  # the development CA publishes no OCSP or CRL
    report = verify_pdf(out, trust_roots=[dev_backend.development_root])
    [sig] = report.signatures
    assert sig.valid and sig.revocation == "unknown" and sig.verdict == "valid_revocation_unknown"
    assert report.valid and report.verdict == "valid_revocation_unknown"
    assert report.summary.endswith("revocation not checked")
    assert report.to_dict()["verdict"] == "valid_revocation_unknown"
    required = verify_pdf(out, trust_roots=[dev_backend.development_root], require_revocation=True)
    [strict] = required.signatures
    assert not strict.valid and not strict.signature_valid and strict.intact and strict.trusted
    assert strict.problem_codes == ("revocation_unknown",) and required.verdict == "invalid"


def test_a_checked_signer_is_plainly_valid_also_when_revocation_is_required(
    pki: LocalPki, pdf: Path, tmp_path: Path
) -> None:
    good = tmp_path / "good.pdf"
    _sign_without_checks(pki, "signer", pdf, good)
    report = verify_pdf(good, trust_roots=[pki.root], allow_fetching=True, require_revocation=True)
    assert report.verdict == "valid" and report.signatures[0].verdict == "valid"


def test_the_setting_reaches_verification(settings, dev_backend, pdf: Path, tmp_path: Path) -> None:
    out = tmp_path / "signed.pdf"
    sign_pdf(SignRequest(pdf, out), dev_backend)
    roots = [tmp_path / "root.der"]
    roots[0].write_bytes(dev_backend.development_root.dump())  # asn1crypto: DER
    assert verify_file(settings, out, extra_roots=roots).verdict == "valid_revocation_unknown"
    strict = settings.model_copy(update={"require_revocation": True})
    assert verify_file(strict, out, extra_roots=roots).verdict == "invalid"
