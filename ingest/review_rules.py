"""When extracted metadata needs a human: required fields per document type, confidence, upload codes.

``REQUIRED_FIELDS`` is the one table of what each document type must carry. A requirement
is a tuple of alternatives, any one of which satisfies it (a document whose day is left blank
has ``issued_date_text`` but no ``issued_date``). ``review_reasons`` turns the table, the
per-field confidences and the codes given at upload into stable reason codes:

    missing:<field>            a required field was not found
    low_confidence:<field>     found, but below the threshold
    invalid:<field>            present but not of the field's form (codes, ISO date)
    implausible:<field>        of the right form but not what such a field looks like (a number
                               and symbol of another shape or with stray marks at a part's edge,
                               number 0 or a year outside 1945..next year; a name with role words,
                               honorifics, capitals or a word that is no Vietnamese syllable; a date
                               outside 1945..today; a subject that stops mid-phrase or leaves a
                               bracket open)
    procedure_code_mismatch    the printed procedure code is not the one given at upload
    dossier_code_mismatch      the printed dossier code is not the one given at upload
    policy:always              the review policy sends every document to review
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from typing import Literal

from sohoa.core.codes import DOSSIER_CODE_RE, PROCEDURE_CODE_RE, matches_procedure_prefix
from sohoa.core.domain import Metadata
from sohoa.core.text import fold
from sohoa.ingest.doctypes import DOC_TYPES, DocType
from sohoa.ingest.metadata.syllables import damaged, is_syllable

__all__ = [
    "REQUIRED_FIELDS",
    "Requirement",
    "implausible_fields",
    "plausible_name",
    "required_fields",
    "review_reasons",
]

Requirement = tuple[str, ...]  # alternatives: one of them must be present

_ALL: tuple[Requirement, ...] = (
    ("document_type",),
    ("issuer",),
    ("issued_date", "issued_date_text"),
    ("procedure_code",),
    ("signer_name",),
)
# types whose form (Nghị định 30, Phụ lục III) carries no trích yếu
_NO_SUBJECT = {"Giấy giới thiệu", "Giấy nghỉ phép", "Phiếu gửi", "Phiếu chuyển", "Phiếu báo", "Thư công"}


def _requirements(doc_type: DocType) -> tuple[Requirement, ...]:
    extra: list[Requirement] = []
    if doc_type.numbered:
        extra.append(("number_symbol",))
    if doc_type.group in ("administrative", "legal") and doc_type.name not in _NO_SUBJECT:
        extra.append(("subject",))
    if doc_type.group == "receipt":
        extra.append(("dossier_code",))
    return _ALL + tuple(extra)


REQUIRED_FIELDS: Mapping[str, tuple[Requirement, ...]] = {t.name: _requirements(t) for t in DOC_TYPES}


def required_fields(document_type: str | None) -> tuple[Requirement, ...]:
    """Requirements of ``document_type``; an unknown or missing type gets those common to all."""
    return REQUIRED_FIELDS.get(document_type or "", _ALL)


def _present(metadata: Metadata, name: str, upload: Mapping[str, str | None]) -> bool:
    value = getattr(metadata, name)
    return bool(value) or bool(upload.get(name))


def _valid(name: str, value: str) -> bool:
    if name == "procedure_code":
        return bool(PROCEDURE_CODE_RE.match(value))
    if name == "dossier_code":
        return bool(DOSSIER_CODE_RE.match(value))
    if name == "issued_date":
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return False
    return True


# Nghị định 30, Phụ lục I: number (blank when written by hand), an optional year, then the symbol:
# upper-case parts joined by hyphens (``QĐ-UBND``, ``BXD-QLN``, ``KH-SVHTTDL``)
_NUMBER_SYMBOL = re.compile(r"^(?:\d{1,6})?/(?:(?:19|20)\d\d/)?[A-ZĐ][A-Za-zĐđ0-9&.]*(?:-[A-ZĐ0-9][A-Za-zĐđ0-9&.]*)*$")
_ROLE_WORDS = {"giam", "doc", "chu", "tich", "truong", "pho", "thu", "ky", "kt", "tm", "tl", "ubnd", "so", "bo"}
# honorifics read into the name from ``Ông``/``Bà`` lines: no Vietnamese family name
_HONORIFICS = {"ong", "ba"}
# a speck OCR made of a mark at a part's edge: ``QĐ-UBND.``, ``.QĐ``, ``UBND&``
_STRAY_EDGE = re.compile(r"[.&](?=$|[-/])|(?:^|(?<=[-/]))[.&]")
# a subject cannot stop on these: the line that went on with it was lost (compared with their
# marks: ``điện tử`` may end a subject where ``từ`` cannot)
_OPEN_ENDS = ("và", "của", "về", "cho", "tại", "trên", "theo", "với", "số", "đối với", "trong", "đến", "từ",
              "các", "những", "ngày", "nhằm", "để", "là", "thuộc", "giữa", "về việc")  # fmt: skip
_EARLIEST = dt.date(1945, 9, 2)


def plausible_name(name: str) -> bool:
    """``name`` has the shape of a person's name: two to six capitalised words, no role word first."""
    words = name.split()
    if not 2 <= len(words) <= 6 or sum(len(w) > 1 for w in words) < 2:
        return False
    for word in words:
        rest = word[1:]
        if not word.isalpha() or not word[0].isupper() or (rest and not rest.islower()) or damaged(word):
            return False
    if fold(words[0]) in _ROLE_WORDS | _HONORIFICS:
        return False
    # every word a Vietnamese syllable: ``Ạnhq``, ``Xyz`` are letters OCR added or lost (a name in another
    # language of Vietnam, ``Y Bih Niê``, is doubted too: a person confirms it once)
    return all(is_syllable(word) for word in words)


def _code_fits(metadata: Metadata, symbol: str) -> bool:
    """A typed document's symbol starts with its type's code (Nghị định 30, Phụ lục III: ``TTr-``
    for a Tờ trình); a letter's starts with its agency's abbreviation, which no table holds."""
    doc_type = next((t for t in DOC_TYPES if t.name == metadata.document_type), None)
    head, dash, _ = symbol.rpartition("/")[2].partition("-")
    if doc_type is None or not doc_type.codes or not dash:
        return True
    return head in doc_type.codes


def _plausible_date(value: str, today: dt.date) -> bool:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return True  # reported as invalid already
    return _EARLIEST <= day <= today + dt.timedelta(days=1)


def _plausible_subject(subject: str) -> bool:
    key = " " + " ".join(re.sub(r"[^\w ]", " ", unicodedata.normalize("NFC", subject).lower()).split())
    if subject.count("(") > subject.count(")"):  # ``(đợt 2`` : the line that closed it was lost
        return False
    if key.endswith(" tiếp theo"):  # ``những năm tiếp theo``: a whole phrase
        return True
    return not (subject.rstrip().endswith((",", "-", "(")) or key.endswith(tuple(f" {w}" for w in _OPEN_ENDS)))


def _plausible_symbol(metadata: Metadata, symbol: str, today: dt.date) -> bool:
    # ``TTr-UBND``, ``QĐ-TTg``: lower case has its place, but a symbol is mostly capitals
    capitals = sum(ch.isupper() for ch in symbol) >= 2 * sum(ch.islower() for ch in symbol)
    if not (_NUMBER_SYMBOL.match(symbol) and capitals and _code_fits(metadata, symbol)) or _STRAY_EDGE.search(symbol):
        return False
    number, _, rest = symbol.partition("/")
    if number and int(number) == 0:  # a number starts at 1 each year
        return False
    year = rest.split("/")[0] if rest.count("/") == 1 else ""
    return not year or _EARLIEST.year <= int(year) <= today.year + 1


def _plausible_issuer(issuer: str) -> bool:
    # a number line or a date read into the agency's name, or a speck OCR made of a mark
    return not re.search(r"[^\w\s,.()&-]|\d|_", issuer)


def implausible_fields(metadata: Metadata, *, today: dt.date | None = None) -> tuple[str, ...]:
    """The fields whose value has the right form but not the shape such a field has on a real document."""
    today = today or dt.date.today()
    out: list[str] = []
    symbol = unicodedata.normalize("NFC", metadata.number_symbol or "")
    if metadata.number_symbol and not _plausible_symbol(metadata, symbol, today):
        out.append("number_symbol")
    if metadata.issued_date and not _plausible_date(metadata.issued_date, today):
        out.append("issued_date")
    if metadata.issuer and not _plausible_issuer(metadata.issuer):
        out.append("issuer")
    if metadata.signer_name and not plausible_name(metadata.signer_name):
        out.append("signer_name")
    if metadata.subject and not _plausible_subject(metadata.subject):
        out.append("subject")
    return tuple(out)


def review_reasons(
    metadata: Metadata,
    *,
    policy: Literal["auto", "always", "never"],
    threshold: float = 0.6,
    upload_procedure_code: str | None = None,
    upload_dossier_code: str | None = None,
    today: dt.date | None = None,
) -> tuple[str, ...]:
    """Why ``metadata`` needs review (empty when it does not) under ``policy``."""
    if policy == "never":
        return ()
    upload = {"procedure_code": upload_procedure_code, "dossier_code": upload_dossier_code}
    reasons: list[str] = []
    for alternatives in required_fields(metadata.document_type):
        found = [name for name in alternatives if _present(metadata, name, upload)]
        if not found:
            reasons.append(f"missing:{alternatives[0]}")
            continue
        printed = [name for name in found if getattr(metadata, name)]
        unsure = printed and all(metadata.confidence.get(name, 0.0) < threshold for name in printed)
        if unsure and not any(upload.get(name) for name in printed):
            reasons.append(f"low_confidence:{printed[0]}")
    for name in ("procedure_code", "dossier_code", "issued_date"):
        value = getattr(metadata, name)
        if value and not _valid(name, value):
            reasons.append(f"invalid:{name}")
    reasons += [f"implausible:{name}" for name in implausible_fields(metadata, today=today)]
    printed_procedure = metadata.procedure_code
    if printed_procedure and upload_procedure_code:
        given = upload_procedure_code.strip()
        if not (
            matches_procedure_prefix(printed_procedure, given) or matches_procedure_prefix(given, printed_procedure)
        ):
            reasons.append("procedure_code_mismatch")
    printed_dossier = (metadata.dossier_code or "").strip().upper()
    if printed_dossier and upload_dossier_code and printed_dossier != upload_dossier_code.strip().upper():
        reasons.append("dossier_code_mismatch")
    if policy == "always":
        reasons.append("policy:always")
    return tuple(dict.fromkeys(reasons))
