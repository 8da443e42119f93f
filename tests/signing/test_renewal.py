"""PAdES-LTA renewal: a fresh document timestamp over an archived B-LTA file, as an incremental update."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
from pyhanko_certvalidator import ValidationContext

from sohoa.core.errors import InputRejected, SigningError
from sohoa.signing.backends import Pkcs12Backend
from sohoa.signing.renewal import renew_archive_timestamp, timestamp_expiry
from sohoa.signing.verify import verify_pdf
from testkit.localpki import LocalPki
from tests.signing.conftest import sign_lta


@pytest.fixture(scope="module")
def lta(pki: LocalPki, signer: Pkcs12Backend, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from testkit.material import make_pdf

    work = tmp_path_factory.mktemp("lta")
    return sign_lta(pki, signer, make_pdf(work / "in.pdf"), work / "lta.pdf")


def test_expiry_is_the_last_timestamp_certificate(pki: LocalPki, lta: Path, pdf: Path) -> None:
    tsa = pki.arch.get_cert("tsa")
    assert timestamp_expiry(lta) == tsa["tbs_certificate"]["validity"]["not_after"].native
    assert timestamp_expiry(pdf) is None


def test_renewal_appends_a_timestamp_and_keeps_everything_valid(pki: LocalPki, lta: Path, tmp_path: Path) -> None:
    out = tmp_path / "renewed.pdf"
    context = ValidationContext(trust_roots=[pki.root], allow_fetching=True)
    info = renew_archive_timestamp(lta, out, timestamper=pki.tsa_url, validation_context=context)
    assert out.read_bytes().startswith(lta.read_bytes())  # nothing before is rewritten
    assert info.document_timestamps == 2
    assert info.previous_expiry == timestamp_expiry(lta)
    assert info.expires_at == timestamp_expiry(out)
    report = verify_pdf(out, trust_roots=[pki.root])  # offline: the file carries what it needs
    [sig] = report.signatures
    assert report.document_timestamps == 2
    assert sig.valid and sig.level == "B-LTA", sig
    with pikepdf.open(lta) as before, pikepdf.open(out) as after:
        assert after.Root.Metadata.read_bytes() == before.Root.Metadata.read_bytes()  # PDF/A XMP untouched
    assert [p.name for p in tmp_path.iterdir()] == ["renewed.pdf"]


def test_file_without_document_timestamp_is_refused(pki: LocalPki, pdf: Path, tmp_path: Path) -> None:
    context = ValidationContext(trust_roots=[pki.root], allow_fetching=True)
    with pytest.raises(SigningError) as info:
        renew_archive_timestamp(pdf, tmp_path / "out.pdf", timestamper=pki.tsa_url, validation_context=context)
    assert info.value.code == "not_lta"
    assert not (tmp_path / "out.pdf").exists()


def test_timestamp_from_an_untrusted_authority_is_refused(pki: LocalPki, lta: Path, tmp_path: Path) -> None:
    context = ValidationContext(trust_roots=[], allow_fetching=False)
    with pytest.raises(SigningError) as info:
        renew_archive_timestamp(lta, tmp_path / "out.pdf", timestamper=pki.tsa_url, validation_context=context)
    assert info.value.code == "timestamp_invalid"


def _damaged_timestamp(path: Path) -> Path:
    """A PDF that opens, whose document timestamp field holds a signature dictionary pyHanko cannot read."""
    with pikepdf.new() as doc:
        doc.add_blank_page()
        value = doc.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.DocTimeStamp,
                Filter=pikepdf.Name("/Adobe.PPKLite"),
                SubFilter=pikepdf.Name("/ETSI.RFC3161"),
                Contents=pikepdf.String(b"\x30\x03\x02\x01\x05 not a timestamp token"),
                ByteRange=pikepdf.Array([0, 10, 20, 30]),
            )
        )
        field = doc.make_indirect(
            pikepdf.Dictionary(
                FT=pikepdf.Name.Sig, T=pikepdf.String("ts"), V=value, Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Widget, Rect=pikepdf.Array([0, 0, 0, 0]), P=doc.pages[0].obj,
            )
        )  # fmt: skip
        doc.pages[0].obj.Annots = pikepdf.Array([field])
        doc.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]), SigFlags=3)
        doc.save(path)
    return path


def test_a_damaged_timestamp_is_refused_not_raised(pki: LocalPki, tmp_path: Path) -> None:
    # pyHanko reads the signature dictionaries lazily: the damage shows past the opening of the file,
    # and must still be the file's refusal, so a renewal run goes on to the next document.
    damaged = _damaged_timestamp(tmp_path / "damaged.pdf")
    with pytest.raises(InputRejected) as expiry:
        timestamp_expiry(damaged)
    context = ValidationContext(trust_roots=[pki.root], allow_fetching=True)
    with pytest.raises(InputRejected) as renewal:
        renew_archive_timestamp(damaged, tmp_path / "out.pdf", timestamper=pki.tsa_url, validation_context=context)
    assert expiry.value.code == renewal.value.code == "unreadable_pdf"
    assert not (tmp_path / "out.pdf").exists()
