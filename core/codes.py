"""Procedure codes (mã thủ tục) and dossier codes (mã hồ sơ) of the national public service portal."""

from __future__ import annotations

import re

from sohoa.core.errors import InputRejected

__all__ = [
    "DOSSIER_CODE_RE",
    "PROCEDURE_CODE_RE",
    "matches_procedure_prefix",
    "validate_dossier_code",
    "validate_procedure_code",
]

# 1.001234 | 1.001234.000.00.00.H19 | either with a service suffix .02
PROCEDURE_CODE_RE = re.compile(r"^\d{1,2}\.\d{6}(?:\.\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})?(?:\.\d{2})?$")
# agency identifier (000.00.32.H19) - yymmdd - sequence
DOSSIER_CODE_RE = re.compile(r"^[0-9A-Z]{2,3}(?:\.[0-9A-Z]{2,3}){2,4}-\d{6}-\d{4,5}$")


def validate_procedure_code(code: str) -> str:
    value = code.strip()
    if not PROCEDURE_CODE_RE.match(value):
        raise InputRejected(
            f"Mã thủ tục không hợp lệ / invalid procedure code: {code!r} "
            "(expected e.g. 1.001234 or 1.001234.000.00.00.H19)",
            code="invalid_procedure_code",
            details={"procedure_code": code},
        )
    return value


def validate_dossier_code(code: str) -> str:
    value = code.strip()
    if not value or len(value) > 64 or any(ch.isspace() for ch in value):
        raise InputRejected(
            f"Mã hồ sơ không hợp lệ / invalid dossier code: {code!r}",
            code="invalid_dossier_code",
            details={"dossier_code": code},
        )
    return value


def matches_procedure_prefix(code: str, prefix: str) -> bool:
    """Prefix match by whole dot-separated segments: 1.001029 matches 1.001029.000.00.00.H19."""
    return code == prefix or code.startswith(prefix + ".")
