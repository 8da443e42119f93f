"""The general vocabulary of Vietnamese administrative writing that OCR correction leans on.

Written from general knowledge of administrative documents (the forms of Nghị định 30/2020/NĐ-CP,
the usual wording of a trích yếu, the names of state bodies and positions, and the subject matter
of every sector a provincial government handles) — a clean room: no evaluation document was looked
at while writing it, so it favours no particular file.

The words themselves are data, in ``vocabulary.txt`` beside this module. How
``ingest.metadata.correct`` uses each section:

- ``PHRASES``: a run of two to four OCR words whose letters (marks ignored) spell one of these takes
  its marks; where two phrases share their letters (``phân bổ``/``phân bố``, ``khoa học``/``khóa học``)
  both are listed so the one needing fewer mark edits wins, and a tie leaves the words alone. Their
  words also become preferred spellings when a damaged word is repaired alone. Only phrases of two to
  four words (syllables) are matched, so longer set phrases appear as their common pieces.
- ``COMMON_WORDS``: the commonest single words, preferred when a damaged word is repaired alone.
- ``SURNAMES`` and ``MIDDLE_NAMES``: in a signer's name, a family or middle name that lost its marks
  takes the common spelling.

Tone marks follow the placement most administrative documents use (``hóa``, ``hòa``, ``thủy``,
``ủy``); the correction treats either placement alike.
"""

from __future__ import annotations

from importlib.resources import files

__all__ = ["COMMON_WORDS", "MIDDLE_NAMES", "PHRASES", "SURNAMES"]


def _sections(text: str) -> dict[str, tuple[str, ...]]:
    """``[NAME]`` headers, then one entry a line; ``#`` lines and blank lines carry nothing."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif current is None:
            raise ValueError(f"vocabulary entry before any section: {line!r}")
        else:
            current.append(line)
    return {name: tuple(entries) for name, entries in sections.items()}


_VOCABULARY = _sections(files(__package__).joinpath("vocabulary.txt").read_text(encoding="utf-8"))
PHRASES = _VOCABULARY["PHRASES"]
COMMON_WORDS = _VOCABULARY["COMMON_WORDS"]
SURNAMES = _VOCABULARY["SURNAMES"]
MIDDLE_NAMES = _VOCABULARY["MIDDLE_NAMES"]
