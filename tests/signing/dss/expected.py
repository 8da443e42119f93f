"""What the EU DSS project's own tests expect of each PAdES test file kept in ``files/``, and what
sohoa reports, with the reason wherever the two differ.

Each row names the DSS test class (``dss-pades/src/test/java/eu/europa/esig/dss/pades/validation/
suite/...`` at esig/dss commit d9473b8e) the expectation is read from. DSS's base class
(``AbstractPAdESTestValidation`` over ``AbstractPkiFactoryTestValidation``) asserts, unless the class
overrides it: at least one signature, every signature intact and valid at level B
(``checkBLevelValid``), and no modification after any signature or document timestamp
(``checkPdfRevision``). ``None`` means DSS's test states nothing about that value.

Values compared:
- ``count``: signatures (document timestamps not counted; DSS lists them as timestamps too);
- ``intact``: each signature's integrity, as a sorted tuple (DSS and sohoa order signatures
  differently); DSS's ``isSignatureIntact``/``isBLevelTechnicallyValid`` against sohoa's ``intact``;
- ``level``: the PAdES level of every signature, as a sorted tuple (DSS's ``PAdES_BASELINE_*``,
  ``PAdES_BES``/``EPES`` = B-B, ``PAdES_LTV`` = B-LTA as DSS's ``isBaselineLTA`` counts it);
- ``changed``: whether the file was changed after some signature in a way the verdict rejects
  (DSS: TOTAL_FAILED for page differences or undefined changes; sohoa: ``changed_after_signing``);
- ``exit``: ``sohoa verify``'s exit code (never 0 here: no DSS test root is trusted).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DSS_COMMIT", "ROWS", "Expectation", "Row"]

DSS_COMMIT = "d9473b8efea72fd5754623fa92bb9311f2b005c5"

Levels = tuple[str | None, ...]


@dataclass(frozen=True)
class Expectation:
    count: int | None = None
    intact: tuple[bool, ...] | None = None
    level: Levels | None = None
    changed: bool | None = None


@dataclass(frozen=True)
class Row:
    file: str  # under files/, as under dss-pades/src/test/resources/validation/
    dss_test: str
    dss: Expectation
    sohoa: Expectation
    exit: int = 1
    # value name -> why sohoa differs from DSS; every difference must be listed here
    disagreements: dict[str, str] = field(default_factory=dict)


_PYHANKO_DSS_REWRITE = (
    "the source document is a LibreOffice hybrid PDF: its trailer's /AdditionalStreams points to the "
    "embedded ODF document, and every later revision (DSS, timestamp) points it to a new stream. "
    "pyHanko's revision analysis cannot attribute that replacement to an LTV update ('unexplained "
    "xrefs ... AdditionalStreams') and reports 'other'; DSS does not look at the trailer. For an "
    "archive an unattributed replacement of an embedded editable source is a change"
)

ROWS: tuple[Row, ...] = (
    Row(
        "pdf-signed-original.pdf",
        "PAdESSimpleValidationTest",
        Expectation(count=1, intact=(True,), changed=False),
        Expectation(count=1, intact=(True,), level=("B-B",), changed=False),
    ),
    Row(
        "pades-bes.pdf",
        "PAdESBESValidationTest",
        Expectation(count=1, intact=(True,), level=("B-B",), changed=False),
        Expectation(count=1, intact=(True,), level=("B-B",), changed=False),
    ),
    Row(
        "encrypted.pdf",
        "DSS1538Test",
        Expectation(count=1, intact=(True,), changed=False),
        Expectation(count=1, intact=(True,), level=("B-B",), changed=False),
    ),
    Row(
        "pades-ltv.pdf",
        "PAdESLTVValidationTest",
        Expectation(count=1, intact=(True,), level=("B-LTA",), changed=False),
        Expectation(count=1, intact=(True,), level=("B-LTA",), changed=True),
        disagreements={"changed": "the first document timestamp: " + _PYHANKO_DSS_REWRITE},
    ),
    Row(
        "pades-lt-extended-dss.pdf",
        "DSS3111DSSTest",
        Expectation(count=2, intact=(True, True), level=("B-LT", "B-T"), changed=False),
        Expectation(count=2, intact=(True, True), level=("B-LT", "B-LT"), changed=True),
        disagreements={
            "level": "sohoa's B-LT needs revocation data about the signer's certificate in the file, "
            "which both signatures have; DSS decides LT against the trust anchors its test configures "
            "and the revocation data it accepts for them, and finds it for one signature only",
            "changed": "the document timestamp: " + _PYHANKO_DSS_REWRITE,
        },
    ),
    Row(
        "pades-t-duplicated-doctst.pdf",
        "PAdESLevelTWithDuplicatedDocTstTest",
        Expectation(count=1, intact=(True,), level=("B-T",), changed=False),
        Expectation(count=1, intact=(True,), level=("B-LT",), changed=True),
        disagreements={
            "level": "the DSS holds revocation data about the signer, which is B-LT for sohoa; DSS, "
            "without trust anchors in this test, does not reach LT with it",
            "changed": "the first document timestamp: " + _PYHANKO_DSS_REWRITE,
        },
    ),
    Row(
        "evidence-record/Signature-P-LT-ef971596-8f2e-407d-a413-aae9cb9b8e4a.pdf",
        "PAdESLevelLTWithXmlEvidenceRecordValidationTest",
        Expectation(count=1, intact=(True,), changed=False),
        Expectation(count=1, intact=(True,), level=("B-LT",), changed=True),
        disagreements={"changed": "the document timestamp: " + _PYHANKO_DSS_REWRITE},
    ),
    Row(
        "pades-tst-with-sig-type.pdf",
        "DSS1899Test",
        Expectation(count=1, intact=(True,), level=("B-LT",), changed=False),
        Expectation(count=1, intact=(True,), level=("B-LTA",), changed=True),
        disagreements={
            "level": "DSS skips a document timestamp whose dictionary says /Type /Sig; sohoa recognises "
            "it by its SubFilter ETSI.RFC3161 (ISO 32000-2) and validates it: intact, so B-LTA",
            "changed": "the signature: " + _PYHANKO_DSS_REWRITE,
        },
    ),
    Row(
        "pades-tst-with-null-type.pdf",
        "DSS1899TstWithNullTypeTest",
        Expectation(count=1, intact=(True,), level=("B-LTA",), changed=False),
        Expectation(count=1, intact=(True,), level=("B-LTA",), changed=False),
    ),
    Row(
        "pkcs7_sha1.pdf",
        "PdfPkcs7WithSha1SubFilterTest",
        Expectation(count=2, intact=(True, True), changed=False),
        Expectation(count=2, intact=(True, True), level=("B-B", "B-B"), changed=True),
        disagreements={
            "changed": "pyHanko's revision analysis reports the revision after the adbe.pkcs7.sha1 "
            "signature as 'other' (a rewritten page tree); DSS accepts it",
        },
    ),
    Row(
        "dss-1420/PAdES-BpB-att-SHA256-SHA3_224withRSA.pdf",
        "dss1420.DSS1420Sha224Test",
        Expectation(count=1, intact=(False,), level=("B-B",)),
        Expectation(count=1, intact=(False,), level=("B-B",), changed=False),
    ),
    Row(
        "dss-1420/PAdES-BpB-att-SHA256-SHA3_256withRSA.pdf",
        "dss1420.DSS1420Test",
        Expectation(count=1, intact=(False,), level=("B-B",)),
        Expectation(count=1, intact=(False,), level=("B-B",), changed=False),
    ),
    Row(
        "pades-unsupported-signature-algorithm.pdf",
        "PAdESWithUnsupportedSignatureAlgorithmTest",
        Expectation(count=1, intact=(False,)),
        Expectation(count=1, intact=(False,), level=("B-B",), changed=False),
    ),
    Row(
        "BadEncodedCMS.pdf",
        "BadEncodedCMSTest",
        Expectation(count=0),
        Expectation(count=1, intact=(False,), level=(None,), changed=False),
        disagreements={
            "count": "DSS drops a signature whose CMS it cannot decode (NO_SIGNATURE_FOUND); sohoa lists "
            "the filled signature field as an invalid signature (malformed_cms): a signature that "
            "cannot be read is not the same as none, for an archive",
        },
    ),
    Row(
        "pades-5-signatures-and-1-document-timestamp.pdf",
        "revocation.PAdESFiveSignaturesDocTest",
        Expectation(count=5),
        Expectation(),
        exit=2,
        disagreements={
            "count": "the last trailer says /Prev 0 and an earlier startxref points past its own %%EOF; "
            "PDFBox reconstructs the cross-reference chain, pyHanko and qpdf cannot follow it: sohoa "
            "answers unreadable_pdf (exit 2) instead of the OSError traceback it gave before",
        },
    ),
    Row(
        "pades_infinite_loop.pdf",
        "PAdESInfiniteLoopTest",
        Expectation(),  # DSS only asserts that a report comes back within 3 s
        Expectation(count=1, intact=(False,), level=(None,), changed=False),
    ),
    Row(
        "pdf-signed-corrupted.pdf",
        "PAdESSimpleCorruptedTest",
        Expectation(count=1, intact=(False,)),
        Expectation(count=1, intact=(False,), level=(None,), changed=False),
    ),
    Row(
        "pdf-signed-out-of-byteRange.pdf",
        "PAdESOutOfByteRangeTest",
        Expectation(count=1, intact=(False,)),
        Expectation(count=1, intact=(False,), level=("B-B",), changed=True),
    ),
    Row(
        "pdf-eof.pdf",
        "PAdESWithEofSignatureTest",
        Expectation(count=1, intact=(False,)),
        Expectation(count=1, intact=(False,), level=("B-T",), changed=True),
    ),
    Row(
        "pdf-byterange-overlap.pdf",
        "DSS2451Test",
        Expectation(count=2, intact=(False, True), changed=False),
        Expectation(count=2, intact=(False, True), level=("B-B", "B-B"), changed=True),
        disagreements={
            "changed": "after a signature whose byte range is invalid, pyHanko's revision analysis "
            "reports 'other'; DSS does not analyse changes after a signature it already rejected",
        },
    ),
    Row(
        "hello_signed_INCSAVE_signed_EDITED.pdf",
        "dss917.DSS917CorruptedTest",
        Expectation(count=2, intact=(False, True), changed=False),
        Expectation(count=2, intact=(False, True), level=("B-B", "B-B"), changed=True),
        disagreements={"changed": "as for pdf-byterange-overlap.pdf: after the signature with an invalid byte range"},
    ),
    Row(
        "pades-signed-annot-added.pdf",
        "PAdESLevelBWithAnnotAddedTest",
        Expectation(count=1, intact=(True,), changed=False),
        Expectation(count=1, intact=(True,), level=("B-B",), changed=True),
        disagreements={
            "changed": "an annotation added after signing is an accepted change for DSS; for an archive "
            "what a reader sees must be what was signed, so sohoa rejects it (by design)",
        },
    ),
    Row(
        "pdf-signed-added-page.pdf",
        "PAdESWithAddedPageTest",
        Expectation(count=1, intact=(True,), changed=True),
        Expectation(count=1, intact=(True,), level=("B-B",), changed=True),
    ),
    Row(
        "pades-lta-copied-doctst.pdf",
        "PAdESLevelLTAWithCopiedDocTstTest",
        Expectation(count=1, intact=(True,), level=("B-LTA",)),
        Expectation(count=1, intact=(True,), level=("B-LT",), changed=True),
        disagreements={
            "level": "the document timestamp was copied from another file and its imprint does not match: "
            "DSS still names the format B-LTA, sohoa does not count a timestamp that is not intact",
        },
    ),
    Row(
        "pades-two-sig-copied-tst.pdf",
        "PAdESTwoSigWithCopiedTstTest",
        Expectation(count=2, intact=(True, True), level=("B-T", "B-T")),
        Expectation(count=2, intact=(True, True), level=("B-B", "B-T"), changed=False),
        disagreements={
            "level": "one signature timestamp was copied from the other signature and does not match it: "
            "DSS still names the format B-T, sohoa reports timestamp_invalid and level B-B",
        },
    ),
    Row(
        "timestamped-fields.pdf",
        "PAdESTimestampedExistingFieldsTest",
        Expectation(count=0, changed=False),
        Expectation(count=0, intact=(), level=(), changed=True),
        disagreements={
            "changed": "the later timestamp fills a field that existed before the first one and rewrites "
            "its page object; pyHanko's revision analysis cannot attribute that page update to the "
            "timestamp ('unexplained xrefs') and reports 'other'; DSS attributes it",
        },
    ),
)
