"""Procedure codes (mã thủ tục) and dossier codes (mã hồ sơ) of the national public service portal."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from sohoa.core.errors import InputRejected

__all__ = [
    "DOSSIER_CODE_RE",
    "DOSSIER_CODE_SHAPE",
    "PROCEDURE_CODE_RE",
    "dossier_code_day",
    "matches_procedure_prefix",
    "typed_code",
    "validate_dossier_code",
    "validate_procedure_code",
]

# 1.001234 | 1.001234.000.00.00.H19 | either with a service suffix .02
PROCEDURE_CODE_RE = re.compile(r"^\d{1,2}\.\d{6}(?:\.\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})?(?:\.\d{2})?$", re.ASCII)
# agency identifier (000.00.32.H19) - yymmdd - sequence
DOSSIER_CODE_RE = re.compile(r"^[0-9A-Z]{2,3}(?:\.[0-9A-Z]{2,3}){2,4}-\d{6}-\d{4,5}$", re.ASCII)
# What validation accepts: the same agency part, a calendar day, a sequence of four digits or more.
_DOSSIER_SHAPE = re.compile(r"^[0-9A-Z]{2,3}(?:\.[0-9A-Z]{2,3}){2,4}-(\d{2})(\d{2})(\d{2})-\d{4,12}$", re.ASCII)
DOSSIER_CODE_SHAPE = "<agency code>-<yymmdd>-<4+ digit sequence>, e.g. 000.00.32.H19-250312-0017"


def typed_code(code: str) -> str:
    """A code as typed, in the ASCII the portal issues it in: full-width digits and letters (from an
    input method, or text copied out of a PDF) become their ASCII selves (NFKC); other scripts' digits
    stay what they are, and the shapes above (ASCII digits only) refuse them."""
    return unicodedata.normalize("NFKC", code).strip()


def validate_procedure_code(code: str) -> str:
    value = typed_code(code)
    if not PROCEDURE_CODE_RE.match(value):
        raise InputRejected(
            f"Mã thủ tục không hợp lệ / invalid procedure code: {code!r} "
            "(expected e.g. 1.001234 or 1.001234.000.00.00.H19)",
            code="invalid_procedure_code",
            details={"procedure_code": code},
        )
    return value


def dossier_code_day(code: str) -> date | None:
    """The day a dossier code carries (its ``yymmdd``, the day the one-stop desk received the dossier);
    None when the code is not of the one-stop shape or its six digits are no calendar day."""
    match = _DOSSIER_SHAPE.match(typed_code(code))
    if match is None:
        return None
    yy, mm, dd = (int(g) for g in match.groups())
    try:
        return date(2000 + yy, mm, dd)
    except ValueError:
        return None


def validate_dossier_code(code: str) -> str:
    """The code as the one-stop system issues it; anything else is refused with the expected shape."""
    value = typed_code(code)
    if dossier_code_day(value) is None:
        raise InputRejected(
            f"Mã hồ sơ không hợp lệ / invalid dossier code: {code!r} (expected {DOSSIER_CODE_SHAPE})",
            code="invalid_dossier_code",
            details={"dossier_code": code, "expected": DOSSIER_CODE_SHAPE},
        )
    return value


def matches_procedure_prefix(code: str, prefix: str) -> bool:
    """Prefix match by whole dot-separated segments: 1.001029 matches 1.001029.000.00.00.H19."""
    return code == prefix or code.startswith(prefix + ".")
