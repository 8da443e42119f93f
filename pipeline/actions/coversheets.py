"""Cover sheets (phiếu bìa): printed, put on top of a dossier's papers, scanned with them."""

from __future__ import annotations

from collections.abc import Sequence

from sohoa.core.periods import Period
from sohoa.ingest.coversheet import SheetEntry, make_cover_sheets
from sohoa.pipeline.actions.reports import dossiers_of_period
from sohoa.pipeline.runtime import Runtime

__all__ = ["MAX_SHEETS", "cover_sheets", "missing_cover_sheets"]

MAX_SHEETS = 1000  # one print run, not the whole register


def cover_sheets(entries: Sequence[SheetEntry]) -> bytes:
    """One page per entry, each with its codes as text and as a QR code intake reads back."""
    return make_cover_sheets(list(entries))


def missing_cover_sheets(rt: Runtime, period: Period) -> tuple[bytes | None, int]:
    """Sheets for the paper dossiers of ``period`` still without a signed archived result (at most
    ``MAX_SHEETS``), and how many are missing; no PDF when none is."""
    missing = [s for s in dossiers_of_period(rt, period) if s.missing]
    if not missing:
        return None, 0
    entries = [
        SheetEntry(s.entry.procedure_code, s.entry.dossier_code, title=s.procedure_name) for s in missing[:MAX_SHEETS]
    ]
    return cover_sheets(entries), len(missing)
