"""The procedure catalogue and the register of resolved dossiers: imports, lists, dossier links."""

from __future__ import annotations

from typing import BinaryIO

from sohoa.pipeline.runtime import Runtime, session_action
from sohoa.registry.procedures import Procedure, catalogue_loaded, get_procedure, import_procedures, list_procedures
from sohoa.registry.register import (
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


procedure = session_action(get_procedure)
catalogue_ready = session_action(catalogue_loaded)  # uploads then offer and check its codes
register_entries = session_action(list_entries)


def registry_counts(rt: Runtime) -> tuple[int, int]:
    """(dossiers in the register, procedures in the catalogue)."""
    _, entries = register_entries(rt, limit=1)
    _, known = procedures(rt, limit=1)
    return entries, known


def dossier(rt: Runtime, dossier_code: str) -> tuple[RegisterEntry, list[DocumentRecord]]:
    """A registered dossier and the documents filed under it (NotFound when not in the register)."""
    with rt.db.session() as session:
        return get_entry(session, dossier_code), list(documents_for_dossier(session, dossier_code))


# A staff link overrides the dossier code a document came with; unlinking falls back to it.
link = session_action(link_document)
unlink = session_action(unlink_document)
