"""One signature or document timestamp checked on its own: what pyHanko says about it, turned into
:mod:`signing.problems` codes, with every exception kept inside the entry it came from.

The verdict on the file as a whole (changes after signing, bytes after the last revision) is
:mod:`signing.verify`'s; here each entry gets its own validity and the facts that verdict needs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    KeyUsageConstraints,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.generic_cms import async_validate_cms_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel, SignatureStatus
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import AlgorithmNotSupported, PathBuildingError, PathValidationError, RevokedError
from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator, SignatureValidationContext

from sohoa.signing.problems import Problem, problem

__all__ = [
    "LaterFields",
    "Modification",
    "Outcome",
    "Revocation",
    "certificate_sha256",
    "describe_error",
    "inspect_signature",
    "inspect_timestamp",
]

Revocation = Literal["good", "revoked", "unknown"]
Modification = Literal["none", "form_filling", "annotations", "other", "unknown"]
Contexts = Callable[..., ValidationContext]

KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)
_MODIFICATION: dict[ModificationLevel, Modification] = {
    ModificationLevel.NONE: "none",
    ModificationLevel.LTA_UPDATES: "none",  # DSS and document timestamps only
    ModificationLevel.FORM_FILLING: "form_filling",
    ModificationLevel.ANNOTATIONS: "annotations",
    ModificationLevel.OTHER: "other",
}
_DOCMDP = {MDPPerm.NO_CHANGES: "no_changes", MDPPerm.FILL_FORMS: "fill_forms", MDPPerm.ANNOTATE: "annotate"}
_COVERED = (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION)
# what pyHanko and cryptography raise for an algorithm they do not implement
_UNSUPPORTED = (NotImplementedError, UnsupportedAlgorithm, AttributeError)


@dataclass(frozen=True)
class LaterFields:
    """The signed fields of the file, to tell long-term-validation updates from other changes."""

    timestamps: frozenset[str] = frozenset()
    signatures: frozenset[str] = frozenset()

    def allowed_after(self, own_name: str, certification: str | None) -> frozenset[str]:
        """Fields whose filling after ``own_name`` is no change to what it signed: document timestamps
        always; later signatures unless its certification or field lock forbids any change
        (ISO 32000-2 12.8.2.2: with P=1 only DSS and document timestamps may follow)."""
        if certification == "no_changes":
            return self.timestamps
        return self.timestamps | (self.signatures - {own_name})


@dataclass
class Outcome:
    """What one entry's own checks found (mutable while the checks run)."""

    intact: bool = False
    trusted: bool = False
    revocation: Revocation = "unknown"
    modification: Modification = "unknown"
    signer: asn1_x509.Certificate | None = None
    signing_time: dt.datetime | None = None
    timestamp_time: dt.datetime | None = None  # signature timestamp, or the document timestamp's time
    timestamp_ok: bool | None = None  # None: no signature timestamp
    certification: str | None = None
    signed_revision: int = -1
    problems: list[Problem] = field(default_factory=list)

    @property
    def own_valid(self) -> bool:
        """The signature on its own: intact, trusted, not revoked, its timestamp (if any) good."""
        return self.intact and self.trusted and self.revocation != "revoked" and self.timestamp_ok is not False


async def inspect_signature(
    sig: EmbeddedPdfSignature,
    contexts: Contexts,
    allow_fetching: bool,
    fields: LaterFields = LaterFields(),
    *,
    legacy: bool = False,
) -> Outcome:
    out = Outcome(signed_revision=sig.signed_revision)
    out.certification = _certification(sig)
    allowed = fields.allowed_after(str(sig.field_name), out.certification)
    vc = contexts(allow_fetching=allow_fetching, revocation_mode="soft-fail")
    try:
        status = await _validate(sig, vc, legacy=legacy)
    except Exception as exc:
        try:
            status = await _validate(sig, vc, legacy=legacy, skip_diff=True)
        except Exception as inner:
            out.problems.append(_classify(sig, inner))
            return out
        out.problems.append(problem("unreadable_revision", describe_error(exc)))
    out.signer = status.signing_cert
    out.signing_time = getattr(status, "signer_reported_dt", None) or _claimed_time(sig)
    _judge_integrity(sig, status, out, allowed)
    if not legacy:
        await _judge_timestamp(sig, status, contexts, allow_fetching, out)
        if out.timestamp_ok and not status.trusted and not status.revoked and out.timestamp_time is not None:
            # The timestamp proves the signature existed then: a signer certificate that has expired
            # since is judged at that time, with the revocation data of that time.
            past_vc = contexts(
                allow_fetching=allow_fetching,
                revocation_mode="soft-fail",
                moment=out.timestamp_time,
                retroactive_revinfo=True,
            )
            try:
                past = await _validate(sig, past_vc, legacy=False, skip_diff=True)
            except Exception:  # no judgement at that time: the one of today stands
                past = None
            if past is not None and past.trusted:
                status = past
    out.trusted = bool(status.trusted)
    if status.trust_problem_indic is not None:
        out.problems.append(problem("untrusted", status.trust_problem_indic.standard_name))
    out.revocation = "revoked" if status.revoked else "unknown"
    if status.trusted:
        out.revocation = await _check_revocation(sig, contexts, allow_fetching, out.timestamp_time)
    if out.revocation == "revoked":
        out.problems.append(problem("revoked"))
    if legacy:
        out.problems.append(problem("legacy_sha1"))
    return out


async def inspect_timestamp(
    sig: EmbeddedPdfSignature, contexts: Contexts, fields: LaterFields = LaterFields()
) -> Outcome:
    """A document timestamp: the imprint over its covered bytes, the token's signature, the TSA's chain."""
    out = Outcome(signed_revision=sig.signed_revision)
    vc = contexts(allow_fetching=False)
    try:
        status = await async_validate_pdf_timestamp(sig, validation_context=vc)
    except Exception as exc:
        try:
            status = await async_validate_pdf_timestamp(sig, validation_context=vc, skip_diff=True)
        except Exception as inner:
            out.problems.append(_classify(sig, inner))
            return out
        out.problems.append(problem("unreadable_revision", describe_error(exc)))
    out.signer = status.signing_cert
    out.timestamp_time = status.timestamp
    _judge_integrity(sig, status, out, fields.allowed_after(str(sig.field_name), None))
    out.trusted = bool(status.trusted)
    if not out.trusted:
        indic = status.trust_problem_indic
        out.problems.append(problem("untrusted", indic.standard_name if indic is not None else None))
    return out


async def _validate(sig: EmbeddedPdfSignature, vc: ValidationContext, *, legacy: bool, skip_diff: bool = False) -> Any:
    if not legacy:
        return await async_validate_pdf_signature(
            sig,
            signer_validation_context=vc,
            ts_validation_context=vc,
            key_usage_settings=KEY_USAGE,
            skip_diff=skip_diff,
        )
    # adbe.pkcs7.sha1: the CMS signs its own content, which must be the SHA-1 digest of the byte range
    sig.compute_integrity_info(skip_diff=skip_diff)
    status = await async_validate_cms_signature(
        sig.signed_data, status_cls=SignatureStatus, validation_context=vc, key_usage_settings=KEY_USAGE
    )
    content = sig.signed_data["encap_content_info"]["content"].native
    digest_ok = content == sig.compute_digest("sha1")
    return _LegacyStatus(status, digest_ok, sig.summarise_integrity_info())


class _LegacyStatus:
    """A CMS status with the PDF facts pyHanko gives PDF signatures (coverage, changes)."""

    def __init__(self, status: SignatureStatus, digest_ok: bool, integrity: dict[str, Any]) -> None:
        self._status = status
        self.intact = status.intact and digest_ok
        self.coverage = integrity["coverage"]
        self.diff_result = integrity["diff_result"]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._status, name)


def _judge_integrity(sig: EmbeddedPdfSignature, status: Any, out: Outcome, allowed: frozenset[str]) -> None:
    coverage = getattr(status, "coverage", None)
    covered = coverage in _COVERED
    out.intact = bool(status.intact and status.valid and covered)
    if not covered:
        out.problems.append(problem("byte_range_invalid", coverage.name if coverage is not None else None))
    elif not (status.intact and status.valid):
        # pyHanko reports an algorithm it does not implement as a failed check: tell them apart
        unsupported = _algorithm_unsupported(sig)
        out.problems.append(problem("unsupported_algorithm", unsupported) if unsupported else problem("altered"))
    diff = getattr(status, "diff_result", None)
    level = diff.modification_level if isinstance(diff, DiffResult) else None
    if diff is not None and not isinstance(diff, DiffResult):
        level = ModificationLevel.OTHER  # pyHanko's SuspiciousModification
    # pyHanko counts a later document timestamp or signature in a new field as form filling
    later_fields = {str(name) for name in diff.changed_form_fields} if isinstance(diff, DiffResult) else None
    if level == ModificationLevel.FORM_FILLING and later_fields is not None and later_fields <= allowed:
        level = ModificationLevel.LTA_UPDATES
    out.modification = "unknown" if level is None else _MODIFICATION[level]


async def _judge_timestamp(
    sig: EmbeddedPdfSignature, status: Any, contexts: Contexts, allow_fetching: bool, out: Outcome
) -> None:
    ts = status.timestamp_validity
    if ts is None:
        if _has_timestamp_token(sig.signer_info):
            out.timestamp_ok = False
            out.problems.append(problem("timestamp_invalid", "the token cannot be read"))
        return
    if not (ts.intact and ts.valid):
        out.timestamp_ok = False
        out.problems.append(problem("timestamp_invalid"))
        return
    out.timestamp_time = ts.timestamp
    out.timestamp_ok = bool(ts.trusted)
    if not ts.trusted:
        out.problems.append(problem("timestamp_untrusted"))


def _has_timestamp_token(signer_info: cms.SignerInfo) -> bool:
    attrs = signer_info["unsigned_attrs"]
    if not attrs:
        return False
    return any(a["type"].native == "signature_time_stamp_token" for a in attrs)


def _algorithm_unsupported(sig: EmbeddedPdfSignature) -> str | None:
    """Tell an unimplemented signature algorithm from a signature value that does not match: check
    the signature value directly; InvalidSignature means a real mismatch."""
    info = sig.signer_info
    mechanism = info["signature_algorithm"]
    name = mechanism["algorithm"].native
    signed = info["signed_attrs"].untag().dump() if info["signed_attrs"] else None
    if signed is None:
        return None
    try:
        DefaultSignatureValidator().validate_signature(
            info["signature"].native,
            signed,
            sig.signer_cert.public_key,
            mechanism,
            SignatureValidationContext(contextual_md_algorithm=sig.md_algorithm),
        )
    except AlgorithmNotSupported:  # a subclass of InvalidSignature: test it first
        return str(name)
    except InvalidSignature:
        return None
    except Exception:
        return str(name)
    return None


def _classify(sig: EmbeddedPdfSignature, exc: Exception) -> Problem:
    if isinstance(exc, _UNSUPPORTED) or "algorithm" in type(exc).__name__.lower():
        return problem("unsupported_algorithm", describe_error(exc))
    return problem("malformed_cms", describe_error(exc))


def describe_error(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def _certification(sig: EmbeddedPdfSignature) -> str | None:
    try:
        level = sig.docmdp_level
    except Exception:
        return None
    return _DOCMDP.get(level) if level is not None else None


def _claimed_time(sig: EmbeddedPdfSignature) -> dt.datetime | None:
    try:
        return sig.self_reported_timestamp
    except Exception:
        return None


async def _check_revocation(
    sig: EmbeddedPdfSignature, contexts: Contexts, allow_fetching: bool, timestamp: dt.datetime | None
) -> Revocation:
    """Revocation status of the signer: from the embedded data first, then online if allowed."""
    offline = contexts(allow_fetching=False, revocation_mode="require", retroactive_revinfo=True, moment=timestamp)
    result = await _validate_path(sig, offline)
    if result != "unknown" or not allow_fetching:
        return result
    return await _validate_path(sig, contexts(allow_fetching=True, revocation_mode="require"))


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
    except Exception:  # damaged revocation data in a third-party file: the status stays unknown
        return "unknown"
    return "good"


def certificate_sha256(cert: asn1_x509.Certificate | None) -> str | None:
    return hashlib.sha256(cert.dump()).hexdigest() if cert is not None else None
