"""Verify the signatures in a PDF: integrity, trust, revocation, later changes and PAdES level.

A merely invalid signature is reported, never raised; only a file that cannot be parsed raises
``InputRejected(code="unreadable_pdf")``.

Level reached per signature:

- B-B: a CMS signature.
- B-T: plus a signature timestamp that validates.
- B-LT: plus validation data in the document security store from which the signer's chain and
  revocation status validate offline (at the timestamp time).
- B-LTA: plus a valid document timestamp added after the signature.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias

from asn1crypto import x509 as asn1_x509
from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    KeyUsageConstraints,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, RevokedError

from sohoa.core.domain import SignatureLevel
from sohoa.core.errors import InputRejected

__all__ = ["SignatureReport", "VerificationReport", "verify_pdf"]

Revocation = Literal["good", "revoked", "unknown"]
Modification = Literal["none", "form_filling", "annotations", "other", "unknown"]
TrustRoot: TypeAlias = asn1_x509.Certificate | pyca_x509.Certificate

_KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)
_MODIFICATION: dict[ModificationLevel, Modification] = {
    ModificationLevel.NONE: "none",
    ModificationLevel.LTA_UPDATES: "none",  # DSS and document timestamps only
    ModificationLevel.FORM_FILLING: "form_filling",
    ModificationLevel.ANNOTATIONS: "annotations",
    ModificationLevel.OTHER: "other",
}
_DOCMDP = {
    MDPPerm.NO_CHANGES: "no_changes",
    MDPPerm.FILL_FORMS: "fill_forms",
    MDPPerm.ANNOTATE: "annotate",
}


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    signer_subject: str | None
    certificate_sha256: str | None
    signing_time: dt.datetime | None  # as claimed by the signer
    timestamp_time: dt.datetime | None  # from a valid signature timestamp
    level: SignatureLevel | None
    intact: bool  # the signed bytes are unchanged and the signature checks out
    trusted: bool  # chains to a trust root, with acceptable key usage
    revocation: Revocation
    modification: Modification  # changes made to the document after this signature
    valid: bool
    certification: str | None = None  # DocMDP permission of a certification signature
    problems: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("signing_time", "timestamp_time"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        data["problems"] = list(self.problems)
        return data


@dataclass(frozen=True)
class VerificationReport:
    path: Path
    signatures: tuple[SignatureReport, ...]
    document_timestamps: int = 0

    @property
    def signed(self) -> bool:
        return bool(self.signatures)

    @property
    def valid(self) -> bool:
        """At least one signature, and every one valid."""
        return self.signed and all(s.valid for s in self.signatures)

    @property
    def summary(self) -> str:
        if not self.signatures:
            return "no signature"
        good = sum(s.valid for s in self.signatures)
        return f"{good} of {len(self.signatures)} signature(s) valid"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "signed": self.signed,
            "valid": self.valid,
            "summary": self.summary,
            "document_timestamps": self.document_timestamps,
            "signatures": [s.to_dict() for s in self.signatures],
        }


def verify_pdf(
    path: Path,
    *,
    trust_roots: Sequence[TrustRoot],
    allow_fetching: bool = False,
    validation_time: dt.datetime | None = None,
) -> VerificationReport:
    """Check every signature in ``path`` against ``trust_roots`` (and nothing else)."""
    roots = [_to_asn1(c) for c in trust_roots]
    with open(path, "rb") as fh:
        try:
            reader = PdfFileReader(fh, strict=False)
            if reader.encrypted:
                raise InputRejected("the PDF is encrypted", code="password_protected")
            signatures = list(reader.embedded_regular_signatures)
            timestamps = list(reader.embedded_timestamp_signatures)
            dss = DocumentSecurityStore.read_dss(reader) if "/DSS" in reader.root else None
        except (PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise InputRejected(f"cannot parse {Path(path).name}: {exc}", code="unreadable_pdf") from None
        reports = asyncio.run(_verify_all(signatures, timestamps, dss, roots, allow_fetching, validation_time))
    return VerificationReport(path=Path(path), signatures=tuple(reports), document_timestamps=len(timestamps))


def _to_asn1(cert: TrustRoot) -> asn1_x509.Certificate:
    if isinstance(cert, pyca_x509.Certificate):
        return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    return cert


async def _verify_all(
    signatures: list[EmbeddedPdfSignature],
    timestamps: list[EmbeddedPdfSignature],
    dss: DocumentSecurityStore | None,
    roots: list[asn1_x509.Certificate],
    allow_fetching: bool,
    validation_time: dt.datetime | None,
) -> list[SignatureReport]:
    contexts: list[ValidationContext] = []

    def context(**kwargs: Any) -> ValidationContext:
        kwargs = {"trust_roots": roots, "moment": validation_time, **kwargs}
        # explicit empty lists: certvalidator refuses "require" without any revocation source
        vc = dss.as_validation_context(kwargs) if dss is not None else ValidationContext(crls=[], ocsps=[], **kwargs)
        contexts.append(vc)
        return vc

    try:
        reports = []
        for sig in signatures:
            try:
                reports.append(await _verify_one(sig, timestamps, context, allow_fetching))
            except (PdfError, ValueError, KeyError, TypeError, IndexError) as exc:
                reports.append(_broken(sig, exc))
        return reports
    finally:
        for vc in contexts:
            await vc.aclose()


def _broken(sig: EmbeddedPdfSignature, exc: Exception) -> SignatureReport:
    return SignatureReport(
        field_name=_field_name(sig),
        signer_subject=None,
        certificate_sha256=None,
        signing_time=None,
        timestamp_time=None,
        level=None,
        intact=False,
        trusted=False,
        revocation="unknown",
        modification="unknown",
        valid=False,
        problems=(f"unreadable signature: {type(exc).__name__}: {exc}",),
    )


def _field_name(sig: EmbeddedPdfSignature) -> str:
    try:
        return str(sig.field_name)
    except (KeyError, ValueError, TypeError):
        return "?"


async def _verify_one(
    sig: EmbeddedPdfSignature,
    timestamps: list[EmbeddedPdfSignature],
    context: Any,
    allow_fetching: bool,
) -> SignatureReport:
    vc = context(allow_fetching=allow_fetching, revocation_mode="soft-fail")
    status = await async_validate_pdf_signature(
        sig, signer_validation_context=vc, ts_validation_context=vc, key_usage_settings=_KEY_USAGE
    )
    problems: list[str] = []
    ts = status.timestamp_validity
    ts_ok = ts is not None and ts.intact and ts.valid and ts.trusted
    if ts is not None and not ts_ok:
        problems.append("the signature timestamp does not validate")
    if ts_ok and ts is not None and not status.trusted and not status.revoked:
        # The timestamp proves the signature existed at ts.timestamp: a signer certificate that has
        # expired since is judged at that time, with the revocation data of that time.
        past = await async_validate_pdf_signature(
            sig,
            signer_validation_context=context(
                allow_fetching=allow_fetching,
                revocation_mode="soft-fail",
                moment=ts.timestamp,
                retroactive_revinfo=True,
            ),
            ts_validation_context=vc,
            key_usage_settings=_KEY_USAGE,
        )
        if past.trusted:
            status = past
    intact = bool(status.intact and status.valid)
    if not intact:
        problems.append("the signed bytes were altered or the signature does not match them")
    if status.trust_problem_indic is not None:
        problems.append(f"trust: {status.trust_problem_indic.standard_name}")

    revocation: Revocation = "revoked" if status.revoked else "unknown"
    long_term = False
    if status.trusted:
        revocation, long_term = await _check_revocation(
            sig, context, allow_fetching, ts.timestamp if ts_ok and ts is not None else None
        )

    level: SignatureLevel = "B-B"
    if ts_ok:
        level = "B-T"
        if long_term:
            level = "B-LT"
            if await _covered_by_document_timestamp(sig, timestamps, context):
                level = "B-LTA"

    mod_level = status.modification_level
    modification: Modification = "unknown" if mod_level is None else _MODIFICATION[mod_level]
    allowed = status.docmdp_ok is True or modification == "none"
    if not allowed:
        problems.append(f"the document was changed after signing ({modification})")
    certification = _DOCMDP.get(sig.docmdp_level) if sig.docmdp_level is not None else None
    cert = status.signing_cert
    return SignatureReport(
        field_name=_field_name(sig),
        signer_subject=cert.subject.human_friendly,
        certificate_sha256=hashlib.sha256(cert.dump()).hexdigest(),
        signing_time=status.signer_reported_dt,
        timestamp_time=ts.timestamp if ts_ok and ts is not None else None,
        level=level,
        intact=intact,
        trusted=bool(status.trusted),
        revocation=revocation,
        modification=modification,
        valid=intact and bool(status.trusted) and allowed and revocation != "revoked",
        certification=certification,
        problems=tuple(problems),
    )


async def _check_revocation(
    sig: EmbeddedPdfSignature,
    context: Any,
    allow_fetching: bool,
    timestamp: dt.datetime | None,
) -> tuple[Revocation, bool]:
    """Revocation status of the signer, and whether the embedded data alone proves it (long-term)."""
    offline = context(
        allow_fetching=False,
        revocation_mode="require",
        retroactive_revinfo=True,
        moment=timestamp,
    )
    result = await _validate_path(sig, offline)
    if result == "good":
        return "good", timestamp is not None
    if result == "revoked" or not allow_fetching:
        return result, False
    online = context(allow_fetching=True, revocation_mode="require")
    return await _validate_path(sig, online), False


async def _validate_path(sig: EmbeddedPdfSignature, vc: ValidationContext) -> Revocation:
    validator = CertificateValidator(
        sig.signer_cert, intermediate_certs=sig.other_embedded_certs, validation_context=vc
    )
    try:
        await validator.async_validate_usage(set())
    except RevokedError:
        return "revoked"
    except (PathValidationError, PathBuildingError):
        return "unknown"
    return "good"


async def _covered_by_document_timestamp(
    sig: EmbeddedPdfSignature, timestamps: Iterable[EmbeddedPdfSignature], context: Any
) -> bool:
    for doc_ts in timestamps:
        if doc_ts.signed_revision <= sig.signed_revision:
            continue
        status = await async_validate_pdf_timestamp(doc_ts, validation_context=context(allow_fetching=False))
        if status.intact and status.valid and status.trusted:
            return True
    return False
