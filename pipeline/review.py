"""Review: staff correct uncertain metadata and release documents to signing."""

from __future__ import annotations

import json
from typing import Any

from sohoa.core.codes import typed_code, validate_dossier_code, validate_procedure_code
from sohoa.core.domain import DocumentState, Metadata
from sohoa.core.errors import Conflict, InputRejected
from sohoa.core.text import fold, nfc
from sohoa.ingest.metadata.numbers import format_number_symbol, parse_number_symbol
from sohoa.pipeline.corrections import store_correction
from sohoa.pipeline.indexing import build_search_text
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import get_document, record_event, transition
from sohoa.storage.records import DocumentRecord

__all__ = ["EDITABLE_STATES", "approve_document", "correct_metadata", "empty_required_fields", "value_from_text"]

# Before signing, metadata is what the signature will be filed under. An archived record's catalogue
# entry may be corrected too (a misread date, a subject cut short): the signed file is never touched,
# every change is an event with its old and new value, and the corrected filing is stored in the
# archive beside it (pipeline.corrections), so a catalogue rebuilt from the store keeps the correction.
# Its procedure code is where the archive filed it: changing that is superseding, not correcting.
EDITABLE_STATES = (DocumentState.NEEDS_REVIEW, DocumentState.EXTRACTED, DocumentState.ARCHIVED)
_FIXED_WHEN_ARCHIVED = frozenset({"procedure_code"})
_FIELDS = set(Metadata().to_dict()) - {"confidence"}
_LIST_FIELDS = ("signer_authority", "recipients")
# The number and symbol, whole as printed after ``Số:`` and in its parts (as extraction files them):
# search by number reads the parts, titles and download names the whole, so a correction keeps them one.
_NUMBER_PARTS = ("number", "number_year", "symbol")
_NUMBER_FIELDS = frozenset({*_NUMBER_PARTS, "number_symbol"})


def _check_fields(names: Any) -> None:
    unknown = set(names) - _FIELDS
    if unknown:
        raise InputRejected(
            f"unknown metadata fields: {', '.join(sorted(unknown))}",
            code="invalid_metadata",
            details={"allowed": sorted(_FIELDS)},
        )


def value_from_text(field: str, text: str) -> Any:
    """A field's value as a person types it on a command line (``FIELD=VALUE``), by the field's kind.

    ``null``, or nothing at all, clears the field (an empty list for a list field). A list field
    (signer_authority, recipients) takes a JSON list of strings; number_year a whole number; every
    other field is text as typed (``42`` is the text 42; a JSON-quoted ``"42"`` is read as 42 too).
    Whether the value is right for the field (an ISO day, a procedure code) is for ``correct_metadata``."""
    _check_fields([field])
    raw = text.strip()
    if raw in ("", "null"):
        return [] if field in _LIST_FIELDS else None
    if field in _LIST_FIELDS:
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputRejected(
                f'{field} takes a JSON list of strings, e.g. {field}=\'["first", "second"]\'; got {text!r}',
                code="invalid_metadata",
            )
        return value
    if field == "number_year":
        if not raw.isascii() or not raw.isdigit():
            raise InputRejected(
                f"number_year must be a whole number (a year, e.g. 2025), not {text!r}", code="invalid_metadata"
            )
        return int(raw)
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        try:
            quoted = json.loads(raw)
        except json.JSONDecodeError:
            quoted = None
        if isinstance(quoted, str):
            return quoted
    return text


def _clean(field: str, value: Any) -> Any:
    if value is None:
        return None
    if field in _LIST_FIELDS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputRejected(f"{field} must be a list of strings", code="invalid_metadata")
        return [nfc(v).strip() for v in value]
    if field == "number_year":
        # bool is an int to Python: true would be filed as the year True
        if type(value) is not int or not 1900 <= value <= 2100:
            raise InputRejected(f"number_year must be a year (e.g. 2025), not {value!r}", code="invalid_metadata")
        return value
    if not isinstance(value, str):
        raise InputRejected(f"{field} must be a string", code="invalid_metadata")
    value = nfc(value).strip()
    if field in _NUMBER_FIELDS:
        value = _as_printed(value)
    if field == "procedure_code":
        return validate_procedure_code(value)
    if field == "dossier_code":
        return validate_dossier_code(value)
    if field == "number" and value and not (value.isascii() and value.isdigit()):
        raise InputRejected(
            f"number must be the digits before the symbol (e.g. 42), not {value!r}: "
            "correct number_symbol to give the whole 42/2025/QĐ-UBND",
            code="invalid_metadata",
        )
    if field == "number_symbol" and value and _read_whole(value) is None:
        raise InputRejected(
            f"number_symbol must read as number/symbol, e.g. 42/QĐ-UBND or 42/2025/QĐ-UBND "
            f"(or a number alone, e.g. 0012345), not {value!r}",
            code="invalid_metadata",
        )
    if field == "symbol" and value and "/" in value and parse_number_symbol(f"/{value}") is None:
        raise InputRejected(
            f"symbol must be what follows the number (e.g. QĐ-UBND, or 2025/QĐ-UBND with its year), not {value!r}: "
            "correct number_symbol to give the whole 42/2025/QĐ-UBND",
            code="invalid_metadata",
        )
    if field == "issued_date" and value:
        from datetime import date

        try:
            # filed as YYYY-MM-DD whichever ISO form was typed (20250527 too), as extraction files it
            return date.fromisoformat(value).isoformat()
        except ValueError as exc:
            raise InputRejected(
                f"issued_date must be an ISO date (YYYY-MM-DD, e.g. 2025-05-27), not {value!r}",
                code="invalid_metadata",
            ) from exc
    return (value or None) if field in _NUMBER_FIELDS else value


# dashes a word processor or a PDF gives for the hyphen of a symbol (QĐ–UBND)
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")


def _as_printed(value: str) -> str:
    """A number or symbol as pasted (full-width digits, an en dash, the ``Số:`` label before it) in the
    form extraction files it."""
    value = typed_code(value).translate(_DASHES)
    label, colon, rest = value.partition(":")
    if colon and fold(label).strip() == "so":
        value = rest
    return nfc(value).strip()


def _read_whole(whole: str) -> tuple[str | None, int | None, str | None] | None:
    """(number, year, symbol) of a typed ``number_symbol``: as extraction reads ``42/2025/QĐ-UBND``,
    or a number alone (a licence or certificate numbered without a symbol), or with its year only
    (``42/2025``); None when it reads as none of these."""
    if whole.isascii() and whole.isdigit():
        return whole, None, None
    number, slash, year = whole.partition("/")
    if slash and number.isascii() and number.isdigit() and year.isascii() and year.isdigit() and len(year) == 4:
        return number, int(year), None  # as a correction of the parts files a number and year without symbol
    return parse_number_symbol(whole)


def _consistent_number(cleaned: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The number fields a correction leaves unsaid, re-derived from those it says, so the whole
    (``number_symbol``) and its parts (``number``, ``number_year``, ``symbol``) still agree.

    What the person typed wins; the rest is read with extraction's own reading of ``Số: 42/2025/QĐ-UBND``.
    A whole typed gives the parts; parts typed give the whole (with the parts left as they were);
    a symbol typed with its year in front (``2025/QĐ-UBND``) is filed, as extraction files it, as
    the symbol after the year and that year."""
    typed = cleaned.keys() & _NUMBER_FIELDS
    if not typed:
        return {}
    derived: dict[str, Any] = {}
    if "number_symbol" in typed:
        whole = cleaned["number_symbol"]
        # _clean refused a whole that does not read: none here is a whole cleared
        parts = (_read_whole(whole) if whole else None) or (None, None, None)
        return {name: value for name, value in zip(_NUMBER_PARTS, parts, strict=True) if name not in typed}
    symbol = cleaned["symbol"] if "symbol" in typed else current.get("symbol")
    year = cleaned["number_year"] if "number_year" in typed else current.get("number_year")
    if "symbol" in typed and symbol:
        read = parse_number_symbol(f"/{symbol}")
        if read is not None and read[1] is not None:
            derived["symbol"] = symbol = read[2]
            if "number_year" not in typed:
                derived["number_year"] = year = read[1]
    number = cleaned["number"] if "number" in typed else current.get("number")
    if symbol:
        derived["number_symbol"] = format_number_symbol(number, year, symbol)
    elif number or year:
        derived["number_symbol"] = format_number_symbol(number, year, "").rstrip("/")
    else:
        derived["number_symbol"] = None
    return derived


def correct_metadata(rt: Runtime, document_id: str, changes: dict[str, Any], *, actor: str) -> DocumentRecord:
    _check_fields(changes)
    cleaned = {k: _clean(k, v) for k, v in changes.items()}
    with rt.db.session() as session:
        doc = get_document(session, document_id, for_update=True)
        if DocumentState(doc.state) not in EDITABLE_STATES:
            raise Conflict(
                f"metadata can be corrected before signing or once archived, not now (state {doc.state})",
                code="invalid_state",
                details={"state": doc.state},
            )
        archived = doc.state == DocumentState.ARCHIVED.value
        fixed = sorted(k for k in cleaned if k in _FIXED_WHEN_ARCHIVED and cleaned[k] != doc.procedure_code)
        if archived and fixed:
            raise Conflict(
                "an archived record stays filed under its procedure code: supersede it to file it elsewhere",
                code="archived_filing",
                details={"fields": fixed},
            )
        current = dict(doc.metadata_json or {})
        # recorded as the typed ones are, each an event with its old and new value
        cleaned.update(_consistent_number(cleaned, current))
        confidence = dict(current.get("confidence") or {})
        corrected: list[dict[str, Any]] = []
        for key, new in cleaned.items():
            old = current.get(key)
            if old == new:
                continue
            corrected.append({"field": key, "old": old, "new": new})
            record_event(
                session,
                actor=actor,
                action="metadata.corrected",
                document_id=document_id,
                details={**corrected[-1], **({"archived": True} if archived else {})},
            )
            current[key] = new
            confidence[key] = 1.0  # a person confirmed it
        current["confidence"] = confidence
        doc.metadata_json = current
        if cleaned.get("procedure_code"):
            doc.procedure_code = cleaned["procedure_code"]
        if "dossier_code" in cleaned:
            doc.dossier_code = cleaned["dossier_code"]
        doc.search_text = build_search_text(session, doc)
        session.flush()
        if archived and corrected:
            # Stored before the catalogue commits (when this block ends): a failure in between leaves
            # a correction in the archive the catalogue never had, never one the archive would lose.
            # Under the write lock (the row's, SQLite's one writer), after the flush: corrections are
            # stored in the order the catalogue commits them, so the newest in the archive is the
            # filing last committed (or, after a crash, the one about to be) and rebuild may apply it
            # as it is. Stored before the lock, a correction could be stored, then overtaken by
            # another one's commit, and a crash before its retry would leave it the newest, undoing
            # the other. The price, on SQLite: every writer waits on the store meanwhile (a few
            # stats, a put of a small record with its fsyncs, a hold read and maybe sets); intake
            # keeps its large, frequent writes out of that lock, a correction is a rare human action.
            store_correction(rt, doc, corrected, actor=actor)
        return doc


def empty_required_fields(doc: DocumentRecord) -> list[str]:
    """The fields its document type requires that are still empty (one name per requirement)."""
    from sohoa.ingest.review_rules import required_fields

    meta = doc.metadata_json or {}
    filed = {"procedure_code": doc.procedure_code, "dossier_code": doc.dossier_code}
    return [
        alternatives[0]
        for alternatives in required_fields(meta.get("document_type"))
        if not any(meta.get(name) or filed.get(name) for name in alternatives)
    ]


def approve_document(
    rt: Runtime, document_id: str, *, actor: str, confirm_missing: bool | None = None
) -> DocumentRecord:
    """Release a reviewed document to signing; the event names the required fields left empty.

    ``confirm_missing=False`` (the review page's first try) refuses while a required field is empty
    (``required_fields_empty``, naming them), so a person is asked; ``True`` is that person's answer
    (recorded as ``confirmed_empty``). ``None`` approves as asked, as scripts always have (recorded as
    ``empty_required``)."""
    with rt.db.session() as session:
        doc = get_document(session, document_id)
        if doc.procedure_code is None:
            raise Conflict(
                "set the procedure code before approving: the archive files every record under one",
                code="procedure_code_required",
            )
        empty = empty_required_fields(doc) if doc.state == DocumentState.NEEDS_REVIEW.value else []
        if empty and confirm_missing is False:
            raise Conflict(
                f"required fields are empty: {', '.join(empty)}; confirm to approve without them",
                code="required_fields_empty",
                details={"fields": empty},
            )
        moved = transition(
            session,
            document_id,
            expected=(DocumentState.NEEDS_REVIEW,),
            to=DocumentState.APPROVED,
            actor=actor,
            details={
                "action": "approve",
                **({"confirmed_empty" if confirm_missing else "empty_required": empty} if empty else {}),
            },
            review_reasons=None,
        )
        doc = get_document(session, document_id)
        if not moved:
            raise Conflict(
                f"only documents waiting for review can be approved (state {doc.state})",
                code="invalid_state",
                details={"state": doc.state},
            )
    rt.enqueue("sign", document_id)
    return doc
