"""The procedure and dossier codes the tests file documents under, written once."""

from __future__ import annotations

__all__ = ["DOSSIER", "PROCEDURE", "SECOND_PROCEDURE", "short_code"]

# Full codes of the national procedure catalogue (mã thủ tục), as staff type them at upload.
PROCEDURE = "1.001234.000.00.00.H19"
SECOND_PROCEDURE = "1.001029.000.00.00.H19"
# A dossier code (mã hồ sơ) of the one-stop system's shape.
DOSSIER = "000.00.32.H19-250312-0017"


def short_code(code: str) -> str:
    """The code's first two segments (``1.001234``): how the register and searches often give it."""
    return ".".join(code.split(".")[:2])
