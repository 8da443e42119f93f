"""Filing metadata of a Vietnamese administrative document (layout of Nghị định 30/2020/NĐ-CP).

``extract_metadata`` reads page texts (OCR or text layer) and returns ``core.domain.Metadata``
with a confidence per field. Everything is matched on folded text (no diacritics, lower case)
with some slack for OCR damage, then validated (dates exist, codes fit their patterns) and
given back in proper Vietnamese: canonical type names, lexicon spellings for agency words,
normal capitalisation for agency names.

The work is order-agnostic where OCR is: the two header columns and the ``Nơi nhận`` /
signature columns may come in either order or interleaved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sohoa.core.domain import Metadata, PageText
from sohoa.core.text import fold
from sohoa.ingest.doctypes import CONG_VAN, RECEIPT, DocType, find_type_by_code
from sohoa.ingest.metadata.codes import _find_dossier, _find_procedure
from sohoa.ingest.metadata.correct import correct_subject, marks_from_document, read_name
from sohoa.ingest.metadata.issuer import _find_issuer
from sohoa.ingest.metadata.layout import _header_first
from sohoa.ingest.metadata.lines import _collect_lines, _distance, _Line, _starts_body
from sohoa.ingest.metadata.numbers import _find_date, _find_number, _Number, _restore_hyphen
from sohoa.ingest.metadata.signature import _find_signature
from sohoa.ingest.metadata.subject import _subject_after_title, _subject_vv
from sohoa.ingest.metadata.title import _find_title, _Title

__all__ = ["extract_metadata"]


def extract_metadata(pages: Sequence[PageText]) -> Metadata:
    """Read the filing metadata printed on ``pages`` (all pages of one document, any order)."""
    lines, zone_end = _header_first(_collect_lines(pages))
    if not lines:
        return Metadata()
    conf: dict[str, float] = {}
    # OCR damage is put right in OCR text only: a text layer says exactly what was typed
    ocr = any(page.source == "ocr" for page in pages)
    values: dict[str, object] = {}

    title = _find_title(lines)
    first_page = lines[0].page
    page_one = [i for i, line in enumerate(lines) if line.page == first_page]
    kinh_gui = next((i for i in page_one if lines[i].key.startswith("kinh gui")), None)
    body = next((i for i in page_one if i > 0 and _starts_body(lines[i])), None)
    ends = (title.index if title else None, kinh_gui, body, len(page_one), 30)
    header_end = min(x for x in ends if x is not None)
    if zone_end is not None:
        # the word boxes drew the header: number and date are in it, never in the body below
        header_end = zone_end
        number = _find_number(lines, zone_end, zone_end)
        date = _find_date(lines, range(zone_end))
    else:
        # text only: the number may come after a title OCR read first, but a number or a date
        # cited in the body is never the document's own
        stop = max(header_end, min(len(page_one), (title.index + 8) if title else 30))
        number = _find_number(lines, stop, header_end)
        date = _find_date(lines, range(min(len(page_one), header_end + (3 if title else 0))))
    vv_subject, vv_conf, vv_line = _subject_vv(lines, header_end if title else min(len(lines), 45), set())
    skip = {i for i in (number.line if number else None, date.line if date else None) if i is not None}
    issuer, parent, issuer_conf = _find_issuer(lines, header_end, skip)
    if number is not None:
        number = _restore_hyphen(number, (issuer, parent))
    if zone_end is None and any(page.words for page in pages):
        # the words had positions, yet no header was found where Nghị định 30 puts it: what was
        # read for the header fields came from somewhere else, and a human should look
        number = replace(number, conf=0.6 * number.conf) if number else None
        date = replace(date, conf=0.6 * date.conf) if date else None
        issuer_conf *= 0.6

    doc_type, type_conf = _decide_type(lines, title, number, vv_line is not None or kinh_gui is not None)
    if number is not None and title is not None and doc_type is title.doc_type:
        number = _type_code_from_title(number, doc_type)
    if doc_type is not None:
        values["document_type"] = doc_type.name
        conf["document_type"] = type_conf
        code = _printed_code(doc_type, number)
        if code:
            values["type_code"], conf["type_code"] = code, type_conf
    if number is not None:
        fields = {"number": number.number, "number_year": number.year, "symbol": number.symbol}
        _put(values, conf, {**fields, "number_symbol": number.text}, number.conf)
    if date is not None:
        fields = {"issued_place": date.place, "issued_date": date.iso, "issued_date_text": date.text}
        _put(values, conf, fields, date.conf)
    if issuer:
        values["issuer"], conf["issuer"] = issuer, issuer_conf
    if parent:
        values["parent_issuer"], conf["parent_issuer"] = parent, 0.85 * issuer_conf

    subject, subject_conf = (None, 0.0)
    if title is not None and title.doc_type.group in ("administrative", "legal"):
        # licences, certificates and receipts have no trích yếu: what follows the title is the grant
        subject, subject_conf = _subject_after_title(lines, title.end, title.rest)
    if subject is None and vv_subject:
        subject, subject_conf = vv_subject, vv_conf
    if subject and ocr:
        repaired = marks_from_document(correct_subject(subject), [line.read for line in lines])
        # a subject OCR damaged is less sure even when put right: review may want to see it
        subject, subject_conf = repaired, subject_conf * (0.9 if repaired != subject else 1.0)
    if subject:
        values["subject"], conf["subject"] = subject, subject_conf

    body_start = title.end if title else header_end
    signature = _find_signature(lines, body_start)
    if signature.authority:
        values["signer_authority"] = signature.authority
        values["signer_title"] = signature.authority[-1]
        conf["signer_authority"] = conf["signer_title"] = signature.conf_authority
    if signature.name:
        name, doubt = read_name(signature.name, ocr=ocr)
        values["signer_name"] = name
        conf["signer_name"] = signature.conf_name * (0.85 if name != signature.name else 1.0) * doubt
    if signature.recipients:
        values["recipients"], conf["recipients"] = signature.recipients, signature.conf_recipients

    procedure, procedure_conf = _find_procedure(lines)
    if procedure:
        values["procedure_code"], conf["procedure_code"] = procedure, procedure_conf
    dossier, dossier_conf = _find_dossier(lines)
    if dossier:
        values["dossier_code"], conf["dossier_code"] = dossier, dossier_conf
    rounded = {k: round(max(0.0, min(1.0, v)), 3) for k, v in conf.items()}
    return Metadata(**values, confidence=rounded)  # type: ignore[arg-type]


def _put(values: dict[str, object], conf: dict[str, float], fields: dict[str, object], confidence: float) -> None:
    """The fields read from one printed line, each with that line's confidence; a part the line
    leaves out (a number left blank, a day not filled in) stays unset."""
    for name, value in fields.items():
        if value:
            values[name], conf[name] = value, confidence


def _decide_type(
    lines: list[_Line], title: _Title | None, number: _Number | None, letter_like: bool
) -> tuple[DocType | None, float]:
    head = number.symbol.partition("-")[0] if number and "-" in number.symbol else ""
    by_code = find_type_by_code(head) if head else None
    if title is not None:
        line = lines[title.index]
        conf = (0.9 if title.exact else 0.75) * line.conf
        if by_code is title.doc_type:
            conf = max(conf, 0.97 * line.conf)
        elif by_code is not None:
            conf *= 0.8
        return title.doc_type, conf
    if by_code is not None:
        return by_code, 0.75 * (number.conf if number else 1.0)
    if letter_like:
        return CONG_VAN, 0.8 if number else 0.6
    if any(line.key.startswith("ma ho so") for line in lines):
        return RECEIPT, 0.5
    return None, 0.0


def _printed_code(doc_type: DocType, number: _Number | None) -> str | None:
    if not doc_type.code:
        return None
    head = number.symbol.partition("-")[0] if number else ""
    return head if head in doc_type.codes else doc_type.code


def _type_code_from_title(number: _Number, doc_type: DocType) -> _Number:
    """``TIr-BTC`` under a title ``TỜ TRÌNH``: the symbol starts with the type's code (Nghị định 30,
    Phụ lục III), so a head one letter away from it is that code misread; farther, it stays."""
    head, dash, rest = number.symbol.partition("-")
    if not dash or not doc_type.codes or head in doc_type.codes:
        return number
    for code in doc_type.codes:
        if len(code) > 1 and _distance(fold(head), fold(code)) <= 1 and fold(head) != fold(code)[:-1]:
            return replace(number, symbol=f"{code}-{rest}", conf=0.9 * number.conf)
    return number
