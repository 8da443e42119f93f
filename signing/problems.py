"""What can be wrong with one signature or document timestamp: stable codes, as data.

A report lists the codes with a sentence each; callers decide on the codes, never on the sentences.
The codes are part of the public contract (``sohoa verify --json``, the verification API, stored
verifications), like the codes of the error tree in ``core.errors``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PROBLEMS", "Problem", "problem"]

PROBLEMS: dict[str, str] = {
    # the signature itself
    "altered": "the signed bytes were altered or the signature value does not match them",
    "byte_range_invalid": "the signature's byte range does not cover its revision exactly",
    "unsupported_algorithm": "the signature uses an algorithm sohoa cannot check",
    "malformed_cms": "the signature container (CMS) cannot be read",
    "unreadable_revision": "the revision holding the signature cannot be analysed",
    "unreadable_signature": "the signature dictionary cannot be read",
    "legacy_sha1": "a legacy adbe.pkcs7.sha1 signature (SHA-1 digest of the document, deprecated)",
    # trust
    "untrusted": "the signer's certificate does not chain to a trusted root",
    "revoked": "the signer's certificate is revoked",
    "revocation_unknown": "the signer's revocation status could not be checked, and it is required here",
    # timestamps
    "timestamp_invalid": "the signature timestamp does not match the signature or its token is altered",
    "timestamp_untrusted": "the signature timestamp's authority is not trusted",
    # what happened to the file after signing
    "changed_after_signing": "the document was changed after this signature",
    "bytes_after_last_revision": "bytes follow the end of the last revision, covered by no signature",
}


@dataclass(frozen=True)
class Problem:
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def problem(code: str, detail: str | None = None) -> Problem:
    """The problem ``code`` (one of :data:`PROBLEMS`), its sentence followed by ``detail`` if any."""
    base = PROBLEMS[code]
    return Problem(code, f"{base}: {detail}" if detail else base)
