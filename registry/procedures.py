"""The procedure catalogue (danh mục thủ tục hành chính): import, look-up, and the check on uploads.

Codes match by whole dot-separated segments in either direction, so a catalogue holding the
national code ``1.001234`` knows the provincial ``1.001234.000.00.00.H19`` and the reverse:
both name one procedure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from sohoa.core.codes import validate_procedure_code
from sohoa.core.errors import InputRejected, NotFound
from sohoa.core.text import fold, nfc, normalize_space
from sohoa.registry.sources import ImportReport, RowError, SourceFormat, SourceRow, Upsert, import_rows, read_rows
from sohoa.storage.chunks import chunked
from sohoa.storage.registry_queries import any_procedure, find_procedures, first_procedure_under, procedures_by_code
from sohoa.storage.registry_records import ProcedureRecord

__all__ = [
    "PROCEDURE_COLUMNS",
    "Procedure",
    "catalogue_loaded",
    "check_upload_code",
    "find_procedure",
    "get_procedure",
    "import_procedures",
    "list_procedures",
    "procedure_labels",
]

# canonical column -> accepted header aliases (compared folded: "Mã thủ tục" == "ma_thu_tuc")
PROCEDURE_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("procedure_code", "ma_thu_tuc", "ma_tthc", "ma"),
    "name": ("procedure_name", "ten_thu_tuc", "ten_tthc", "ten"),
    "field": ("sector", "linh_vuc"),
    "agency": ("handling_agency", "co_quan_thuc_hien", "co_quan", "agency_name"),
}


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    field: str | None
    agency: str | None

    @classmethod
    def from_record(cls, record: ProcedureRecord) -> Procedure:
        return cls(code=record.code, name=record.name, field=record.field, agency=record.agency)


def _procedure_from_row(row: SourceRow) -> Procedure | RowError:
    code = row.key("code", validate_procedure_code)
    if isinstance(code, RowError):
        return code
    name = row.text("name")
    if name is None:
        return RowError(row.line, "missing_name", "the procedure has no name", code)
    field, agency = row.text("field"), row.text("agency")
    for label, value in (("field", field), ("agency", agency)):
        if value is not None and len(value) > 255:
            return RowError(row.line, f"{label}_too_long", f"{label} is longer than 255 characters", code)
    return Procedure(code=code, name=name, field=field, agency=agency)


def _search_key(p: Procedure) -> str:
    return fold(" ".join(x for x in (p.code, p.name, p.field, p.agency) if x))


def _updated(record: ProcedureRecord, new: Procedure, now: datetime) -> None:
    record.name, record.field, record.agency = new.name, new.field, new.agency
    record.search_key = _search_key(new)
    record.updated_at = now


_PROCEDURES: Upsert[Procedure, ProcedureRecord] = Upsert(
    key=lambda p: p.code,
    load=procedures_by_code,
    same=lambda record, new: Procedure.from_record(record) == new,
    new=lambda p, now: ProcedureRecord(
        code=p.code,
        name=p.name,
        field=p.field,
        agency=p.agency,
        search_key=_search_key(p),
        imported_at=now,
        updated_at=now,
    ),
    update=_updated,
    duplicate_code="duplicate_code",
    key_name="code",
    concurrent="another catalogue import ran at once; import again",
)


def import_procedures(session: Session, data: bytes, fmt: SourceFormat, *, actor: str) -> ImportReport:
    """Insert new procedures and update changed ones; refused rows come back with their line numbers."""
    rows = read_rows(data, fmt, aliases=PROCEDURE_COLUMNS, required=("code", "name"))
    return import_rows(session, rows, _procedure_from_row, _PROCEDURES, actor=actor, action="procedures.imported")


def catalogue_loaded(session: Session) -> bool:
    return any_procedure(session)


def _prefixes(code: str) -> list[str]:
    """``1.001234.000.00.00.H19`` -> its whole-segment prefixes, longest first, down to ``1.001234``."""
    parts = code.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 1, -1)]


def find_procedure(session: Session, code: str) -> Procedure | None:
    """The catalogue's procedure for ``code``: exact, else the longest catalogue prefix, else a longer form."""
    value = code.strip()
    candidates = _prefixes(value)
    found = procedures_by_code(session, candidates)
    for candidate in candidates:
        if candidate in found:
            return Procedure.from_record(found[candidate])
    longer = first_procedure_under(session, value)
    return Procedure.from_record(longer) if longer is not None else None


def get_procedure(session: Session, code: str) -> Procedure:
    found = find_procedure(session, code)
    if found is None:
        raise NotFound(f"procedure {code} is not in the catalogue", code="procedure_not_found")
    return found


def check_upload_code(session: Session, code: str, *, allow_unknown: bool) -> str:
    """The normalized code of an upload, or InputRejected.

    A malformed code is always refused (``invalid_procedure_code``). Once a catalogue is
    loaded, a code it does not know is refused too (``unknown_procedure_code``) unless
    ``allow_unknown``; with an empty catalogue every well-formed code passes.
    """
    value = validate_procedure_code(code)
    if allow_unknown or not catalogue_loaded(session):
        return value
    if find_procedure(session, value) is None:
        raise InputRejected(
            f"Mã thủ tục không có trong danh mục / unknown procedure code: {value}",
            code="unknown_procedure_code",
            details={"procedure_code": value},
        )
    return value


def procedure_labels(session: Session, codes: Iterable[str]) -> dict[str, Procedure]:
    """Catalogue entries for many codes at once (reports, search results); unknown codes are left out."""
    wanted = sorted({c.strip() for c in codes if c and c.strip()})
    candidates = sorted({p for c in wanted for p in _prefixes(c)})
    found: dict[str, ProcedureRecord] = {}
    for chunk in chunked(candidates):
        found.update(procedures_by_code(session, chunk))
    out: dict[str, Procedure] = {}
    for code in wanted:
        match = next((found[p] for p in _prefixes(code) if p in found), None)
        if match is not None:
            out[code] = Procedure.from_record(match)
        else:
            longer = find_procedure(session, code)  # rare: the catalogue holds only longer forms
            if longer is not None:
                out[code] = longer
    return out


def list_procedures(
    session: Session, *, query: str | None = None, field: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[Sequence[Procedure], int]:
    """Catalogue page ordered by code; ``query`` matches code, name, field or agency without accents."""
    words = fold(normalize_space(query)).split(" ") if query and query.strip() else []
    wanted_field = normalize_space(nfc(field)) if field and field.strip() else None
    rows, total = find_procedures(session, words=words, field=wanted_field, limit=limit, offset=offset)
    return [Procedure.from_record(r) for r in rows], total
