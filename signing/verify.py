"""Verify a signed PDF: is this file exactly what was signed, by someone we trust?

``VerificationReport.valid`` (``sohoa verify``'s exit 0) holds only when the file has a signature and
every signature and document timestamp is intact and trusted, and nothing follows the last covered
revision but long-term-validation updates (document security store, document timestamps). Form
filling, annotations, bytes appended after ``%%EOF`` or any other change after a signature make the
file invalid, with the reason on each signature concerned; each report still says whether the
signature *itself* checks out (``intact``, ``trusted``, ``signature_valid``).

Nothing in one signature's analysis raises: an exception becomes that signature's problem (codes in
:mod:`signing.problems`) and the others are still checked. Only a file that is not a PDF at all
raises ``InputRejected(code="unreadable_pdf")`` (or ``password_protected``).

Levels are those the file holds (:mod:`signing.levels`), for sohoa's files and third-party ones alike.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, TypeAlias

from asn1crypto import x509 as asn1_x509
from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext

from sohoa.core.domain import SignatureLevel
from sohoa.core.errors import InputRejected
from sohoa.signing.inspection import (
    LaterFields,
    Modification,
    Outcome,
    Revocation,
    certificate_sha256,
    describe_error,
    inspect_signature,
    inspect_timestamp,
)
from sohoa.signing.levels import holds_revocation_data, structural_level
from sohoa.signing.problems import Problem, problem
from sohoa.signing.signed_pdf import (
    Entry,
    Prefix,
    last_eof_end,
    list_entries,
    open_reader,
    salvage_fields,
    trailing_bytes,
)

__all__ = ["SignatureReport", "TimestampReport", "VerificationReport", "verify_pdf"]

TrustRoot: TypeAlias = asn1_x509.Certificate | pyca_x509.Certificate


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    signer_subject: str | None
    certificate_sha256: str | None
    signing_time: dt.datetime | None  # as claimed by the signer
    timestamp_time: dt.datetime | None  # from a valid signature timestamp
    level: SignatureLevel | None  # what the file holds; None when the signature cannot be read
    intact: bool  # the signed bytes are unchanged and the signature value checks out
    trusted: bool  # chains to a trust root, with acceptable key usage
    revocation: Revocation
    modification: Modification  # changes made to the document after this signature
    valid: bool  # signature_valid, and nothing but LTV updates after it
    certification: str | None = None  # DocMDP permission (certification or field lock)
    problems: tuple[str, ...] = ()
    problem_codes: tuple[str, ...] = ()  # stable codes of signing.problems, one per problem
    signature_valid: bool = False  # the signature on its own: intact, trusted, not revoked
    subfilter: str | None = None
    # "valid", "valid_revocation_unknown" (valid, but nobody could say the certificate was not revoked)
    # or "invalid": unknown revocation is its own verdict, never silently "valid"
    verdict: str = "invalid"

    def to_dict(self) -> dict[str, Any]:
        return _report_dict(self, ("signing_time", "timestamp_time"))


@dataclass(frozen=True)
class TimestampReport:
    """A document timestamp: its imprint over the covered bytes, its token and its TSA."""

    field_name: str
    time: dt.datetime | None
    authority_subject: str | None
    intact: bool
    trusted: bool
    modification: Modification
    valid: bool
    problems: tuple[str, ...] = ()
    problem_codes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return _report_dict(self, ("time",))


def _report_dict(report: SignatureReport | TimestampReport, moments: tuple[str, ...]) -> dict[str, Any]:
    """The report in JSON's shapes: its ``moments`` as ISO text, its problem tuples as lists."""
    data = asdict(report)
    for key in moments:
        if data[key] is not None:
            data[key] = data[key].isoformat()
    data["problems"] = list(report.problems)
    data["problem_codes"] = list(report.problem_codes)
    return data


@dataclass(frozen=True)
class VerificationReport:
    path: Path
    signatures: tuple[SignatureReport, ...]
    timestamps: tuple[TimestampReport, ...] = ()
    trailing_bytes: int = 0  # bytes after the last revision, covered by nothing

    @property
    def document_timestamps(self) -> int:
        return len(self.timestamps)

    @property
    def signed(self) -> bool:
        return bool(self.signatures)

    @property
    def valid(self) -> bool:
        """At least one signature; every signature and document timestamp valid; nothing appended."""
        return (
            self.signed
            and all(s.valid for s in self.signatures)
            and all(t.valid for t in self.timestamps)
            and self.trailing_bytes == 0
        )

    @property
    def verdict(self) -> str:
        """``valid``; ``valid_revocation_unknown`` when valid but some signer's revocation status could
        not be learnt (``require_revocation`` turns that into ``invalid``); or ``invalid``."""
        if not self.valid:
            return "invalid"
        if any(s.revocation == "unknown" for s in self.signatures):
            return "valid_revocation_unknown"
        return "valid"

    @property
    def summary(self) -> str:
        if not self.signatures:
            return "no signature"
        good = sum(s.valid for s in self.signatures)
        text = f"{good} of {len(self.signatures)} signature(s) valid"
        if self.timestamps:
            text += f", {sum(t.valid for t in self.timestamps)} of {len(self.timestamps)} document timestamp(s) valid"
        if self.verdict == "valid_revocation_unknown":
            text += "; revocation not checked"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "signed": self.signed,
            "valid": self.valid,
            "verdict": self.verdict,
            "summary": self.summary,
            "document_timestamps": self.document_timestamps,
            "trailing_bytes": self.trailing_bytes,
            "signatures": [s.to_dict() for s in self.signatures],
            "timestamps": [t.to_dict() for t in self.timestamps],
        }


def verify_pdf(
    path: Path,
    *,
    trust_roots: Sequence[TrustRoot],
    allow_fetching: bool = False,
    validation_time: dt.datetime | None = None,
    require_revocation: bool = False,
) -> VerificationReport:
    """Check every signature and document timestamp in ``path`` against ``trust_roots`` only.

    A signer whose revocation status cannot be learnt (no OCSP or CRL embedded, none fetched) is
    ``valid_revocation_unknown``; with ``require_revocation`` such a signature is invalid instead."""
    roots = [_to_asn1(c) for c in trust_roots]
    path = Path(path)
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        tail = trailing_bytes(fh, size)
        reader = _open(fh, size, path)
        if reader is None:
            return _salvaged(path, tail)
        entries = list_entries(reader)
        dss = _read_dss(reader)
        signatures, timestamps = asyncio.run(
            _verify_all(entries, dss, roots, allow_fetching, validation_time, tail, require_revocation)
        )
    return VerificationReport(path, tuple(signatures), tuple(timestamps), tail)


def _open(fh: IO[bytes], size: int, path: Path) -> PdfFileReader | None:
    """A reader over the file; when that fails, over the file up to its last ``%%EOF`` (pyHanko looks
    for the marker in the last kilobyte only: bytes appended after it must not hide the signatures).
    None for a PDF only a repairing reader opens."""
    try:
        fh.seek(0)
        return open_reader(fh)
    except InputRejected:
        raise
    except Exception as exc:
        first = exc
    end = last_eof_end(fh, size)
    if end is not None and end < size:
        try:
            return open_reader(io.BufferedReader(Prefix(fh, end)))
        except Exception:
            pass
    if salvage_fields(path) is not None:
        return None  # a PDF after all, whose revisions pyHanko cannot follow
    raise InputRejected(f"cannot parse {path.name}: {first}", code="unreadable_pdf") from None


def _salvaged(path: Path, tail: int) -> VerificationReport:
    """The report on a PDF only a repairing reader opens: every signature listed, none verifiable."""
    why = problem("unreadable_revision", "the file's cross-reference data cannot be followed")
    appended = [problem("bytes_after_last_revision", f"{tail} bytes")] if tail else []
    signatures, timestamps = [], []
    for name, kind, subfilter in salvage_fields(path) or []:
        entry = Entry(name, kind, subfilter, None)
        outcome = Outcome(problems=[why])
        if kind == "document_timestamp":
            timestamps.append(_timestamp_report(entry, outcome, appended))
        else:
            signatures.append(_signature_report(entry, outcome, None, [], appended))
    return VerificationReport(path, tuple(signatures), tuple(timestamps), tail)


def _read_dss(reader: PdfFileReader) -> DocumentSecurityStore | None:
    try:
        return DocumentSecurityStore.read_dss(reader) if "/DSS" in reader.root else None
    except Exception:
        return None


def _to_asn1(cert: TrustRoot) -> asn1_x509.Certificate:
    if isinstance(cert, pyca_x509.Certificate):
        return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    return cert


async def _verify_all(
    entries: list[Entry],
    dss: DocumentSecurityStore | None,
    roots: list[asn1_x509.Certificate],
    allow_fetching: bool,
    validation_time: dt.datetime | None,
    tail: int,
    require_revocation: bool = False,
) -> tuple[list[SignatureReport], list[TimestampReport]]:
    contexts: list[ValidationContext] = []

    def context(**kwargs: Any) -> ValidationContext:
        kwargs = {"trust_roots": roots, "moment": validation_time, **kwargs}
        # explicit empty lists: certvalidator refuses "require" without any revocation source
        try:
            vc = dss.as_validation_context(kwargs) if dss is not None else None
        except Exception:
            vc = None
        vc = vc or ValidationContext(crls=[], ocsps=[], **kwargs)
        contexts.append(vc)
        return vc

    appended = [problem("bytes_after_last_revision", f"{tail} bytes")] if tail else []
    try:
        fields = LaterFields(
            timestamps=frozenset(e.field_name for e in entries if e.kind == "document_timestamp"),
            signatures=frozenset(e.field_name for e in entries if e.kind != "document_timestamp"),
        )
        stamps: list[tuple[Entry, Outcome]] = []
        for entry in entries:
            if entry.kind == "document_timestamp":
                stamps.append((entry, await _inspect(entry, context, allow_fetching, fields)))
        intact_stamps = [o.signed_revision for _, o in stamps if o.intact]
        signatures = []
        for entry in entries:
            if entry.kind != "document_timestamp":
                outcome = await _inspect(entry, context, allow_fetching, fields)
                signatures.append(_signature_report(entry, outcome, dss, intact_stamps, appended, require_revocation))
        timestamps = [_timestamp_report(entry, outcome, appended) for entry, outcome in stamps]
        return signatures, timestamps
    finally:
        for vc in contexts:
            await vc.aclose()


async def _inspect(entry: Entry, context: Any, allow_fetching: bool, fields: LaterFields) -> Outcome:
    if entry.signature is None:
        code = "unreadable_signature" if entry.error is not None else "malformed_cms"
        return Outcome(problems=[problem(code, describe_error(entry.error) if entry.error else None)])
    try:
        if entry.kind == "document_timestamp":
            return await inspect_timestamp(entry.signature, context, fields)
        legacy = entry.kind == "legacy_sha1"
        return await inspect_signature(entry.signature, context, allow_fetching, fields, legacy=legacy)
    except Exception as exc:
        return Outcome(problems=[problem("malformed_cms", describe_error(exc))])


def _changes(outcome: Outcome, appended: list[Problem]) -> list[Problem]:
    """What happened to the file after this signature that an archive cannot accept."""
    found = list(appended)
    if outcome.modification not in ("none", "unknown"):
        found.append(problem("changed_after_signing", outcome.modification))
    return found


def _signature_report(
    entry: Entry,
    outcome: Outcome,
    dss: DocumentSecurityStore | None,
    stamps: list[int],
    appended: list[Problem],
    require_revocation: bool = False,
) -> SignatureReport:
    readable = outcome.signer is not None
    level: SignatureLevel | None = None
    if readable and entry.signature is not None:
        revocation_data = holds_revocation_data(outcome.signer, entry.signature.signer_info, dss)
        # PAdES B-T may come from a document timestamp as well; B-LTA needs one more after it
        later = sum(rev > outcome.signed_revision for rev in stamps)
        own = outcome.timestamp_time is not None
        level = structural_level(own or later > 0, revocation_data, later > (0 if own else 1))
    problems = outcome.problems + _changes(outcome, appended)
    # no proof that nothing changed is no proof that the file is what was signed
    unchanged = outcome.modification == "none" and not appended
    signature_valid = outcome.own_valid
    if require_revocation and outcome.revocation == "unknown" and signature_valid:
        signature_valid = False
        problems = [*problems, problem("revocation_unknown")]
    valid = signature_valid and unchanged
    verdict = "invalid" if not valid else ("valid_revocation_unknown" if outcome.revocation == "unknown" else "valid")
    cert = outcome.signer
    return SignatureReport(
        field_name=entry.field_name,
        signer_subject=cert.subject.human_friendly if cert is not None else None,
        certificate_sha256=certificate_sha256(cert),
        signing_time=outcome.signing_time,
        timestamp_time=outcome.timestamp_time if outcome.timestamp_ok else None,
        level=level,
        intact=outcome.intact,
        trusted=outcome.trusted,
        revocation=outcome.revocation,
        modification=outcome.modification,
        valid=valid,
        certification=outcome.certification,
        problems=tuple(p.message for p in problems),
        problem_codes=tuple(p.code for p in problems),
        signature_valid=signature_valid,
        subfilter=entry.subfilter.lstrip("/") if entry.subfilter else None,
        verdict=verdict,
    )


def _timestamp_report(entry: Entry, outcome: Outcome, appended: list[Problem]) -> TimestampReport:
    problems = outcome.problems + _changes(outcome, appended)
    unchanged = outcome.modification == "none" and not appended
    return TimestampReport(
        field_name=entry.field_name,
        time=outcome.timestamp_time,
        authority_subject=outcome.signer.subject.human_friendly if outcome.signer is not None else None,
        intact=outcome.intact,
        trusted=outcome.trusted,
        modification=outcome.modification,
        valid=outcome.intact and outcome.trusted and unchanged,
        problems=tuple(p.message for p in problems),
        problem_codes=tuple(p.code for p in problems),
    )
