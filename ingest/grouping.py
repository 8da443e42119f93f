"""Which uploaded files make one document, and in what page order.

Phones and flatbed scanners give one image per page (``..._p1.jpg``, ``..._p2.jpg``). Staff say
which files belong together in one of three ways, each answered here as groups of file positions
(0-based, in upload order), first page first; a file in no group is a document of its own:

- by name (:func:`named_groups`): the API's ``group`` field lists the files of one document;
- by stem (:func:`stem_groups`): ``name_p1``, ``name_p2`` / ``name-1``, ``name_2`` join under
  ``name``, ordered by page number read as a number (``_p10`` after ``_p9``);
- by folder (:func:`folder_groups`): the files of one folder inside a zip, in natural name order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import PurePosixPath

from sohoa.core.errors import InputRejected

__all__ = ["folder_groups", "named_groups", "natural_key", "page_of", "stem_groups"]

# ``scan_p1``, ``scan-p01``, ``scan page 2``, ``scan_trang_3``, ``scan-1``, ``scan_2``, ``scan (3)``
_PAGED = re.compile(r"^(?P<stem>.*?\S)[\s_\-.]*[(\[]?(?:p|pg|page|trang|tr)?[\s_\-.]*(?P<page>\d{1,4})[)\]]?$", re.I)


def _key(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that reads runs of digits as numbers: ``p2`` before ``p10``."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", _key(name)) if part)


def _base(name: str) -> str:
    return PurePosixPath(unicodedata.normalize("NFC", name).replace("\\", "/")).name


def page_of(name: str) -> tuple[str, int] | None:
    """(stem, page number) of a file named like a page of a document, else None.

    A separator or a page word must come before the number: ``scan_p1``, ``scanp1``, ``scan-1``
    are page 1 of ``scan``; ``vn2021`` is a name, not page 2021 of ``vn``."""
    stem = PurePosixPath(_base(name)).stem
    match = _PAGED.match(stem)
    if match is None:
        return None
    between = stem[len(match.group("stem")) : match.start("page")]
    if not between:
        return None
    return match.group("stem"), int(match.group("page"))


def stem_groups(names: Sequence[str]) -> list[list[int]]:
    """Files of one folder named ``stem`` + page number, joined; each group in page order.

    Only groups of two or more files whose numbers start at 1 (or 0) are returned: ``QĐ_15.pdf``
    and ``QĐ_16.pdf`` are two decisions, not pages 15 and 16 of one. Refused (``InputRejected``):
    two files claiming the same page of one stem (``a_p1.jpg`` and ``a_p1.png``,
    ``group_page_repeated``: which one is the page is not ours to guess) and a page missing in
    between (``group_page_missing``: a document without its page 2 must not be signed as whole).
    """
    found: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
    for position, name in enumerate(names):
        paged = page_of(name)
        if paged is None:
            continue
        folder = str(PurePosixPath(unicodedata.normalize("NFC", name).replace("\\", "/")).parent)
        found.setdefault((_key(folder), _key(paged[0])), []).append((paged[1], position, name))
    groups: list[list[int]] = []
    for (_, stem), pages in found.items():
        if len(pages) < 2:
            continue
        pages.sort()
        numbers = [number for number, _, _ in pages]
        repeated = sorted({n for n in numbers if numbers.count(n) > 1})
        if repeated:
            raise InputRejected(
                f"two files are page {repeated[0]} of {stem!r}: say which by uploading one of them",
                code="group_page_repeated",
                details={"stem": stem, "pages": repeated, "files": [n for p, _, n in pages if p in repeated]},
            )
        if numbers[0] > 1:
            continue
        missing = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers))
        if missing:
            raise InputRejected(
                f"page {missing[0]} of {stem!r} is missing",
                code="group_page_missing",
                details={"stem": stem, "missing": missing, "files": [n for _, _, n in pages]},
            )
        groups.append([position for _, position, _ in pages])
    return sorted(groups)


def folder_groups(names: Sequence[str]) -> list[tuple[str, list[int]]]:
    """(folder, positions) of each folder holding two or more files, in natural name order.

    Files at the top of the archive stay documents of their own."""
    folders: dict[str, list[int]] = {}
    for position, name in enumerate(names):
        parent = str(PurePosixPath(name.replace("\\", "/")).parent)
        if parent not in ("", "."):
            folders.setdefault(parent, []).append(position)
    return [
        (folder, sorted(positions, key=lambda p: natural_key(_base(names[p]))))
        for folder, positions in sorted(folders.items(), key=lambda item: natural_key(item[0]))
        if len(positions) >= 2
    ]


def named_groups(filenames: Sequence[str], groups: Sequence[Sequence[str]]) -> list[list[int]]:
    """The positions of the files each group names, in the group's order.

    Names are compared as intake stores them (NFC, the last path component). Refused with
    ``InputRejected`` (422) before anything is stored: a name no file has (``group_unknown_file``),
    a name two uploaded files share (``group_file_ambiguous``), a file named in two groups or twice
    in one (``group_file_repeated``), an empty group (``group_empty``).
    """
    where: dict[str, list[int]] = {}
    for position, name in enumerate(filenames):
        where.setdefault(_base(name), []).append(position)
    used: dict[int, int] = {}
    out: list[list[int]] = []
    unknown: list[str] = []
    for number, group in enumerate(groups):
        if not group:
            raise InputRejected(f"group {number + 1} names no file", code="group_empty", details={"group": number + 1})
        positions: list[int] = []
        for name in group:
            found = where.get(_base(name))
            if not found:
                unknown.append(name)
                continue
            if len(found) > 1:
                raise InputRejected(
                    f"{name!r} names {len(found)} uploaded files: give them different names",
                    code="group_file_ambiguous",
                    details={"name": name, "group": number + 1},
                )
            if found[0] in used:
                raise InputRejected(
                    f"{name!r} is named twice (groups {used[found[0]] + 1} and {number + 1})",
                    code="group_file_repeated",
                    details={"name": name, "group": number + 1},
                )
            used[found[0]] = number
            positions.append(found[0])
        out.append(positions)
    if unknown:
        raise InputRejected(
            f"no uploaded file is named {', '.join(repr(n) for n in unknown)}",
            code="group_unknown_file",
            details={"names": unknown},
        )
    return out
