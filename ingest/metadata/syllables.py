"""Which strings are Vietnamese syllables, and the nearest syllables to an OCR-damaged word.

A syllable is an onset, a rhyme (glide, nucleus, coda) and one tone. Only some combinations
exist: ``gh``/``ngh``/``k`` stand before front vowels only, ``c``/``g``/``ng`` never do, a
stop coda (``c``, ``ch``, ``p``, ``t``) takes the sắc or nặng tone only, a word carries at most
one tone mark. Tesseract's ``vie`` model breaks these rules when it misreads stacked marks
(``Phạậm``: two tones; ``NGHIÊPJ``: a letter no syllable has), so a word that is not a syllable
is OCR damage, and the syllables one edit away from it are what was printed.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

__all__ = ["LONGEST", "damaged", "is_syllable", "lost_marks", "mark_distance", "repairs", "strip_tone"]

TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
_GRAVE, _ACUTE, _TILDE, _HOOK, _DOT = TONES
_QUALITY = "\u0302\u0306\u031b"  # circumflex, breve, horn

_ONSETS = (
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
    "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
)  # fmt: skip
_OPEN_RHYMES = (
    "a", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ia", "ua", "ưa", "oa", "oe", "uê", "uy", "uơ",
    "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "iu", "oi", "ôi", "ơi", "ui", "ưi", "ưu", "iêu",
    "yêu", "uôi", "ươi", "ươu", "oai", "oay", "oao", "oeo", "uây", "uya", "uyu",
)  # fmt: skip
_CODAS_BY_NUCLEUS = {
    "a": ("c", "ch", "m", "n", "ng", "nh", "p", "t"),
    "ă": ("c", "m", "n", "ng", "p", "t"),
    "â": ("c", "m", "n", "ng", "p", "t"),
    "e": ("c", "m", "n", "ng", "p", "t"),
    "ê": ("ch", "m", "n", "nh", "p", "t"),
    "i": ("ch", "m", "n", "nh", "p", "t"),
    "o": ("c", "m", "n", "ng", "p", "t", "oc", "ong"),
    "ô": ("c", "m", "n", "ng", "p", "t"),
    "ơ": ("m", "n", "p", "t"),
    "u": ("c", "m", "n", "ng", "p", "t"),
    "ư": ("c", "m", "n", "ng", "t"),
    "iê": ("c", "m", "n", "ng", "p", "t"),
    "yê": ("m", "n", "t"),
    "uô": ("c", "m", "n", "ng", "t"),
    "ươ": ("c", "m", "n", "ng", "p", "t"),
    "oa": ("c", "ch", "m", "n", "ng", "nh", "p", "t"),
    "oă": ("c", "m", "n", "ng", "t"),
    "oe": ("m", "n", "t"),
    "uâ": ("n", "ng", "t"),
    "uê": ("ch", "nh"),
    "uy": ("ch", "n", "nh", "p", "t"),
    "uyê": ("n", "t"),
}
_STOPS = ("c", "ch", "p", "t")
LONGEST = 7  # letters of the longest syllable (nghiêng): anything longer is no syllable to repair


def _rhymes() -> frozenset[str]:
    closed = {nucleus + coda for nucleus, codas in _CODAS_BY_NUCLEUS.items() for coda in codas}
    return frozenset({*_OPEN_RHYMES, *closed})


_RHYMES = _rhymes()
_FRONT = ("i", "e", "ê", "y")


def strip_tone(word: str) -> tuple[str, str]:
    """``word`` (lower case) without its tone marks, and the tone marks it had."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = "".join(ch for ch in decomposed if ch in TONES)
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in TONES))
    return bare, tones


def _onset_fits(onset: str, rhyme: str) -> bool:
    front = rhyme.startswith(_FRONT)
    if onset in ("gh", "ngh", "k"):
        return front
    if onset in ("c", "ng"):
        return not front
    if onset == "g":
        return not front or rhyme.startswith("y")
    if onset == "qu":
        return not rhyme.startswith(("u", "o"))  # ``qu`` already holds the glide
    if onset == "" and rhyme.startswith("y") and len(rhyme) > 1:
        return rhyme.startswith("yê")
    return True


@lru_cache(maxsize=65536)
def is_syllable(word: str) -> bool:
    """``word`` (any case) is a well-formed Vietnamese syllable: ``thực``, ``nghiêng``, ``quyết``."""
    bare, tones = strip_tone(word.lower())
    if len(tones) > 1 or not bare.isalpha():
        return False
    for onset in _ONSETS:
        if not bare.startswith(onset):
            continue
        rhyme = bare[len(onset) :]
        if onset == "gi" and f"i{rhyme}" in _RHYMES and rhyme not in _RHYMES:
            rhyme = f"i{rhyme}"  # ``gìn``, ``giếng``: the i of ``gi`` is also the rhyme's
        if onset == "qu" and rhyme not in _RHYMES and f"u{rhyme}" in _RHYMES:
            rhyme, onset = f"u{rhyme}", "q"  # ``Quỳnh``, ``quýt``: the u of ``qu`` is the rhyme's glide
        if rhyme not in _RHYMES or not _onset_fits(onset, rhyme):
            continue
        if rhyme.endswith(_STOPS) and tones not in ("", _ACUTE, _DOT):
            continue
        return True
    return False


def damaged(word: str) -> bool:
    """``word`` shows marks no Vietnamese syllable can carry: two tones (``Phạậm``, a glyph read
    twice), or a tone other than sắc or nặng on a syllable ending in c, ch, p or t.

    A word outside the rhyme table but without such marks may be a name or a place in another
    language of Vietnam (``Phớc``, ``Niê``, ``Krông Pắc``, ``Đăk``): it is left as printed."""
    bare, tones = strip_tone(word.lower())
    if len(tones) > 1:
        return True
    return bool(tones) and tones not in (_ACUTE, _DOT) and bare.endswith(_STOPS)


def _marks(ch: str) -> tuple[str, str]:
    decomposed = unicodedata.normalize("NFD", ch)
    return decomposed[0], decomposed[1:]


def mark_distance(a: str, b: str) -> int | None:
    """Mark edits between two spellings of the same letters (``thục``/``thực``: 1), None if letters differ."""
    a, b = unicodedata.normalize("NFC", a.lower()), unicodedata.normalize("NFC", b.lower())
    if len(a) != len(b):
        return None
    edits = 0
    for x, y in zip(a, b, strict=True):
        (bx, mx), (by, my) = _marks(x), _marks(y)
        if bx != by and {bx, by} != {"d", "đ"}:
            return None
        edits += (bx != by) + len(set(mx) ^ set(my))
    return edits


def lost_marks(printed: str, word: str) -> bool:
    """``printed`` is ``word`` with some of its marks missing and none added (``Nguyên``/``Nguyễn``)."""
    printed, word = unicodedata.normalize("NFC", printed.lower()), unicodedata.normalize("NFC", word.lower())
    if len(printed) != len(word):
        return False
    for x, y in zip(printed, word, strict=True):
        (bx, mx), (by, my) = _marks(x), _marks(y)
        if not (bx == by or (bx, by) == ("d", "đ")) or not set(mx) <= set(my):
            return False
    return True


_VOWELS = "aăâeêioôơuưy"
_TONED = [unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in ("", *TONES)]


@lru_cache(maxsize=16384)
def repairs(word: str, prefer: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Syllables one edit from ``word`` (lower case), nearest first: one vowel's marks changed
    (OCR misreads marks far more often than letters), a letter dropped, one letter changed. Among
    equally near ones, those in ``prefer`` (common words) come first. Empty when ``word`` is a
    syllable or nothing is near."""
    word = unicodedata.normalize("NFC", word.lower())
    if len(word) > LONGEST or is_syllable(word):
        return ()
    found: dict[str, float] = {}

    def consider(candidate: str, cost: float) -> None:
        if candidate and is_syllable(candidate) and found.get(candidate, 99) > cost:
            found[candidate] = cost

    for i in range(len(word)):
        base = _marks(word[i])[0]
        if base in _VOWELS:
            for vowel in _TONED:
                consider(word[:i] + vowel + word[i + 1 :], 1 if _marks(vowel)[0] == base else 2)
        for letter in "bcdđghklmnpqrstvx":
            consider(word[:i] + letter + word[i + 1 :], 2)
    # right to left: of a glyph read twice (``ẩấ``), the first reading is kept
    for i in reversed(range(len(word))):
        consider(word[:i] + word[i + 1 :], 1.5)
    order = {c: n for n, c in enumerate(found)}
    return tuple(sorted(found, key=lambda c: (found[c], c not in prefer, order[c])))
