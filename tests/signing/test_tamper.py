"""Tampered copies of sohoa's own B-LTA output: each must fail verification with the right reason,
and pdfsig (poppler) is asked beside sohoa where it is installed.

pdfsig checks the CMS signature over its byte range and says whether the last signature covers the
whole file; it neither validates document timestamps ("Unable to validate this type of signature")
nor analyses what later revisions changed. So where sohoa and pdfsig differ below, it is because
sohoa checks what pdfsig does not: the document timestamp, and what happened after a signature.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from sohoa.signing.backends import Pkcs12Backend
from sohoa.signing.verify import VerificationReport, verify_pdf
from testkit.localpki import LocalPki
from testkit.material import make_form_pdf
from tests.signing.conftest import sign_lta
from tests.support.pdfs import with_text_drawn


@pytest.fixture(scope="module")
def lta(pki: LocalPki, signer: Pkcs12Backend, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("tamper")
    return sign_lta(pki, signer, make_form_pdf(work / "in.pdf"), work / "lta.pdf")


def _verify(pki: LocalPki, path: Path) -> VerificationReport:
    return verify_pdf(path, trust_roots=[pki.root])


def _contents_spans(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every /Contents hex string, in file order: the signature, then the timestamp."""
    spans = []
    for match in re.finditer(rb"/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)\s+\d+\s*\]", data):
        spans.append((int(match.group(1)) + 1, int(match.group(2)) - 1))  # inside < and >
    return sorted(spans)


def _pdfsig(path: Path) -> list[dict[str, object]] | None:
    """pdfsig's verdict per signature (field, valid, total), or None when pdfsig is not installed."""
    program = shutil.which("pdfsig")
    if program is None:
        return None
    out = subprocess.run([program, str(path)], capture_output=True, text=True, timeout=60, check=False).stdout
    found = []
    for block in out.split("Signature #")[1:]:
        name = re.search(r"Signature Field Name: (.*)", block)
        found.append(
            {
                "field": name.group(1).strip() if name else None,
                "valid": "Signature is Valid" in block,
                "total": "Not total document signed" not in block and "Total document signed" in block,
            }
        )
    return found


def test_untouched_file_is_valid_and_pdfsig_agrees(pki: LocalPki, lta: Path) -> None:
    report = _verify(pki, lta)
    assert report.valid, report
    [sig], [stamp] = report.signatures, report.timestamps
    assert sig.level == "B-LTA" and sig.certification == "no_changes" and stamp.valid
    seen = _pdfsig(lta)
    if seen is not None:
        assert seen[0]["valid"] and seen[-1]["total"], seen  # the timestamp covers the whole file


def test_byte_flipped_in_the_timestamp_covered_range(pki: LocalPki, lta: Path, tmp_path: Path) -> None:
    data = bytearray(lta.read_bytes())
    (_, sig_end), (ts_start, _) = _contents_spans(bytes(data))
    # a byte of the revision the timestamp added (its field's tooltip), not of the signed revision
    revision_end = data.index(b"%%EOF", sig_end)
    at = data.index(b"/TU (Timestamp)", revision_end) + len(b"/TU (Time")
    assert at < ts_start
    data[at] = ord("S")  # Timestamp -> TimeStamp: same length, still a PDF
    tampered = tmp_path / "flipped.pdf"
    tampered.write_bytes(bytes(data))
    report = _verify(pki, tampered)
    [stamp] = report.timestamps
    assert not report.valid and not stamp.intact and not stamp.valid, stamp
    assert report.signatures[0].intact  # its own revision is untouched
    seen = _pdfsig(tampered)
    if seen is not None:
        # pdfsig agrees the signature is intact and cannot check the timestamp that sohoa rejects
        assert seen[0]["valid"], seen


def test_byte_flipped_inside_the_timestamp_token(pki: LocalPki, lta: Path, tmp_path: Path) -> None:
    data = bytearray(lta.read_bytes())
    _, (ts_start, _) = _contents_spans(bytes(data))
    at = ts_start + 600  # inside the DER token, well before the zero padding
    data[at] = ord("0") if data[at] != ord("0") else ord("1")
    tampered = tmp_path / "token.pdf"
    tampered.write_bytes(bytes(data))
    report = _verify(pki, tampered)
    [stamp] = report.timestamps
    assert not report.valid and not stamp.valid and not stamp.intact, stamp
    assert stamp.problem_codes
    assert report.signatures[0].intact and report.signatures[0].level in ("B-LT", "B-LTA")


@pytest.mark.parametrize("junk", [b"\n% appended\n", b"X" * 5000], ids=["short", "beyond-1k"])
def test_bytes_after_eof_are_reported(pki: LocalPki, lta: Path, tmp_path: Path, junk: bytes) -> None:
    tampered = tmp_path / "junk.pdf"
    tampered.write_bytes(lta.read_bytes() + junk)
    report = _verify(pki, tampered)
    assert report.trailing_bytes == len(junk) and not report.valid
    [sig] = report.signatures
    assert sig.intact and sig.signature_valid and not sig.valid
    assert "bytes_after_last_revision" in sig.problem_codes
    assert "bytes_after_last_revision" in report.timestamps[0].problem_codes
    seen = _pdfsig(tampered)
    if seen is not None:
        assert not seen[-1]["total"], seen  # pdfsig: "Not total document signed", as sohoa says


def test_trailing_line_ends_are_not_content(pki: LocalPki, lta: Path, tmp_path: Path) -> None:
    padded = tmp_path / "padded.pdf"
    padded.write_bytes(lta.read_bytes() + b"\r\n\n")
    assert _verify(pki, padded).valid


def _fill_header_field(source: Path, out: Path) -> None:
    """Fill the text field over the header with an opaque box saying something else."""
    with open(source, "rb") as fh:
        writer = IncrementalPdfFileWriter(fh, strict=False)
        [ref] = [r for r in writer.root["/AcroForm"]["/Fields"] if r.get_object().get("/FT") == "/Tx"]
        field = ref.get_object()
        appearance = writer.add_object(
            generic.StreamObject(
                {
                    generic.NameObject("/Type"): generic.NameObject("/XObject"),
                    generic.NameObject("/Subtype"): generic.NameObject("/Form"),
                    generic.NameObject("/BBox"): generic.ArrayObject(generic.NumberObject(n) for n in (0, 0, 595, 142)),
                },
                stream_data=b"1 1 1 rg 0 0 595 142 re f 0 g BT /Helvetica 30 Tf 20 60 Td (DA THANH TOAN) Tj ET",
            )
        )
        field["/V"] = generic.TextStringObject("DA THANH TOAN")
        field["/AP"] = generic.DictionaryObject({generic.NameObject("/N"): appearance})
        writer.mark_update(ref)
        with open(out, "wb") as sink:
            writer.write(sink)


def test_form_filled_after_a_certification(pki: LocalPki, lta: Path, tmp_path: Path) -> None:
    filled = tmp_path / "filled.pdf"
    _fill_header_field(lta, filled)
    report = _verify(pki, filled)
    [sig] = report.signatures
    assert sig.intact and sig.modification == "form_filling" and not sig.valid and not report.valid
    assert "changed_after_signing" in sig.problem_codes
    seen = _pdfsig(filled)
    if seen is not None:
        # pdfsig finds the signature intact (true of its byte range) and the file not totally signed;
        # it does not say what changed, sohoa does
        assert seen[0]["valid"] and not seen[-1]["total"], seen


def test_form_filled_after_an_approval_signature(pki: LocalPki, signer, tmp_path: Path) -> None:
    """No certification forbids the filling here: the archive rule alone refuses it."""
    source, signed, filled = tmp_path / "in.pdf", tmp_path / "approved.pdf", tmp_path / "filled.pdf"
    make_form_pdf(source)
    meta = signers.PdfSignatureMetadata(field_name="Approval", md_algorithm="sha256")
    with open(source, "rb") as fh, open(signed, "wb") as sink:
        signers.sign_pdf(IncrementalPdfFileWriter(fh), meta, signer=signer.signer, output=sink)
    assert _verify(pki, signed).valid
    _fill_header_field(signed, filled)
    report = _verify(pki, filled)
    [sig] = report.signatures
    assert sig.certification is None and sig.modification == "form_filling"
    assert sig.signature_valid and not sig.valid and not report.valid


def test_annotation_added_after_signing(pki: LocalPki, lta: Path, tmp_path: Path) -> None:
    annotated = tmp_path / "annotated.pdf"
    with open(lta, "rb") as fh:
        writer = IncrementalPdfFileWriter(fh, strict=False)
        page_ref = writer.root["/Pages"]["/Kids"][0]
        note = writer.add_object(
            generic.DictionaryObject(
                {
                    generic.NameObject("/Type"): generic.NameObject("/Annot"),
                    generic.NameObject("/Subtype"): generic.NameObject("/Square"),
                    generic.NameObject("/Rect"): generic.ArrayObject(
                        generic.NumberObject(n) for n in (50, 700, 545, 800)
                    ),
                    generic.NameObject("/IC"): generic.ArrayObject(generic.NumberObject(1) for _ in range(3)),
                }
            )
        )
        writer.register_annotation(page_ref, note)
        with open(annotated, "wb") as sink:
            writer.write(sink)
    [sig] = _verify(pki, annotated).signatures
    assert sig.intact and sig.modification in ("annotations", "other") and not sig.valid
    assert "changed_after_signing" in sig.problem_codes


def test_page_changed_after_signing(pki: LocalPki, lta: Path, tmp_path: Path) -> None:
    changed = with_text_drawn(lta, tmp_path / "changed.pdf", "HUY")
    report = _verify(pki, changed)
    [sig], [stamp] = report.signatures, report.timestamps
    assert sig.intact and sig.modification == "other" and not sig.valid
    assert stamp.intact and stamp.modification == "other" and not stamp.valid  # the page changed after it too
    seen = _pdfsig(changed)
    if seen is not None:
        assert seen[0]["valid"] and not seen[-1]["total"], seen


@pytest.mark.parametrize("which", [0, 1], ids=["signature", "document-timestamp"])
def test_each_signature_stripped_in_turn(pki: LocalPki, lta: Path, tmp_path: Path, which: int) -> None:
    """Blank one /Contents (same length, so the file still parses): that entry fails, the other is
    still checked, and there is always a report."""
    data = bytearray(lta.read_bytes())
    start, end = _contents_spans(bytes(data))[which]
    data[start:end] = b"0" * (end - start)
    stripped = tmp_path / "stripped.pdf"
    stripped.write_bytes(bytes(data))
    report = _verify(pki, stripped)
    assert not report.valid
    entries = [*report.signatures, *report.timestamps]
    gone = entries[which]
    assert not gone.intact and not gone.valid and gone.problem_codes, gone
    other = entries[1 - which]
    if which == 1:
        assert other.intact  # the signature does not depend on the timestamp's bytes
    else:
        assert not other.intact  # the timestamp covered the signature's /Contents


def test_revision_cut_off_leaves_the_earlier_level(pki: LocalPki, lta: Path, tmp_path: Path) -> None:
    """The document timestamp's revision removed: a complete B-LT file remains, and is valid."""
    data = lta.read_bytes()
    _, (ts_start, _) = _contents_spans(data)
    cut = data.rfind(b"%%EOF", 0, ts_start) + len(b"%%EOF\n")
    earlier = tmp_path / "earlier.pdf"
    earlier.write_bytes(data[:cut])
    report = _verify(pki, earlier)
    assert report.timestamps == () and report.valid, report
    assert report.signatures[0].level == "B-LT"


def test_no_damaged_copy_crashes_the_verifier(pki: LocalPki, lta: Path, tmp_path: Path) -> None:
    """Bytes changed or the file cut at positions spread over the whole file: always a report (or,
    for a file that is no PDF any more, InputRejected), never another exception, never valid."""
    from sohoa.core.errors import InputRejected

    data = lta.read_bytes()
    # inside a /Contents hex string a flipped case is the same byte, and the padding is not signed
    unsigned = [range(start, end) for start, end in _contents_spans(data)]
    damaged = tmp_path / "damaged.pdf"
    for i in range(1, 60):
        at = i * len(data) // 60
        for copy in (data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1 :], data[:at]):
            damaged.write_bytes(copy)
            try:
                report = _verify(pki, damaged)
            except InputRejected as exc:
                assert exc.code in ("unreadable_pdf", "password_protected"), exc
                continue
            cut_at_a_revision_end = len(copy) < len(data) and copy.rstrip().endswith(b"%%EOF")
            if not cut_at_a_revision_end and not any(at in span for span in unsigned):
                assert not report.valid, at
