"""The procedure catalogue and the register of resolved dossiers: imports, lists, dossier links."""

from __future__ import annotations

from typing import BinaryIO

from sohoa.core.periods import Period
from sohoa.pipeline.runtime import Runtime
from sohoa.registry.procedures import Procedure, catalogue_loaded, get_procedure, import_procedures, list_procedures
from sohoa.registry.register import (
    DossierLink,
    RegisterEntry,
    documents_for_dossier,
    get_entry,
    import_register,
    link_document,
    list_entries,
    unlink_document,
)
from sohoa.registry.sources import ImportReport, SourceFormat, detect_format, read_limited
from sohoa.storage.records import DocumentRecord

__all__ = [
    "catalogue_ready",
    "dossier",
    "import_file",
    "link",
    "procedure",
    "procedures",
    "register_entries",
    "registry_counts",
    "unlink",
]


def import_file(
    rt: Runtime, which: str, stream: BinaryIO, *, filename: str | None, actor: str, fmt: SourceFormat | None = None
) -> ImportReport:
    """Load a catalogue (``which="procedures"``) or register (``"register"``) export, CSV or JSON.

    The size is capped while reading; the format is the caller's or told by the name and content."""
    data = read_limited(stream)
    chosen = fmt or detect_format(data, filename)
    run = import_register if which == "register" else import_procedures
    with rt.db.session() as session:
        return run(session, data, chosen, actor=actor)


def procedures(
    rt: Runtime, *, query: str | None = None, field: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[Procedure], int]:
    with rt.db.session() as session:
        found, total = list_procedures(session, query=query, field=field, limit=limit, offset=offset)
        return list(found), total


def procedure(rt: Runtime, code: str) -> Procedure:
    with rt.db.session() as session:
        return get_procedure(session, code)


def catalogue_ready(rt: Runtime) -> bool:
    """Whether a procedure catalogue was imported (uploads then offer and check its codes)."""
    with rt.db.session() as session:
        return catalogue_loaded(session)


def registry_counts(rt: Runtime) -> tuple[int, int]:
    """(dossiers in the register, procedures in the catalogue)."""
    _, entries = register_entries(rt, limit=1)
    _, known = procedures(rt, limit=1)
    return entries, known


def register_entries(
    rt: Runtime,
    *,
    period: Period | None = None,
    procedure_code: str | None = None,
    result_type: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[RegisterEntry], int]:
    with rt.db.session() as session:
        entries, total = list_entries(
            session, period=period, procedure_code=procedure_code, result_type=result_type, limit=limit, offset=offset
        )
        return list(entries), total


def dossier(rt: Runtime, dossier_code: str) -> tuple[RegisterEntry, list[DocumentRecord]]:
    """A registered dossier and the documents filed under it (NotFound when not in the register)."""
    with rt.db.session() as session:
        return get_entry(session, dossier_code), list(documents_for_dossier(session, dossier_code))


def link(rt: Runtime, document_id: str, dossier_code: str, *, actor: str) -> DossierLink:
    """Say which dossier a document belongs to; it overrides the dossier code it came with."""
    with rt.db.session() as session:
        return link_document(session, document_id, dossier_code, actor=actor)


def unlink(rt: Runtime, document_id: str, *, actor: str) -> bool:
    """Drop a staff link (the document goes back to its own dossier code); whether there was one."""
    with rt.db.session() as session:
        return unlink_document(session, document_id, actor=actor)
