"""PAdES signing: what is signed. The key comes from a :class:`signing.backends.SignerBackend`.

Every signature is an incremental update appended to the input's bytes, so PDF/A identification and
earlier signatures survive. Levels:

- B-B: CMS signature with the signing certificate and its chain.
- B-T: plus an RFC 3161 signature timestamp from a TSA.
- B-LT: plus the chain and revocation data (OCSP/CRL) of signer and TSA in the document security store.
- B-LTA: plus a document timestamp over all of that.

Every signature forbids later changes: on a document without signatures it is a certification
signature (DocMDP, no changes permitted); on one that already carries signatures (which forbids a
certification) its new field is locked with ``/Lock << /Action /All /P 1 >>`` (PDF 2.0). Either way
only long-term-validation updates (DSS, document timestamps) may follow, so renewal keeps working and
any other change invalidates the signature in every conforming reader, as in ``sohoa verify``.

A timestamp authority given with level B-B is not used: the level asked for is the level produced
and recorded (an unasked timestamp would make a B-T signature recorded as B-B).

The development CA has no revocation service: it signs B-B and B-T only; B-LT and B-LTA are refused
with ``ConfigurationError(code="level_unavailable")`` (:func:`level_refusal`).

Speed: pyHanko sizes the signature container with a dry-run signature when ``bytes_reserved`` is not
given; we reserve a fixed size computed from the backend's certificates and the level instead.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from asn1crypto import x509
from pyhanko.pdf_utils.crypt import PdfKeyNotAvailableError
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields
from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, MDPPerm, SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.general import SigningError as PyhankoSigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, PdfTimeStamper
from pyhanko.sign.signers.pdf_signer import (
    DSSContentSettings,
    SigDSSPlacementPreference,
    TimestampDSSContentSettings,
)
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.sign.validation import read_certification_data
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InvalidCertificateError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
)

from sohoa.core.clock import utcnow
from sohoa.core.domain import SignatureLevel, SignRequest
from sohoa.core.errors import ConfigurationError, InputRejected, SigningError
from sohoa.signing.backends import SignerBackend
from sohoa.signing.certificates import validity_warning
from sohoa.signing.stamp import CopyStamp, stamp_field, stamp_lines

__all__ = [
    "LEVELS",
    "MetadataKeepingWriter",
    "SignatureInfo",
    "certificate_fingerprint",
    "level_refusal",
    "reserved_bytes",
    "sign_pdf",
]

LEVELS: tuple[SignatureLevel, ...] = ("B-B", "B-T", "B-LT", "B-LTA")

# DER sizes, generous: the reservation only costs zero bytes in the file, a shortfall costs a retry.
_SIGNED_ATTRS_AND_FRAMING = 2048
_TIMESTAMP_TOKEN = 12288  # token + TSA certificate chain
_TSA_TIMEOUT_S = 10


@dataclass(frozen=True)
class SignatureInfo:
    """What one signature operation produced."""

    signer_subject: str
    certificate_sha256: str  # hex fingerprint of the signer's certificate
    level: SignatureLevel
    signed_at: dt.datetime  # UTC
    output_sha256: str
    field_name: str
    stamp_text: str | None = None  # the visible stamp's lines, when one was drawn


def certificate_fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.dump()).hexdigest()


def reserved_bytes(backend: SignerBackend, level: SignatureLevel) -> int:
    """Room for the hex-encoded CMS container of one signature by ``backend`` at ``level``."""
    cert = backend.certificate
    certs = len(cert.dump()) + sum(len(c.dump()) for c in backend.chain)
    key_bits = cert.public_key.bit_size if cert.public_key.algorithm == "rsa" else 1024
    der = certs + key_bits // 8 + _SIGNED_ATTRS_AND_FRAMING
    if level != "B-B":
        der += _TIMESTAMP_TOKEN
    return -(-2 * der // 1024) * 1024  # hex doubles it; round up to whole KiB


def level_refusal(backend: SignerBackend, level: str) -> str | None:
    """Why ``backend`` cannot sign at ``level`` (None: it can)."""
    if backend.kind == "dev-ca" and level in ("B-LT", "B-LTA"):
        return (
            f"the development CA cannot sign at {level}: it publishes no revocation data (OCSP/CRL) "
            "to embed; configure a real key (SOHOA_PKCS12_PATH or SOHOA_PKCS11_*) or sign at B-B or B-T"
        )
    return None


def sign_pdf(
    request: SignRequest,
    backend: SignerBackend,
    *,
    timestamper: TimeStamper | str | None = None,
    validation_context: ValidationContext | None = None,
    stamp: CopyStamp | None = None,
) -> SignatureInfo:
    """Sign ``request.input_path`` into ``request.output_path`` (atomically) at ``request.level``.

    ``stamp``: draw the electronic copy's visible stamp (top right of page 1) as the signature's
    appearance; without it the signature is invisible.

    ``timestamper`` (a pyHanko ``TimeStamper`` or a TSA URL) is required from B-T up and ignored at B-B.
    ``validation_context`` is used to check the signer's certificate (chain, revocation) before
    signing and, from B-LT up, to collect the validation data to embed; without one, B-LT/B-LTA
    build one that trusts the root in the backend's chain and fetches revocation data online.

    Synchronous (it runs its own event loop): from async code, call it in a worker thread.
    """
    level = request.level
    if level not in LEVELS:
        raise SigningError(f"unknown signature level {level!r}", code="invalid_level")
    refusal = level_refusal(backend, level)
    if refusal is not None and validation_context is None:
        raise ConfigurationError(refusal, code="level_unavailable")
    cert = backend.certificate
    outside = validity_warning(cert, utcnow())
    if outside is not None:
        raise outside.error()
    if level == "B-B":
        timestamper = None
    if isinstance(timestamper, str):
        timestamper = RequestsHTTPTimeStamper(timestamper, timeout=_TSA_TIMEOUT_S)
    if level != "B-B" and timestamper is None:
        raise SigningError(f"level {level} needs a timestamp authority", code="timestamper_required")
    if level in ("B-LT", "B-LTA") and validation_context is None:
        validation_context = _default_validation_context(backend)
    reserve: int | None = reserved_bytes(backend, level)

    output = Path(request.output_path)
    with open(request.input_path, "rb") as source:
        writer = _open_writer(source, request.input_path)
        # a certification must be the document's first signature; after others, a field lock says the same
        certify = not fields_signed(writer)
        # a visible stamp or a lock needs a new field: an existing empty one has its own place and lock
        field_name = _choose_field(writer, request.field_name, reuse_empty=stamp is None and certify)
        field_spec, stamp_style = stamp_field(stamp, writer, field_name) if stamp is not None else (None, None)
        if not certify:
            field_spec = replace(
                field_spec or SigFieldSpec(sig_field_name=field_name),
                field_mdp_spec=FieldMDPSpec(FieldMDPAction.ALL),
                doc_mdp_update_value=MDPPerm.NO_CHANGES,
            )
        meta = PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm="sha256",
            subfilter=SigSeedSubFilter.PADES,
            certify=certify,
            docmdp_permissions=MDPPerm.NO_CHANGES,
            reason=request.reason,
            location=request.location,
            contact_info=request.contact_info,
            embed_validation_info=level in ("B-LT", "B-LTA"),
            # pyHanko writes a separate DSS revision and the LTA document timestamp with its own
            # writer, which rewrites the XMP: the DSS goes into the signature's revision instead, and
            # the document timestamp is added by _add_document_timestamp with ours.
            dss_settings=DSSContentSettings(
                placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False
            ),
            validation_context=validation_context,
            signer_key_usage=set(),  # checked by _check_signer_path: either usage will do
        )
        pdf_signer = PdfSigner(
            meta,
            signer=backend.signer,
            timestamper=timestamper,
            stamp_style=stamp_style,
            new_field_spec=field_spec,
        )
        tmp = output.with_name(f".{output.name}.{secrets.token_hex(4)}.tmp")
        try:
            while True:
                with open(tmp, "w+b") as sink:
                    try:
                        with backend.in_use():
                            asyncio.run(
                                _sign(
                                    pdf_signer,
                                    writer,
                                    sink,
                                    backend,
                                    reserve,
                                    validation_context,
                                    lta_timestamper=timestamper if level == "B-LTA" else None,
                                )
                            )
                    except _GuessedReserveFailed:
                        # An unusually large chain or TSA token overflows the space we guessed: let
                        # pyHanko measure it (a failure for another reason fails again, and is told).
                        reserve = None
                        source.seek(0)
                        writer = _open_writer(source, request.input_path)
                        continue
                    signed_at = utcnow()
                    # No fsync: the rename makes the output appear whole or not at all; durability is
                    # the archive's job (it stores and checks the bytes by their sha256).
                    sink.seek(0)
                    digest = hashlib.file_digest(sink, "sha256").hexdigest()
                break
            os.replace(tmp, output)
        finally:
            tmp.unlink(missing_ok=True)
    return SignatureInfo(
        signer_subject=cert.subject.human_friendly,
        certificate_sha256=certificate_fingerprint(cert),
        level=level,
        signed_at=signed_at,
        output_sha256=digest,
        field_name=field_name,
        stamp_text=_drawn_stamp(stamp, stamp_style),
    )


def _drawn_stamp(stamp: CopyStamp | None, style: Any) -> str | None:
    if stamp is None or style is None or not style.drawn:
        return None
    copy_type, agency, _ = stamp_lines(stamp, utcnow())
    return "\n".join((copy_type, agency, style.drawn[-1]))


class _GuessedReserveFailed(Exception):
    """pyHanko refused a signature made with our guess of its size; measured, it may succeed."""


async def _sign(
    pdf_signer: PdfSigner,
    writer: IncrementalPdfFileWriter,
    sink: IO[bytes],
    backend: SignerBackend,
    reserve: int | None,
    validation_context: ValidationContext | None,
    *,
    lta_timestamper: TimeStamper | None = None,
) -> None:
    try:
        if validation_context is not None:
            await _check_signer_path(backend, validation_context)
        await pdf_signer.async_sign_pdf(writer, bytes_reserved=reserve, output=sink)
        if lta_timestamper is not None:
            await _add_document_timestamp(sink, lta_timestamper, validation_context)
    except SigningError:
        raise
    except TimestampRequestError as exc:
        raise SigningError(f"timestamp authority failed: {exc}", code="timestamp_unavailable") from None
    except PyhankoSigningError as exc:
        cause = exc.__cause__
        if isinstance(cause, TimestampRequestError):
            raise SigningError(f"timestamp authority failed: {cause}", code="timestamp_unavailable") from None
        if isinstance(cause, PathValidationError | PathBuildingError):
            raise _path_error(cause) from None
        if reserve is not None:
            raise _GuessedReserveFailed from exc
        raise SigningError(f"pyHanko refused to sign: {exc}", code="signing_failed") from None
    except RuntimeError as exc:
        # python-pkcs11 errors (token removed, session closed, PIN locked) derive from RuntimeError;
        # anything else, e.g. asyncio.run() inside a running loop, is a bug and stays unmapped
        if type(exc).__module__.startswith("pkcs11"):
            raise SigningError(
                f"the signing token failed: {type(exc).__name__} {exc}", code="signer_unavailable"
            ) from None
        raise
    finally:
        if validation_context is not None:
            await validation_context.aclose()


async def _add_document_timestamp(
    sink: IO[bytes], timestamper: TimeStamper, validation_context: ValidationContext | None
) -> None:
    """B-LTA: a document timestamp over the signed file, with its TSA's validation data in the same
    revision (our writer: the XMP stays as it was)."""
    sink.seek(0)
    writer = MetadataKeepingWriter(sink, strict=False)
    await PdfTimeStamper(timestamper).async_timestamp_pdf(
        writer,
        "sha256",
        validation_context,
        in_place=True,
        dss_settings=TimestampDSSContentSettings(update_before_ts=True, include_vri=False),
    )


class MetadataKeepingWriter(IncrementalPdfFileWriter):
    """pyHanko re-serialises the XMP packet and the Info dictionary on every save (producer, dates).

    An archive signature must leave the document's own description alone: a PDF/A file's XMP
    (identification, extension schemas) stays byte for byte what the producer wrote."""

    def _update_meta(self) -> None:
        return None


def _open_writer(source: IO[bytes], path: Path) -> IncrementalPdfFileWriter:
    try:
        writer = MetadataKeepingWriter(source, strict=False)
    except (PdfError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise InputRejected(f"cannot parse {Path(path).name}: {exc}", code="unreadable_pdf") from None
    if writer.prev.encrypted:
        raise InputRejected("encrypted PDFs are not signed", code="password_protected")
    try:
        certification = read_certification_data(writer.prev)
    except (PdfError, KeyError, ValueError, PdfKeyNotAvailableError) as exc:
        raise InputRejected(f"damaged signature dictionary: {exc}", code="unreadable_pdf") from None
    if certification is not None and certification.permission == MDPPerm.NO_CHANGES:
        raise SigningError(
            "the document carries a certification signature that forbids any change (DocMDP P=1)",
            code="changes_forbidden",
        )
    return writer


def fields_signed(writer: IncrementalPdfFileWriter) -> bool:
    """Whether the document already carries a signature or document timestamp."""
    return next(fields.enumerate_sig_fields(writer.prev, filled_status=True), None) is not None


def _choose_field(writer: IncrementalPdfFileWriter, wanted: str, *, reuse_empty: bool = True) -> str:
    """The requested field when free (or empty, with ``reuse_empty``); otherwise the first free
    ``<wanted>_<n>``."""
    taken: set[str] = set()
    for name, value, _ref in fields.enumerate_sig_fields(writer.prev):
        if reuse_empty and name == wanted and value is None:
            return wanted
        taken.add(name)
    if wanted not in taken:
        return wanted
    n = 2
    while f"{wanted}_{n}" in taken:
        n += 1
    return f"{wanted}_{n}"


async def _check_signer_path(backend: SignerBackend, context: ValidationContext) -> None:
    validator = CertificateValidator(backend.certificate, intermediate_certs=backend.chain, validation_context=context)
    try:
        await validator.async_validate_usage(set())
    except (PathValidationError, PathBuildingError) as exc:
        raise _path_error(exc) from None
    usage = backend.certificate.key_usage_value
    if usage is not None and not ({"digital_signature", "non_repudiation"} & set(usage.native)):
        raise SigningError("the signing certificate is not meant for signatures", code="key_usage")


def _path_error(exc: Exception) -> SigningError:
    details: dict[str, Any] = {"reason": str(exc)}
    if isinstance(exc, RevokedError):
        return SigningError(f"the signing certificate is revoked: {exc}", code="certificate_revoked", details=details)
    if isinstance(exc, ExpiredError):
        return SigningError(
            f"the signing certificate (or its chain) has expired: {exc}",
            code="certificate_expired",
            details=details,
        )
    if isinstance(exc, NotYetValidError):
        return SigningError(str(exc), code="certificate_not_yet_valid", details=details)
    if isinstance(exc, InvalidCertificateError | PathValidationError):
        return SigningError(
            f"the signing certificate failed validation: {exc}", code="certificate_invalid", details=details
        )
    return SigningError(
        f"no trusted chain for the signing certificate: {exc}", code="certificate_untrusted", details=details
    )


def _default_validation_context(backend: SignerBackend) -> ValidationContext:
    roots = [c for c in backend.chain if c.self_signed != "no"] + (
        [backend.development_root] if backend.development_root is not None else []
    )
    return ValidationContext(
        extra_trust_roots=roots,
        other_certs=list(backend.chain),
        allow_fetching=True,
        revocation_mode="hard-fail",
    )
