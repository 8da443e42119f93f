"""Reading a cover sheet's printed text in OCR output, when its QR code could not be decoded."""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections.abc import Iterator

from sohoa.core.codes import DOSSIER_CODE_RE, PROCEDURE_CODE_RE
from sohoa.core.text import fold, nfc, normalize_space
from sohoa.ingest.coversheet.sheet import PAYLOAD_PREFIX, CoverSheet, sheet_checksum, valid_dossier

_LABELS = {
    "procedure": "ma thu tuc",
    "dossier": "ma ho so",
    "checksum": "ma kiem tra",
    "title": "ten ho so",
    "applicant": "nguoi nop",
}
_MARKERS = ("phieu bia ho so so hoa", "khong duoc luu vao ho so")
# Characters OCR confuses in codes, both ways.
_LOOKALIKES = {
    "0": "OD", "O": "0D", "D": "0O", "Q": "0O", "1": "IL", "I": "1L", "L": "1I",
    "5": "S", "S": "5", "8": "B", "B": "8", "2": "Z", "Z": "2", "6": "G", "G": "6",
    "4": "A", "A": "4", "7": "T", "T": "7",
}  # fmt: skip
_AS_DIGIT = {"O": "0", "D": "0", "Q": "0", "U": "0", "I": "1", "L": "1", "|": "1", "!": "1", "J": "1",
             "S": "5", "B": "8", "Z": "2", "G": "6", "A": "4", "T": "7"}  # fmt: skip
_AS_LETTER = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G", "4": "A", "7": "T"}
_DASHES = re.compile(r"[‐‑‒–—―_~]")
_MAX_SPELLINGS = 50_000


def _unaccent(text: str) -> str:
    """Like core.text.fold but keeping case, which codes need."""
    decomposed = unicodedata.normalize("NFD", nfc(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("đ", "d").replace("Đ", "D")


def _similar(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < 0.6 or matcher.quick_ratio() < 0.6:
        return 0.0
    return matcher.ratio()


def _contains(line: str, phrase: str, threshold: float = 0.8) -> bool:
    n = len(phrase)
    if len(line) <= n:
        return _similar(line, phrase) >= threshold
    return any(_similar(line[i : i + n], phrase) >= threshold for i in range(len(line) - n + 1))


def _labelled(line: str) -> tuple[str, str] | None:
    """(field, value) of a ``Label: value`` line, the label matched fuzzily against the sheet's."""
    plain = normalize_space(_unaccent(line))
    head, sep, rest = plain.partition(":")
    if sep:
        key = normalize_space(head).lower()
        best = max(_LABELS, key=lambda field: _similar(key, _LABELS[field]))
        if _similar(key, _LABELS[best]) >= 0.75:
            return best, rest.strip()
    words = plain.split(" ")
    for field, label in _LABELS.items():
        n = len(label.split(" "))
        if len(words) > n and _similar(" ".join(words[:n]).lower().rstrip(":;.,"), label) >= 0.85:
            return field, " ".join(words[n:])
    return None


def _clean_code(value: str) -> str:
    value = _DASHES.sub("-", value).replace(",", ".")
    value = re.sub(r"\s+", "", value)
    return value.strip(".:;'\"`|")


def _prefixes(value: str) -> Iterator[str]:
    """The value, then without its trailing words: OCR reads marks and smudges as extra words."""
    words = value.split()
    for n in range(len(words), 0, -1):
        yield " ".join(words[:n])


def _coerce_procedure(value: str) -> str | None:
    return next(filter(None, map(_coerce_procedure_words, _prefixes(value))), None)


def _coerce_procedure_words(value: str) -> str | None:
    segments = _clean_code(value).upper().split(".")
    out = []
    for n, segment in enumerate(segments):
        if n == 5 and segment:
            segment = _AS_LETTER.get(segment[0], segment[0]) + "".join(_AS_DIGIT.get(c, c) for c in segment[1:])
        else:
            segment = "".join(_AS_DIGIT.get(c, c) for c in segment)
        out.append(segment)
    code = ".".join(out)
    return code if PROCEDURE_CODE_RE.match(code) else None


def _coerce_dossier(value: str) -> list[str]:
    """Readings of a dossier code: as read, and with digits forced where the usual format has them."""
    readings: list[str] = []
    for words in _prefixes(value):
        readings.extend(r for r in _coerce_dossier_words(words) if r not in readings)
    return readings


def _coerce_dossier_words(value: str) -> list[str]:
    raw = _clean_code(value)
    readings = [raw] if raw else []
    head, sep, tail = raw.upper().rpartition("-")
    body, sep2, date = head.rpartition("-")
    if sep and sep2:
        digits = "".join(_AS_DIGIT.get(c, c) for c in date), "".join(_AS_DIGIT.get(c, c) for c in tail)
        shaped = f"{body}-{digits[0]}-{digits[1]}"
        if DOSSIER_CODE_RE.match(shaped) and shaped not in readings:
            readings.insert(0, shaped)
    return readings


def _spellings(code: str, max_changes: int = 3) -> Iterator[str]:
    """The code, then look-alike substitutions, fewest changes first."""
    yield code
    spots = [(i, _LOOKALIKES[c]) for i, c in enumerate(code) if c in _LOOKALIKES]
    for k in range(1, max_changes + 1):
        for chosen in itertools.combinations(spots, k):
            for letters in itertools.product(*(alts for _, alts in chosen)):
                chars = list(code)
                for (i, _), letter in zip(chosen, letters, strict=True):
                    chars[i] = letter
                yield "".join(chars)


def _machine_reads(line: str) -> Iterator[tuple[str, str, str]]:
    """(procedure, dossier, checksum) readings of the ``SOHOA1 <procedure> <dossier> <checksum>`` line.

    OCR adds stray tokens (the corner squares read as letters) and splits codes at dots.
    """
    tokens = _unaccent(line).split()
    start = next((n for n, token in enumerate(tokens) if _similar(token.upper(), PAYLOAD_PREFIX) >= 0.65), None)
    if start is None:
        return
    for end in range(len(tokens) - 1, start + 2, -1):
        checksum = "".join(_AS_DIGIT.get(c, c) for c in _clean_code(tokens[end]).upper())
        if re.fullmatch(r"\d{8}", checksum):
            break
    else:
        return
    middle = tokens[start + 1 : end]
    for cut in range(1, len(middle)):
        yield "".join(middle[:cut]), "".join(middle[cut:]), checksum


def read_cover_sheet_text(text: str) -> CoverSheet | None:
    """The cover sheet in the OCR text of a page, or None when the text is not a sheet's.

    Codes read from text always need review; ``checksum_ok`` says whether they agree with the
    printed checksum (after trying look-alike characters such as 0/O and 1/I).
    """
    lines = [line for line in nfc(text).splitlines() if line.strip()]
    folded = [normalize_space(fold(line)) for line in lines]
    procedures: list[str] = []
    dossiers: list[str] = []
    checksums: list[str] = []
    is_sheet = any(_contains(line, marker) for line in folded for marker in _MARKERS)
    for line in lines:
        for procedure, dossier, checksum in _machine_reads(line):
            is_sheet = True
            if (code := _coerce_procedure(procedure)) and code not in procedures:
                procedures.append(code)
            dossiers.extend(d for d in _coerce_dossier(dossier) if d not in dossiers)
            checksums.append(checksum)
        found = _labelled(line)
        if found is None:
            continue
        field, value = found
        if field == "procedure" and (code := _coerce_procedure(value)) and code not in procedures:
            procedures.insert(0, code)
        elif field == "dossier":
            dossiers[:0] = [d for d in _coerce_dossier(value) if d not in dossiers]
        elif field == "checksum":
            is_sheet = True
            checksums.insert(0, "".join(_AS_DIGIT.get(c, c) for c in _clean_code(value).upper()))
    if not is_sheet:
        return None
    wanted = {c for c in checksums if re.fullmatch(r"\d{8}", c)}
    if wanted:
        tried = 0
        for procedure in procedures:
            for dossier in dossiers:
                for spelling in _spellings(dossier):
                    tried += 1
                    if sheet_checksum(procedure, spelling) in wanted and valid_dossier(spelling):
                        return CoverSheet(procedure, spelling, "text", needs_review=True, checksum_ok=True)
                    if tried > _MAX_SPELLINGS:
                        break
    # Unverified: only a dossier code of the usual shape is worth proposing to the reviewer.
    dossier_code = next((d for d in dossiers if DOSSIER_CODE_RE.match(d)), None)
    return CoverSheet(procedures[0] if procedures else None, dossier_code, "text", needs_review=True)
