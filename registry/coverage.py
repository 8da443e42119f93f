"""Digitization coverage of resolved dossiers: the national indicators, by procedure, field and overall.

Definitions (a period selects the register's dossiers by ``resolved_date``; the status of
their documents is taken as it stands when the report is made):

- ``resolved``: dossiers resolved in the period; ``paper``: those whose result was issued on
  paper, the denominator of every rate (an electronic result needs no digitizing).
- ``digitized``: paper dossiers with at least one linked document that the pipeline has
  read, i.e. in a state past ``received`` that is neither ``rejected`` nor ``failed``
  (``ocr_done``, ``extracted``, ``needs_review``, ``approved``, ``signed``, ``archived``).
- ``signed``: of these, with such a document whose ``signed_at`` is set.
- ``archived``: with a document in state ``archived`` and signed: digitized, signed and
  stored. ``rate`` is ``archived / paper``.
- ``fully_digitized``: archived dossiers none of whose other documents is still pending
  (every linked document is ``archived`` or was ``rejected`` as unusable input).
- ``missing``: paper dossiers without a signed archived result: what staff scan next.

Nested by construction: fully_digitized <= archived <= signed <= digitized <= paper <= resolved.
A document belongs to a dossier through a staff link, else through its own dossier code; a
document filed as a component of its dossier (thành phần hồ sơ) is not a result and counts for none
of the above.

Dossiers and their papers (the overall figures only; the period selects dossiers by
``received_date``, whether or not they are resolved yet):

- ``dossiers_received``: dossiers received in the period (from the register, uploads, or by hand).
- ``components_digitized``: of these, dossiers with at least one component whose every component
  (uploaded or reused) is digitized, signed and archived; ``components_rate`` is
  ``components_digitized / dossiers_received``.
- ``reused``: components of these dossiers satisfied by reusing a paper already on file.
- ``resubmitted``: components of these dossiers uploaded again although a reusable copy of the
  same paper was on file (the same bytes, or the same type, number, issuer and date).
- ``reuse_rate`` = ``reused / (reused + resubmitted)``: 1 when nothing was asked for twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sohoa.core.clock import utcnow
from sohoa.core.owners import mask_id
from sohoa.core.periods import Period
from sohoa.registry.procedures import Procedure, procedure_labels
from sohoa.registry.register import RegisterEntry, ResultType
from sohoa.storage.coverage_queries import (
    DIGITIZED_STATES,
    ComponentTotals,
    component_totals,
    coverage_totals,
    dossier_flags,
)

__all__ = [
    "DEFINITIONS",
    "DIGITIZED_STATES",
    "Coverage",
    "CoverageReport",
    "DossierStatus",
    "FieldCoverage",
    "ProcedureCoverage",
    "compute_coverage",
    "count_coverage",
    "dossier_statuses",
    "summarize",
]


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# What each figure means, written into the report itself (JSON ``definitions``, the workbook's notes).
DEFINITIONS: dict[str, str] = {
    "rate": "archived / paper: dossiers resolved in the period with a paper result whose result is "
    "digitized, signed and archived",
    "components_rate": "dossiers received in the period whose every component (thành phần hồ sơ) is "
    "digitized, signed and archived / dossiers received in the period",
    "reused": "components of dossiers received in the period satisfied by reusing a paper already on file",
    "resubmitted": "components of dossiers received in the period uploaded again although a reusable copy was on file",
    "reuse_rate": "reused / (reused + resubmitted)",
}


@dataclass(frozen=True)
class Coverage:
    resolved: int = 0
    paper: int = 0
    digitized: int = 0
    signed: int = 0
    archived: int = 0
    fully_digitized: int = 0
    # Dossiers received in the period and their components: the overall figures only (None elsewhere).
    # Another population than the funnel above (received, not resolved), so equality leaves them out:
    # two Coverage values are equal when their result figures are.
    dossiers_received: int | None = field(default=None, compare=False)
    components_digitized: int = field(default=0, compare=False)
    reused: int = field(default=0, compare=False)
    resubmitted: int = field(default=0, compare=False)

    @property
    def electronic(self) -> int:
        return self.resolved - self.paper

    @property
    def missing(self) -> int:
        return self.paper - self.archived

    @property
    def rate(self) -> float | None:
        """archived / paper, 0..1; None when the period has no paper result to digitize."""
        return _ratio(self.archived, self.paper)

    def to_dict(self) -> dict[str, Any]:
        return {
            "resolved": self.resolved,
            "paper": self.paper,
            "electronic": self.electronic,
            "digitized": self.digitized,
            "signed": self.signed,
            "archived": self.archived,
            "fully_digitized": self.fully_digitized,
            "missing": self.missing,
            "rate": self.rate,
            "digitized_rate": _ratio(self.digitized, self.paper),
            "signed_rate": _ratio(self.signed, self.paper),
            "archived_rate": self.rate,
            "fully_digitized_rate": _ratio(self.fully_digitized, self.paper),
            **self._component_figures(),
        }

    def _component_figures(self) -> dict[str, Any]:
        if self.dossiers_received is None:
            return {}
        return {
            "dossiers_received": self.dossiers_received,
            "components_digitized": self.components_digitized,
            "components_rate": _ratio(self.components_digitized, self.dossiers_received),
            "reused": self.reused,
            "resubmitted": self.resubmitted,
            "reuse_rate": _ratio(self.reused, self.reused + self.resubmitted),
        }

    def with_components(self, totals: ComponentTotals) -> Coverage:
        return replace(
            self,
            dossiers_received=totals.received,
            components_digitized=totals.components_digitized,
            reused=totals.reused,
            resubmitted=totals.resubmitted,
        )


@dataclass(frozen=True)
class DossierStatus:
    entry: RegisterEntry
    procedure_name: str | None  # the register's name, else the catalogue's
    field: str | None  # likewise
    documents: int
    digitized: bool
    signed: bool
    archived: bool
    fully_digitized: bool
    best_state: str | None  # the most advanced state among its documents
    # The dossier's owner: the number as the report's reader may see it (masked without owner_data).
    owner_id_type: str | None = None
    owner_id: str | None = None
    owner_name: str | None = None

    @property
    def paper(self) -> bool:
        return self.entry.result_type == ResultType.PAPER

    @property
    def missing(self) -> bool:
        return self.paper and not self.archived

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.entry.to_dict(),
            "procedure_name": self.procedure_name,
            "field": self.field,
            "documents": self.documents,
            "best_state": self.best_state,
            "owner_id_type": self.owner_id_type,
            "owner_id": self.owner_id,
            "owner_name": self.owner_name,
        }


@dataclass(frozen=True)
class ProcedureCoverage:
    procedure_code: str
    procedure_name: str | None
    field: str | None
    agency: str | None
    coverage: Coverage


@dataclass(frozen=True)
class FieldCoverage:
    field: str | None
    coverage: Coverage


@dataclass(frozen=True)
class CoverageReport:
    period: Period
    generated_at: datetime  # UTC; the status of documents as of this instant
    overall: Coverage
    by_procedure: tuple[ProcedureCoverage, ...]
    by_field: tuple[FieldCoverage, ...]
    missing: tuple[DossierStatus, ...]  # ordered by resolved date, then dossier code


def dossier_statuses(session: Session, period: Period, *, full_owner_ids: bool = False) -> list[DossierStatus]:
    """One status per dossier resolved in ``period``, from one query over the register and documents.

    Owners' numbers are masked unless ``full_owner_ids`` (the reader holds the owner_data right)."""
    rows = dossier_flags(session, period.start, period.end)
    labels = procedure_labels(session, {row.entry.procedure_code for row in rows})
    out: list[DossierStatus] = []
    for row in rows:
        entry = RegisterEntry.from_record(row.entry)
        label: Procedure | None = labels.get(entry.procedure_code)
        out.append(
            DossierStatus(
                entry=entry,
                procedure_name=entry.procedure_name or (label.name if label else None),
                field=entry.field or (label.field if label else None),
                documents=row.documents,
                digitized=row.digitized,
                signed=row.signed,
                archived=row.archived,
                fully_digitized=row.archived and not row.pending,
                best_state=row.best_state.value if row.best_state is not None else None,
                owner_id_type=row.owner[0] if row.owner else None,
                owner_id=(row.owner[1] if full_owner_ids else mask_id(row.owner[1])) if row.owner else None,
                owner_name=row.owner[2] if row.owner else None,
            )
        )
    return out


def summarize(statuses: Iterable[DossierStatus]) -> Coverage:
    counts = dict.fromkeys(("resolved", "paper", "digitized", "signed", "archived", "fully_digitized"), 0)
    for s in statuses:
        counts["resolved"] += 1
        if not s.paper:
            continue
        counts["paper"] += 1
        counts["digitized"] += s.digitized
        counts["signed"] += s.signed
        counts["archived"] += s.archived
        counts["fully_digitized"] += s.fully_digitized
    return Coverage(**counts)


def compute_coverage(
    session: Session, period: Period, *, now: datetime | None = None, full_owner_ids: bool = False
) -> CoverageReport:
    statuses = dossier_statuses(session, period, full_owner_ids=full_owner_ids)
    by_code: dict[str, list[DossierStatus]] = defaultdict(list)
    by_field: dict[str | None, list[DossierStatus]] = defaultdict(list)
    for s in statuses:
        by_code[s.entry.procedure_code].append(s)
        by_field[s.field].append(s)
    labels = procedure_labels(session, by_code)
    procedures = []
    for code in sorted(by_code):
        group = by_code[code]
        label = labels.get(code)
        # The register's own name and field win: they are what the one-stop system showed.
        named = next((s.procedure_name for s in group if s.procedure_name), None)
        fielded = next((s.field for s in group if s.field), None)
        procedures.append(ProcedureCoverage(code, named, fielded, label.agency if label else None, summarize(group)))
    fields = [FieldCoverage(f, summarize(by_field[f])) for f in sorted(by_field, key=lambda f: (f is None, f or ""))]
    return CoverageReport(
        period=period,
        generated_at=now or utcnow(),
        overall=summarize(statuses).with_components(component_totals(session, period.start, period.end)),
        by_procedure=tuple(procedures),
        by_field=tuple(fields),
        missing=tuple(s for s in statuses if s.missing),
    )


def count_coverage(session: Session, period: Period) -> Coverage:
    """The overall counts alone, added up in the database: cheap enough for every metrics scrape."""
    t = coverage_totals(session, period.start, period.end, paper_result=ResultType.PAPER)
    overall = Coverage(t.resolved, t.paper, t.digitized, t.signed, t.archived, t.fully_digitized)
    return overall.with_components(component_totals(session, period.start, period.end))
