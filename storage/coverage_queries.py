"""The queries behind the digitization coverage report (``registry.coverage`` says what each flag means).

Dossiers are the register's entries resolved in a half-open range of dates; their documents
are found through ``registry_queries.document_dossiers`` (a staff link, else the document's
own dossier code). Both engines run the same SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from sohoa.core.domain import DocumentState
from sohoa.storage.dossier_records import DossierDocumentRecord, DossierRecord, ResubmissionRecord
from sohoa.storage.records import DocumentRecord
from sohoa.storage.registry_queries import document_dossiers
from sohoa.storage.registry_records import RegisterEntryRecord

__all__ = [
    "DIGITIZED_STATES",
    "PROGRESS",
    "ComponentTotals",
    "CoverageTotals",
    "DossierFlags",
    "component_totals",
    "coverage_totals",
    "dossier_flags",
]

S = DocumentState
# Read by the pipeline: past "received", neither rejected nor failed.
DIGITIZED_STATES = frozenset({S.OCR_DONE, S.EXTRACTED, S.NEEDS_REVIEW, S.APPROVED, S.SIGNED, S.ARCHIVED})
# How far a document got, to show the most advanced one of a dossier still missing its result.
PROGRESS = (
    S.REJECTED,
    S.FAILED,
    S.RECEIVED,
    S.OCR_DONE,
    S.EXTRACTED,
    S.NEEDS_REVIEW,
    S.APPROVED,
    S.SIGNED,
    S.ARCHIVED,
)


@dataclass(frozen=True)
class DossierFlags:
    """One dossier of the register and what its documents reached."""

    entry: RegisterEntryRecord
    documents: int
    digitized: bool
    signed: bool
    archived: bool
    pending: int  # documents neither archived nor rejected
    best_state: DocumentState | None  # the most advanced state among its documents
    owner: tuple[str, str, str | None] | None = None  # id type, id number (whole), name; from dossiers


@dataclass(frozen=True)
class CoverageTotals:
    resolved: int
    paper: int
    digitized: int
    signed: int
    archived: int
    fully_digitized: int


def _flag(condition: Any) -> Any:
    return func.max(case((condition, 1), else_=0))


def _in_range(start: date, end: date) -> Any:
    E = RegisterEntryRecord
    return and_(E.resolved_date >= start, E.resolved_date < end)


def _document_flags(start: date, end: date) -> Any:
    """Per dossier resolved in ``[start, end)``: its document count and what its documents reached."""
    docs = document_dossiers().subquery()
    M = DossierDocumentRecord
    # The result rate counts results: a paper submitted with the dossier (a component) is not one.
    component = exists(
        select(M.document_id).where(
            M.document_id == docs.c.document_id, M.dossier_code == docs.c.dossier_code, M.role == "component"
        )
    )
    digitized = docs.c.state.in_([s.value for s in DIGITIZED_STATES])
    signed = and_(digitized, docs.c.signed_at.is_not(None))
    archived = and_(docs.c.state == S.ARCHIVED.value, docs.c.signed_at.is_not(None))
    pending = docs.c.state.not_in([S.ARCHIVED.value, S.REJECTED.value])
    progress = case(*((docs.c.state == s.value, rank) for rank, s in enumerate(PROGRESS)), else_=-1)
    return (
        select(
            docs.c.dossier_code.label("dossier_code"),
            func.count(docs.c.document_id).label("documents"),
            _flag(digitized).label("digitized"),
            _flag(signed).label("signed"),
            _flag(archived).label("archived"),
            func.sum(case((pending, 1), else_=0)).label("pending"),
            func.max(progress).label("progress"),
        )
        .where(docs.c.dossier_code.in_(select(RegisterEntryRecord.dossier_code).where(_in_range(start, end))))
        .where(~component)
        .group_by(docs.c.dossier_code)
        .subquery()
    )


def dossier_flags(session: Session, start: date, end: date) -> list[DossierFlags]:
    """Every dossier resolved in ``[start, end)`` by resolved date then code, from one query."""
    E = RegisterEntryRecord
    agg = _document_flags(start, end)
    D = DossierRecord
    stmt = (
        select(
            E,
            agg.c.documents,
            agg.c.digitized,
            agg.c.signed,
            agg.c.archived,
            agg.c.pending,
            agg.c.progress,
            D.owner_id_type,
            D.owner_id_number,
            D.owner_name,
        )
        .outerjoin(agg, agg.c.dossier_code == E.dossier_code)
        .outerjoin(D, D.code == E.dossier_code)
        .where(_in_range(start, end))
        .order_by(E.resolved_date, E.dossier_code)
    )
    return [
        DossierFlags(
            entry=record,
            documents=int(documents or 0),
            digitized=bool(digitized),
            signed=bool(signed),
            archived=bool(archived),
            pending=int(pending or 0),
            best_state=PROGRESS[rank] if rank is not None and rank >= 0 else None,
            owner=(id_type, number, name) if id_type is not None and number is not None else None,
        )
        for record, documents, digitized, signed, archived, pending, rank, id_type, number, name in session.execute(
            stmt
        ).all()
    ]


def coverage_totals(session: Session, start: date, end: date, *, paper_result: str) -> CoverageTotals:
    """The overall counts alone, added up in the database; ``paper_result`` is the paper result type."""
    E = RegisterEntryRecord
    agg = _document_flags(start, end)
    paper = E.result_type == paper_result

    def paper_and(flag: Any) -> Any:
        return func.sum(case((and_(paper, func.coalesce(flag, 0) == 1), 1), else_=0))

    fully = and_(func.coalesce(agg.c.archived, 0) == 1, func.coalesce(agg.c.pending, 0) == 0)
    stmt = (
        select(
            func.count(),
            func.sum(case((paper, 1), else_=0)),
            paper_and(agg.c.digitized),
            paper_and(agg.c.signed),
            paper_and(agg.c.archived),
            func.sum(case((and_(paper, fully), 1), else_=0)),
        )
        .select_from(E)
        .outerjoin(agg, agg.c.dossier_code == E.dossier_code)
        .where(_in_range(start, end))
    )
    row = session.execute(stmt).one()
    return CoverageTotals(*(int(v or 0) for v in row))


@dataclass(frozen=True)
class ComponentTotals:
    received: int  # dossiers received in the range
    components_digitized: int  # of these, with components, every one archived and signed
    reused: int  # components of these dossiers satisfied by reuse
    resubmitted: int  # components of these dossiers uploaded again although a reusable copy was on file


def component_totals(session: Session, start: date, end: date) -> ComponentTotals:
    """The component and reuse counts of dossiers received in ``[start, end)``, added up in the database."""
    D, M, R, Doc = DossierRecord, DossierDocumentRecord, ResubmissionRecord, DocumentRecord
    done = and_(Doc.state == S.ARCHIVED.value, Doc.signed_at.is_not(None))
    components = (
        select(
            M.dossier_code.label("dossier_code"),
            func.count().label("n"),
            func.sum(case((done, 1), else_=0)).label("done"),
            func.sum(case((M.origin == "reused", 1), else_=0)).label("reused"),
        )
        .join(Doc, Doc.id == M.document_id)
        .where(M.role == "component")
        .group_by(M.dossier_code)
        .subquery()
    )
    again = select(R.dossier_code.label("dossier_code"), func.count().label("n")).group_by(R.dossier_code).subquery()
    complete = and_(func.coalesce(components.c.n, 0) > 0, components.c.done == components.c.n)
    stmt = (
        select(
            func.count(),
            func.sum(case((complete, 1), else_=0)),
            func.sum(func.coalesce(components.c.reused, 0)),
            func.sum(func.coalesce(again.c.n, 0)),
        )
        .select_from(D)
        .outerjoin(components, components.c.dossier_code == D.code)
        .outerjoin(again, again.c.dossier_code == D.code)
        .where(D.received_date >= start, D.received_date < end)
    )
    row = session.execute(stmt).one()
    return ComponentTotals(*(int(v or 0) for v in row))
