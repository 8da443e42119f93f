"""The register of resolved dossiers (sổ theo dõi hồ sơ) exported by the one-stop system, and links to it.

Canonical CSV header: ``dossier_code,procedure_code,procedure_name,field,received_date,
resolved_date,result_type`` (ISO dates; ``result_type`` is ``paper`` or ``electronic``), and the
optional owner columns ``owner_id_type`` (cccd, cmnd, passport, mst), ``owner_id``, ``owner_name``,
which go to the dossier (``registry.dossiers``: every row is also a dossier); JSON
is an array of objects with the same keys. The dossier code is an entry's identity, so an
import is an upsert: importing the same file again changes nothing, a changed row updates
its entry, refused rows come back with their line numbers while good rows are kept, and
nothing is ever deleted (a register export may cover only a few months).

A document belongs to the dossier a staff member linked it to (``dossier_links``), else to
the dossier code it was uploaded or extracted with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from sohoa.core.clock import VN_TZ, utcnow
from sohoa.core.codes import validate_dossier_code, validate_procedure_code
from sohoa.core.errors import InputRejected, NotFound
from sohoa.core.owners import OwnerFields, OwnerId
from sohoa.core.periods import Period
from sohoa.core.text import fold, normalize_space
from sohoa.registry.dossiers import DossierFacts, ensure_dossier
from sohoa.registry.sources import ImportReport, RowError, SourceFormat, SourceRow, Upsert, import_rows, read_rows
from sohoa.storage.catalogue import get_document, record_event
from sohoa.storage.records import DocumentRecord
from sohoa.storage.registry_queries import (
    delete_dossier_link,
    document_dossiers,
    documents_in_dossier,
    find_register_entries,
    get_dossier_link,
    get_register_entry,
    register_entries_by_code,
    save_dossier_link,
)
from sohoa.storage.registry_records import RegisterEntryRecord

__all__ = [
    "REGISTER_COLUMNS",
    "DossierLink",
    "RegisterEntry",
    "ResultType",
    "document_dossiers",
    "documents_for_dossier",
    "get_entry",
    "import_register",
    "link_document",
    "list_entries",
    "parse_register_date",
    "unlink_document",
]

REGISTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "dossier_code": ("ma_ho_so", "so_ho_so"),
    "procedure_code": ("ma_thu_tuc", "ma_tthc"),
    "procedure_name": ("ten_thu_tuc", "ten_tthc"),
    "field": ("sector", "linh_vuc"),
    "received_date": ("ngay_tiep_nhan", "ngay_nhan"),
    "resolved_date": ("ngay_tra_ket_qua", "ngay_giai_quyet", "ngay_hoan_thanh"),
    "result_type": ("hinh_thuc_ket_qua", "loai_ket_qua"),
    "owner_id_type": ("loai_giay_to", "loai_giay_to_tuy_than", "loai_dinh_danh"),
    "owner_id": ("so_giay_to", "so_dinh_danh", "so_cccd", "ma_so_thue", "so_giay_to_tuy_than"),
    "owner_name": ("chu_ho_so", "ten_chu_ho_so", "ho_ten", "ten_to_chuc_ca_nhan"),
}
_REQUIRED = ("dossier_code", "procedure_code", "resolved_date", "result_type")


class ResultType:
    PAPER = "paper"
    ELECTRONIC = "electronic"


_RESULT_TYPES = {
    "paper": ResultType.PAPER,
    "giay": ResultType.PAPER,
    "ban giay": ResultType.PAPER,
    "electronic": ResultType.ELECTRONIC,
    "dien tu": ResultType.ELECTRONIC,
    "ban dien tu": ResultType.ELECTRONIC,
}
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class RegisterEntry:
    dossier_code: str
    procedure_code: str
    procedure_name: str | None
    field: str | None
    received_date: date | None
    resolved_date: date
    result_type: str

    @classmethod
    def from_record(cls, r: RegisterEntryRecord) -> RegisterEntry:
        return cls(
            r.dossier_code, r.procedure_code, r.procedure_name, r.field, r.received_date, r.resolved_date, r.result_type
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "dossier_code": self.dossier_code,
            "procedure_code": self.procedure_code,
            "procedure_name": self.procedure_name,
            "field": self.field,
            "received_date": self.received_date.isoformat() if self.received_date else None,
            "resolved_date": self.resolved_date.isoformat(),
            "result_type": self.result_type,
        }


def parse_register_date(value: str) -> date:
    """ISO date; an ISO date-time is taken on Vietnam's calendar (naive ones are local); dd/mm/yyyy too."""
    text = value.strip()
    match = _DMY.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return date(year, month, day)
    if len(text) == 10:
        return date.fromisoformat(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(VN_TZ).date()


def _entry_from_row(row: SourceRow) -> RegisterEntry | RowError:
    dossier = row.key("dossier_code", validate_dossier_code)
    if isinstance(dossier, RowError):
        return dossier
    v = row.values
    try:
        procedure = validate_procedure_code(v["procedure_code"])
    except InputRejected as exc:
        return RowError(row.line, exc.code, exc.message, dossier)
    dates: dict[str, date | None] = {}
    for column in ("received_date", "resolved_date"):
        if not v[column]:
            dates[column] = None
            continue
        try:
            dates[column] = parse_register_date(v[column])
        except ValueError:
            return RowError(row.line, "invalid_date", f"{column} {v[column]!r} is not a date (YYYY-MM-DD)", dossier)
    resolved, received = dates["resolved_date"], dates["received_date"]
    if resolved is None:
        return RowError(row.line, "missing_resolved_date", "resolved_date is required", dossier)
    if received is not None and resolved < received:
        return RowError(row.line, "resolved_before_received", "resolved_date is before received_date", dossier)
    result_type = _RESULT_TYPES.get(normalize_space(fold(v["result_type"])))
    if result_type is None:
        return RowError(
            row.line, "invalid_result_type", f"result_type {v['result_type']!r} is not paper or electronic", dossier
        )
    field = row.text("field")
    if field is not None and len(field) > 255:
        return RowError(row.line, "field_too_long", "field is longer than 255 characters", dossier)
    return RegisterEntry(dossier, procedure, row.text("procedure_name"), field, received, resolved, result_type)


def _updated(record: RegisterEntryRecord, new: RegisterEntry, now: datetime) -> None:
    for name, value in new.__dict__.items():
        setattr(record, name, value)
    record.updated_at = now


_ENTRIES: Upsert[RegisterEntry, RegisterEntryRecord] = Upsert(
    key=lambda e: e.dossier_code,
    load=register_entries_by_code,
    same=lambda record, new: RegisterEntry.from_record(record) == new,
    new=lambda e, now: RegisterEntryRecord(**e.__dict__, imported_at=now, updated_at=now),
    update=_updated,
    duplicate_code="duplicate_dossier_code",
    key_name="dossier",
    concurrent="another register import ran at the same time; import again",
)


def import_register(session: Session, data: bytes, fmt: SourceFormat, *, actor: str) -> ImportReport:
    """Upsert the register's rows by dossier code, and their dossiers with the owners the rows name;
    a file refused as a whole raises InputRejected."""
    rows = read_rows(data, fmt, aliases=REGISTER_COLUMNS, required=_REQUIRED)
    owners: dict[str, tuple[RegisterEntry, OwnerId | None, str | None]] = {}

    def parse(row: SourceRow) -> RegisterEntry | RowError:
        entry = _entry_from_row(row)
        if isinstance(entry, RowError):
            return entry
        v = row.values
        try:
            owner, name = OwnerFields(v["owner_id_type"], v["owner_id"], v["owner_name"]).checked()
        except InputRejected as exc:
            return RowError(row.line, exc.code, exc.message, entry.dossier_code)
        owners.setdefault(entry.dossier_code, (entry, owner, name))  # the first row of a code wins
        return entry

    report = import_rows(session, rows, parse, _ENTRIES, actor=actor, action="register.imported")
    for code, (entry, owner, name) in owners.items():
        facts = DossierFacts(
            entry.procedure_code, owner, name, entry.received_date, entry.resolved_date, entry.result_type
        )
        ensure_dossier(session, code, facts, actor=actor, source="register")
    return report


def get_entry(session: Session, dossier_code: str) -> RegisterEntry:
    record = get_register_entry(session, dossier_code.strip())
    if record is None:
        raise NotFound(f"dossier {dossier_code} is not in the register", code="dossier_not_registered")
    return RegisterEntry.from_record(record)


def list_entries(
    session: Session,
    *,
    period: Period | None = None,
    procedure_code: str | None = None,
    result_type: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[RegisterEntry], int]:
    rows, total = find_register_entries(
        session,
        resolved_from=period.start if period is not None else None,
        resolved_before=period.end if period is not None else None,
        procedure_code=procedure_code.strip() if procedure_code else None,
        result_type=result_type or None,
        limit=limit,
        offset=offset,
    )
    return [RegisterEntry.from_record(r) for r in rows], total


def documents_for_dossier(session: Session, dossier_code: str) -> list[DocumentRecord]:
    return documents_in_dossier(session, dossier_code.strip())


@dataclass(frozen=True)
class DossierLink:
    document_id: str
    dossier_code: str
    linked_by: str
    linked_at: datetime
    registered: bool  # the dossier is in the register (a link may come before the register's import)


def link_document(session: Session, document_id: str, dossier_code: str, *, actor: str) -> DossierLink:
    """Record that ``document_id`` belongs to ``dossier_code``; relinking moves it, audited either way."""
    code = validate_dossier_code(dossier_code)
    doc = get_document(session, document_id)
    link = get_dossier_link(session, document_id)
    previous = link.dossier_code if link is not None else doc.dossier_code
    # Linking twice is harmless and not worth a second event.
    if link is None or link.dossier_code != code:
        link = save_dossier_link(session, document_id, code, linked_by=actor, linked_at=utcnow())
        record_event(
            session,
            actor=actor,
            action="dossier.linked",
            document_id=document_id,
            details={"dossier_code": code, "previous": previous},
        )
    registered = get_register_entry(session, code) is not None
    return DossierLink(link.document_id, link.dossier_code, link.linked_by, link.linked_at, registered)


def unlink_document(session: Session, document_id: str, *, actor: str) -> bool:
    """Drop a staff link; the document falls back to its own dossier code. False when there was none."""
    link = get_dossier_link(session, document_id)
    if link is None:
        get_document(session, document_id)  # NotFound for an unknown document, not a silent False
        return False
    record_event(
        session,
        actor=actor,
        action="dossier.unlinked",
        document_id=document_id,
        details={"dossier_code": link.dossier_code},
    )
    delete_dossier_link(session, link)
    return True
