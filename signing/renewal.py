"""Keep B-LTA documents verifiable after their last timestamp's certificate expires.

A document timestamp proves the file existed at its time only while its TSA certificate can be
validated. Before it expires, a new document timestamp is added over everything (PAdES-LTA renewal):
the validation data of the last timestamp go into the document security store, then a fresh
timestamp covers them. Like every signature, it is an incremental update: earlier bytes stay.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper, TimestampDSSContentSettings
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.sign.validation import DocumentSecurityStore, EmbeddedPdfSignature, async_validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext

from sohoa.core.errors import InputRejected, SigningError
from sohoa.signing.pades import MetadataKeepingWriter

__all__ = ["RenewalInfo", "renew_archive_timestamp", "timestamp_expiry"]

_TSA_TIMEOUT_S = 10


@dataclass(frozen=True)
class RenewalInfo:
    previous_expiry: dt.datetime  # not-after of the TSA certificate of the timestamp renewed
    expires_at: dt.datetime  # not-after of the new timestamp's TSA certificate
    document_timestamps: int  # in the renewed file
    output_sha256: str


def timestamp_expiry(path: Path) -> dt.datetime | None:
    """When the certificate of the last document timestamp in ``path`` expires; None without one."""
    with open(path, "rb") as fh:
        timestamps = _timestamps(fh, path)
        if not timestamps:
            return None
        return timestamps[-1].signer_cert.not_valid_after


def renew_archive_timestamp(
    source: Path,
    output: Path,
    *,
    timestamper: TimeStamper | str,
    validation_context: ValidationContext,
) -> RenewalInfo:
    """Write ``source`` plus its last timestamp's validation data and a new document timestamp to
    ``output`` (atomically). ``validation_context`` must trust the last timestamp's TSA and may fetch
    its revocation data. Refuses a file without a valid document timestamp (not B-LTA)."""
    if isinstance(timestamper, str):
        timestamper = RequestsHTTPTimeStamper(timestamper, timeout=_TSA_TIMEOUT_S)
    output = Path(output)
    tmp = output.with_name(f".{output.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(source, "rb") as fh, open(tmp, "w+b") as sink:
            timestamps = _timestamps(fh, source)
            if not timestamps:
                raise SigningError("the document has no document timestamp to renew", code="not_lta")
            last = timestamps[-1]
            previous_expiry = last.signer_cert.not_valid_after
            fh.seek(0)
            while chunk := fh.read(1 << 20):
                sink.write(chunk)
            sink.seek(0)
            asyncio.run(_append(sink, last, timestamper, validation_context))
            sink.seek(0)
            digest = hashlib.file_digest(sink, "sha256").hexdigest()
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    with open(output, "rb") as fh:
        renewed = _timestamps(fh, output)
        return RenewalInfo(
            previous_expiry=previous_expiry,
            expires_at=renewed[-1].signer_cert.not_valid_after,
            document_timestamps=len(renewed),
            output_sha256=digest,
        )


async def _append(
    sink: IO[bytes], last: EmbeddedPdfSignature, timestamper: TimeStamper, context: ValidationContext
) -> None:
    try:
        status = await async_validate_pdf_timestamp(last, validation_context=context)
        if not (status.intact and status.valid and status.trusted) or status.validation_path is None:
            raise SigningError(
                "the last document timestamp does not validate against the trust roots: "
                f"{status.trust_problem_indic or 'altered'}",
                code="timestamp_invalid",
            )
        writer = MetadataKeepingWriter(sink, strict=False)
        DocumentSecurityStore.supply_dss_in_writer(
            writer, last.pkcs7_content, paths=(status.validation_path,), validation_context=context
        )
        # the new TSA's validation data go in before the timestamp, in the same revision: pyHanko's
        # default adds them after, in a revision of its own writer, which rewrites the XMP
        await PdfTimeStamper(timestamper).async_timestamp_pdf(
            writer,
            status.md_algorithm,
            context,
            in_place=True,
            dss_settings=TimestampDSSContentSettings(update_before_ts=True, include_vri=False),
        )
    except TimestampRequestError as exc:
        raise SigningError(f"timestamp authority failed: {exc}", code="timestamp_unavailable") from None
    finally:
        await context.aclose()


def _timestamps(fh: IO[bytes], path: Path) -> list[EmbeddedPdfSignature]:
    """The document timestamps in ``fh``, oldest first. pyHanko reads the signature dictionaries only
    when asked for them, so a damaged file may fail there rather than at opening: either is the
    file's fault, refused, so that one bad copy does not stop a run over many documents."""
    try:
        return list(PdfFileReader(fh, strict=False).embedded_timestamp_signatures)
    except (PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise InputRejected(f"cannot parse {Path(path).name}: {exc}", code="unreadable_pdf") from None
