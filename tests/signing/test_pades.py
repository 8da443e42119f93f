from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from pathlib import Path

import pikepdf
import pytest

from sohoa.core.domain import SignRequest
from sohoa.core.errors import InputRejected, SigningError
from sohoa.signing import pades
from sohoa.signing.backends import open_pkcs12
from sohoa.signing.certificates import check_certificate
from sohoa.signing.pades import certificate_fingerprint, sign_pdf
from sohoa.signing.verify import verify_pdf
from testkit.material import make_pdf, new_key, write_pkcs12
from tests.signing.conftest import PASSPHRASE
from tests.support.corpus import corpus_file
from tests.support.services import need_program


def test_dev_ca_signature_is_intact_and_trusted(dev_backend, pdf: Path, tmp_path: Path) -> None:
    out = tmp_path / "signed.pdf"
    request = SignRequest(pdf, out, reason="Số hóa kết quả giải quyết thủ tục hành chính", location="Huế")
    before = dt.datetime.now(dt.UTC)
    info = sign_pdf(request, dev_backend)

    assert info.level == "B-B"
    assert info.output_sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert info.certificate_sha256 == certificate_fingerprint(dev_backend.certificate)
    assert "Sở Văn hóa" in info.signer_subject
    assert before <= info.signed_at <= dt.datetime.now(dt.UTC)

    report = verify_pdf(out, trust_roots=[dev_backend.development_root])
    [sig] = report.signatures
    assert (sig.intact, sig.trusted, sig.modification, sig.level, sig.valid) == (True, True, "none", "B-B", True)
    assert report.valid
    # without the dev root nothing vouches for the signer
    untrusted = verify_pdf(out, trust_roots=[])
    assert untrusted.signatures[0].intact and not untrusted.signatures[0].trusted
    assert not untrusted.valid


def test_signing_appends_and_keeps_pdfa_identification(dev_backend, pdf: Path, tmp_path: Path) -> None:
    out = tmp_path / "signed.pdf"
    sign_pdf(SignRequest(pdf, out), dev_backend)
    original = pdf.read_bytes()
    assert out.read_bytes().startswith(original)  # an incremental update, never a rewrite
    with pikepdf.open(pdf) as before, pikepdf.open(out) as signed:
        xmp = signed.Root.Metadata.read_bytes()
        assert xmp == before.Root.Metadata.read_bytes()
        assert b"<pdfaid:part>2</pdfaid:part>" in xmp
        assert len(signed.pages) == 2


def test_poppler_accepts_the_signature(dev_backend, pdf: Path, tmp_path: Path) -> None:
    pdfsig = need_program("pdfsig")
    out = tmp_path / "signed.pdf"
    sign_pdf(SignRequest(pdf, out), dev_backend)
    result = subprocess.run([pdfsig, str(out)], capture_output=True, text=True, timeout=60, check=False)
    assert "Signature is Valid" in result.stdout, result.stdout + result.stderr
    assert "ETSI.CAdES.detached" in result.stdout


def test_pkcs12_rsa_and_ecdsa_signatures_verify(pkcs12_backend, test_ca, pdf: Path, tmp_path: Path) -> None:
    out = tmp_path / "signed.pdf"
    sign_pdf(SignRequest(pdf, out), pkcs12_backend)
    [sig] = verify_pdf(out, trust_roots=[test_ca.cert]).signatures
    assert sig.intact and sig.trusted and sig.valid
    assert "sohoa test signer" in (sig.signer_subject or "")


def test_one_backend_signs_many_documents_with_one_signature_each(pkcs12_backend, tmp_path: Path, monkeypatch) -> None:
    # no dry run: pyHanko's size estimate would sign once more per document
    calls: list[bool] = []
    original = type(pkcs12_backend.signer).async_sign_raw

    async def counting(self, data, digest_algorithm, dry_run=False):
        calls.append(dry_run)
        return await original(self, data, digest_algorithm, dry_run)

    monkeypatch.setattr(type(pkcs12_backend.signer), "async_sign_raw", counting)
    for i in range(3):
        source = make_pdf(tmp_path / f"in{i}.pdf", text=f"van ban {i}")
        sign_pdf(SignRequest(source, tmp_path / f"out{i}.pdf"), pkcs12_backend)
    assert calls == [False, False, False]


def test_output_replaces_atomically_and_leaves_no_temp_files(dev_backend, pdf: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "signed.pdf"
    out.parent.mkdir()
    out.write_bytes(b"old content")
    sign_pdf(SignRequest(pdf, out), dev_backend)
    assert out.read_bytes().startswith(b"%PDF")
    assert [p.name for p in out.parent.iterdir()] == ["signed.pdf"]


def test_expired_certificate_is_refused(test_ca, pdf: Path, tmp_path: Path) -> None:
    key = new_key("ec")
    now = dt.datetime.now(dt.UTC)
    cert = test_ca.issue(
        key, "expired signer", not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=1)
    )
    backend = open_pkcs12(write_pkcs12(tmp_path / "old.p12", key, cert, [test_ca.cert], PASSPHRASE), PASSPHRASE)
    with pytest.raises(SigningError) as info:
        sign_pdf(SignRequest(pdf, tmp_path / "out.pdf"), backend)
    assert info.value.code == "certificate_expired"
    assert not (tmp_path / "out.pdf").exists()


@pytest.mark.parametrize(
    ("edge", "refused"),
    [
        # a moment before, at and after the edge: the period includes both its ends (RFC 5280)
        ("not_before", ["certificate_not_yet_valid", None, None]),
        ("not_after", [None, None, "certificate_expired"]),
    ],
)
def test_signing_refuses_exactly_when_the_certificate_check_does(
    test_ca, pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edge: str, refused: list[str | None]
) -> None:
    key = new_key("ec")
    now = dt.datetime.now(dt.UTC)
    cert = test_ca.issue(
        key, "edge signer", not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=1)
    )
    backend = open_pkcs12(write_pkcs12(tmp_path / "edge.p12", key, cert, [test_ca.cert], PASSPHRASE), PASSPHRASE)
    at_edge = backend.certificate["tbs_certificate"]["validity"][edge].native
    signed: list[str | None] = []
    checked: list[str | None] = []
    for i, moment in enumerate(at_edge + dt.timedelta(microseconds=step) for step in (-1, 0, 1)):
        monkeypatch.setattr(pades, "utcnow", lambda moment=moment: moment)
        try:
            sign_pdf(SignRequest(pdf, tmp_path / f"out{i}.pdf"), backend)
        except SigningError as exc:
            signed.append(exc.code)
            assert exc.details == {edge: at_edge.isoformat()}
        else:
            signed.append(None)
        fatal = [w.error().code for w in check_certificate(backend, moment) if w.fatal]
        checked.append(fatal[0] if fatal else None)
    assert signed == checked == refused


def test_certified_no_changes_document_is_not_signed(dev_backend, tmp_path: Path) -> None:
    source = corpus_file("pdfs-special/certified-with-indirect-refs-in-dir.pdf")
    with pytest.raises(SigningError) as info:
        sign_pdf(SignRequest(source, tmp_path / "out.pdf"), dev_backend)
    assert info.value.code == "changes_forbidden"
    assert not (tmp_path / "out.pdf").exists()


@pytest.mark.parametrize("name", ["digitally-signed.pdf", "minimal-two-fields-signed-twice.pdf"])
def test_signing_a_signed_document_keeps_earlier_signatures_intact(dev_backend, tmp_path: Path, name: str) -> None:
    source = corpus_file(f"pdfs-special/{name}")
    before = verify_pdf(source, trust_roots=[])
    out = tmp_path / "signed.pdf"
    info = sign_pdf(SignRequest(source, out), dev_backend)
    assert out.read_bytes().startswith(source.read_bytes())
    after = verify_pdf(out, trust_roots=[dev_backend.development_root])
    assert len(after.signatures) == len(before.signatures) + 1
    earlier = {s.field_name: s.intact for s in before.signatures}
    assert earlier and all(earlier.values())
    assert {s.field_name: s.intact for s in after.signatures if s.field_name in earlier} == earlier
    ours = next(s for s in after.signatures if s.field_name == info.field_name)
    assert ours.intact and ours.trusted and ours.valid
    assert info.field_name not in earlier


def test_unparseable_input_is_rejected(dev_backend, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\nthis is not a pdf at all\n")
    with pytest.raises(InputRejected) as info:
        sign_pdf(SignRequest(bad, tmp_path / "out.pdf"), dev_backend)
    assert info.value.code == "unreadable_pdf"


def test_timestamp_levels_need_a_timestamper(dev_backend, pdf: Path, tmp_path: Path) -> None:
    with pytest.raises(SigningError) as info:
        sign_pdf(SignRequest(pdf, tmp_path / "out.pdf", level="B-T"), dev_backend)
    assert info.value.code == "timestamper_required"


def _approval_signature(backend, source: Path, out: Path, field: str = "Approval") -> None:
    """An approval signature as another tool makes it: no certification, no lock."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    meta = signers.PdfSignatureMetadata(field_name=field, md_algorithm="sha256")
    with open(source, "rb") as fh, open(out, "wb") as sink:
        signers.sign_pdf(IncrementalPdfFileWriter(fh), meta, signer=backend.signer, output=sink)


def test_sohoa_signature_certifies_and_forbids_a_second_signature(dev_backend, pdf: Path, tmp_path: Path) -> None:
    once = tmp_path / "once.pdf"
    sign_pdf(SignRequest(pdf, once), dev_backend)
    [sig] = verify_pdf(once, trust_roots=[dev_backend.development_root]).signatures
    assert sig.certification == "no_changes" and sig.valid
    with pytest.raises(SigningError) as info:
        sign_pdf(SignRequest(once, tmp_path / "twice.pdf"), dev_backend)
    assert info.value.code == "changes_forbidden"


def test_signature_after_others_locks_its_field(dev_backend, pdf: Path, tmp_path: Path) -> None:
    approved, ours, later = tmp_path / "approved.pdf", tmp_path / "ours.pdf", tmp_path / "later.pdf"
    _approval_signature(dev_backend, pdf, approved)
    info = sign_pdf(SignRequest(approved, ours), dev_backend)
    report = verify_pdf(ours, trust_roots=[dev_backend.development_root])
    assert [(s.field_name, s.valid) for s in report.signatures] == [("Approval", True), (info.field_name, True)]
    assert report.signatures[0].certification is None  # a later signature is no change to an approval
    assert report.signatures[1].certification == "no_changes"  # from the field's /Lock /P 1
    _approval_signature(dev_backend, ours, later, field="Later")
    checked = verify_pdf(later, trust_roots=[dev_backend.development_root]).signatures
    assert [s.valid for s in checked] == [True, False, True]
    assert checked[1].intact and "changed_after_signing" in checked[1].problem_codes


def test_too_small_reservation_falls_back_to_measuring(dev_backend, pdf: Path, tmp_path: Path, monkeypatch) -> None:
    import sohoa.signing.pades as pades

    monkeypatch.setattr(pades, "reserved_bytes", lambda backend, level: 512)
    out = tmp_path / "signed.pdf"
    sign_pdf(SignRequest(pdf, out), dev_backend)
    [sig] = verify_pdf(out, trust_roots=[dev_backend.development_root]).signatures
    assert sig.valid


def test_stamped_signature_after_others_is_locked_too(dev_backend, pdf: Path, tmp_path: Path) -> None:
    from sohoa.signing.stamp import CopyStamp

    approved, ours = tmp_path / "approved.pdf", tmp_path / "ours.pdf"
    _approval_signature(dev_backend, pdf, approved)
    info = sign_pdf(SignRequest(approved, ours), dev_backend, stamp=CopyStamp(agency_name="Sở Tư pháp"))
    assert info.stamp_text is not None
    first, stamped = verify_pdf(ours, trust_roots=[dev_backend.development_root]).signatures
    assert first.valid and stamped.valid and stamped.certification == "no_changes"
