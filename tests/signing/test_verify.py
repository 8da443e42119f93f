from __future__ import annotations

from pathlib import Path

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter

from sohoa.core.domain import SignRequest
from sohoa.core.errors import InputRejected
from sohoa.signing.pades import sign_pdf
from sohoa.signing.verify import verify_pdf
from testkit.localpki import LocalPki
from tests.support.corpus import corpus_file
from tests.support.pdfs import with_text_drawn

SECRET = b"verify test secret"


@pytest.fixture
def signed(dev_backend, pdf: Path, tmp_path: Path) -> Path:
    out = tmp_path / "signed.pdf"
    sign_pdf(SignRequest(pdf, out), dev_backend)
    return out


def test_byte_flipped_inside_signed_range_is_not_intact(dev_backend, signed: Path, tmp_path: Path) -> None:
    data = bytearray(signed.read_bytes())
    at = data.index(b"Giay phep so 12 - page 1")
    data[at] = ord("X")  # same length: the file still parses, only the digest differs
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    [sig] = verify_pdf(tampered, trust_roots=[dev_backend.development_root]).signatures
    assert not sig.intact
    assert not sig.valid
    assert sig.problems


def test_page_content_added_after_signing_is_a_modification(dev_backend, signed: Path, tmp_path: Path) -> None:
    changed = with_text_drawn(signed, tmp_path / "changed.pdf", "PAID")
    [sig] = verify_pdf(changed, trust_roots=[dev_backend.development_root]).signatures
    assert sig.intact and sig.trusted  # the signed revision itself is untouched
    assert sig.modification == "other"
    assert not sig.valid


def test_unsigned_document_reports_no_signature(pdf: Path) -> None:
    report = verify_pdf(pdf, trust_roots=[])
    assert report.signatures == ()
    assert report.summary == "no signature"
    assert not report.valid


def test_certified_document_reports_its_permission() -> None:
    report = verify_pdf(corpus_file("pdfs-special/certified-with-indirect-refs-in-dir.pdf"), trust_roots=[])
    [sig] = report.signatures
    assert sig.certification == "no_changes"
    assert sig.intact and not sig.trusted  # its self-signed signer is in no trust list of ours


def test_unreadable_file_raises(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"GIF89a not a pdf")
    with pytest.raises(InputRejected) as info:
        verify_pdf(bad, trust_roots=[])
    assert info.value.code == "unreadable_pdf"


def test_report_serialises_to_json_types(dev_backend, signed: Path) -> None:
    data = verify_pdf(signed, trust_roots=[dev_backend.development_root]).to_dict()
    assert data["valid"] is True
    assert isinstance(data["signatures"][0]["signing_time"], str)


def _sign_without_checks(pki: LocalPki, label: str, source: Path, out: Path) -> None:
    """Sign as a careless tool would, with whatever certificate the key has (sohoa refuses these)."""
    signer = signers.SimpleSigner.load_pkcs12(str(pki.pkcs12(label, SECRET)), passphrase=SECRET)
    meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=SigSeedSubFilter.PADES)
    with open(source, "rb") as fh, open(out, "wb") as sink:
        signers.sign_pdf(IncrementalPdfFileWriter(fh), meta, signer=signer, output=sink)


def test_signature_by_an_expired_certificate_is_untrusted(pki: LocalPki, pdf: Path, tmp_path: Path) -> None:
    out = tmp_path / "expired.pdf"
    _sign_without_checks(pki, "expired", pdf, out)
    [sig] = verify_pdf(out, trust_roots=[pki.root], allow_fetching=True).signatures
    assert sig.intact and not sig.trusted and not sig.valid
    assert "Phạm Thị Dung" in (sig.signer_subject or "")
    assert "untrusted" in sig.problem_codes, sig.problems


def test_signature_by_a_revoked_certificate_is_revoked(pki: LocalPki, pdf: Path, tmp_path: Path) -> None:
    out = tmp_path / "revoked.pdf"
    _sign_without_checks(pki, "revoked", pdf, out)
    [sig] = verify_pdf(out, trust_roots=[pki.root], allow_fetching=True).signatures
    assert sig.intact and sig.revocation == "revoked" and not sig.valid, sig
    # the same file signed by a good certificate of that CA passes: the verdict is the revocation's
    good = tmp_path / "good.pdf"
    _sign_without_checks(pki, "signer", pdf, good)
    [ok] = verify_pdf(good, trust_roots=[pki.root], allow_fetching=True).signatures
    assert ok.valid and ok.revocation == "good", ok


DSS_FILES = Path(__file__).parent / "dss" / "files"


def test_legacy_sha1_signature_is_listed_and_named() -> None:
    report = verify_pdf(DSS_FILES / "pkcs7_sha1.pdf", trust_roots=[])
    legacy = [s for s in report.signatures if s.subfilter == "adbe.pkcs7.sha1"]
    assert len(report.signatures) == 2 and len(legacy) == 1
    assert legacy[0].intact and "legacy_sha1" in legacy[0].problem_codes


@pytest.mark.parametrize("name", ["pades-tst-with-sig-type.pdf", "pades-tst-with-null-type.pdf"])
def test_document_timestamp_is_known_by_its_subfilter_whatever_its_type(name: str) -> None:
    report = verify_pdf(DSS_FILES / name, trust_roots=[])
    [sig] = report.signatures
    [stamp] = report.timestamps
    assert stamp.intact and stamp.time is not None
    assert sig.intact and sig.level == "B-LTA" and sig.subfilter == "ETSI.CAdES.detached"


def test_unimplemented_algorithm_is_not_called_an_alteration() -> None:
    [sig] = verify_pdf(DSS_FILES / "dss-1420/PAdES-BpB-att-SHA256-SHA3_256withRSA.pdf", trust_roots=[]).signatures
    assert not sig.intact and sig.problem_codes == ("unsupported_algorithm",)


def test_malformed_signature_is_that_signature_s_problem() -> None:
    report = verify_pdf(DSS_FILES / "BadEncodedCMS.pdf", trust_roots=[])
    [sig] = report.signatures
    assert not sig.intact and sig.level is None and sig.problem_codes == ("malformed_cms",)


def test_dangling_reference_does_not_break_the_revision_analysis() -> None:
    """pades-ltv.pdf refers to an object no revision defines; it was 'unreadable signature' (KeyError)."""
    [sig] = verify_pdf(DSS_FILES / "pades-ltv.pdf", trust_roots=[]).signatures
    assert sig.intact and sig.modification == "none" and sig.level == "B-LTA"
    assert "unreadable_revision" not in sig.problem_codes


def test_password_protected_file_is_refused_but_a_merely_restricted_one_is_read(pdf: Path, tmp_path: Path) -> None:
    import pikepdf

    locked = tmp_path / "locked.pdf"
    with pikepdf.open(pdf) as doc:
        doc.save(locked, encryption=pikepdf.Encryption(user="mat khau", owner="chu so huu"))
    with pytest.raises(InputRejected) as info:
        verify_pdf(locked, trust_roots=[])
    assert info.value.code == "password_protected"
    # encrypted with an empty user password (editing restricted): DSS1538Test's file, signature intact
    [sig] = verify_pdf(DSS_FILES / "encrypted.pdf", trust_roots=[]).signatures
    assert sig.intact
