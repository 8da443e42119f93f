"""Every malformed and special PDF of the shared corpus gets a deliberate outcome; scans are accepted.

The table below is the policy, decided file by file from MANIFEST.tsv's "exercises" column:
repairable files are accepted with a repair note, hopeless ones refused with a reason code.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from sohoa.core.domain import FileKind
from sohoa.core.errors import InputRejected
from sohoa.ingest.sniff import sniff_file
from tests.support.corpus import CORPUS
from tests.support.services import need, need_program


@dataclass(frozen=True)
class Accepted:
    kind: FileKind
    pages: int
    text: bool = False
    signed: bool = False
    notes: tuple[str, ...] = ()  # prefixes that must each start one of the notes


@dataclass(frozen=True)
class Rejected:
    code: str


PDF = FileKind.PDF
REPAIRED = "repaired: xref table rebuilt"
CERTIFIED = "certified_no_changes"
JAVASCRIPT = "javascript present"

OUTCOMES: dict[str, Accepted | Rejected] = {
    # --- pdfs-malformed ---
    "append-xref-loop.pdf": Accepted(PDF, 30, text=True, notes=(REPAIRED,)),  # /Prev loop: xref rebuilt
    "bad-xref.pdf": Accepted(PDF, 1, text=True, notes=(REPAIRED,)),
    "circular-page-tree.pdf": Rejected("page_tree_loop"),
    "cyclic-toc.pdf": Accepted(PDF, 1, notes=(REPAIRED,)),  # outlines are never walked
    "damaged-stream.pdf": Accepted(PDF, 1, text=True),  # the corrupt stream is not page content
    "form-tree-circular-ref-input.pdf": Accepted(PDF, 1, text=True, notes=("empty signature field",)),
    "invalid.pdf": Rejected("damaged_pdf"),  # a header and %%EOF, nothing between
    "issue-335b.pdf": Rejected("unsupported_type"),  # no %PDF- header anywhere
    "leading-junk.pdf": Accepted(PDF, 30, text=True, notes=("leading junk: 14 bytes", "encrypted:")),
    "malformed-encrypt-dict1.pdf": Rejected("password_protected"),  # qpdf reads it; it needs a password
    "minimal-startxref-hopeless.pdf": Accepted(PDF, 1, text=True, notes=(REPAIRED,)),  # objects are intact
    "pages-loop.pdf": Rejected("page_tree_loop"),
    "png-renamed-not-a-pdf.pdf": Accepted(FileKind.PNG, 1),
    "truncated-linn-50pct.pdf": Rejected("truncated_file"),  # the page image is cut: repair would lose it
    "xref-errors.pdf": Accepted(PDF, 1, text=True, notes=("repaired",)),
    "zero-byte.pdf": Rejected("empty_file"),
    "zero-offset.pdf": Accepted(PDF, 1, text=True),
    # --- pdfs-special ---
    "CompactedPDFSyntaxTest.pdf": Accepted(PDF, 1, text=True, notes=(JAVASCRIPT,)),
    "certified-with-indirect-refs-in-dir.pdf": Accepted(PDF, 1, text=True, signed=True, notes=(CERTIFIED,)),
    "digitally-signed.pdf": Accepted(PDF, 1, text=True, signed=True),
    "enc-XI-attachments-base.pdf": Accepted(PDF, 30, text=True, notes=(JAVASCRIPT, "embedded files present")),
    "enc-aes256-userpw-attachment-embedded-files.pdf": Rejected("password_protected"),
    "encrypted-with-images.pdf": Accepted(PDF, 2, notes=("encrypted:",)),  # empty user password
    "enormous.pdf": Accepted(PDF, 1),  # 30×30 inches, one 81 Mpx image: within the default limits
    "graph-encrypted.pdf": Rejected("password_protected"),
    "huge-10000-pages-tiny.pdf": Rejected("too_many_pages"),
    "livecycle.pdf": Rejected("dynamic_xfa_form"),
    "minimal-aes256.pdf": Rejected("password_protected"),
    "minimal-pubkey-aes256.pdf": Rejected("password_protected"),  # needs the recipient's certificate
    "minimal-two-fields-signed-twice.pdf": Accepted(PDF, 1, text=True, signed=True),
    "minimal-with-field.pdf": Accepted(PDF, 1, text=True, notes=("empty signature field",)),
    "sample-form.pdf": Accepted(PDF, 1, text=True),
}

_FOLDERS = ("pdfs-malformed", "pdfs-special")
_SCAN_KINDS = {".pdf": FileKind.PDF, ".png": FileKind.PNG, ".jpg": FileKind.JPEG, ".tif": FileKind.TIFF}


def _corpus_files(folder: str) -> list[Path]:
    directory = CORPUS / folder
    need(directory.is_dir(), f"test corpus folder {directory}")
    return sorted(p for p in directory.iterdir() if p.is_file() and p.name != "MANIFEST.tsv")


def _table_ids() -> list[str]:
    return sorted(OUTCOMES)


def _locate(name: str) -> Path:
    for folder in _FOLDERS:
        candidate = CORPUS / folder / name
        if candidate.exists():
            return candidate
    need(False, f"corpus file {name}")
    raise AssertionError("unreachable")


def test_table_covers_every_corpus_file() -> None:
    present = {p.name for folder in _FOLDERS for p in _corpus_files(folder)}
    assert present == set(OUTCOMES), "decide an outcome for every corpus file (and drop removed ones)"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", _table_ids())
def test_corpus_pdf_outcome(name: str) -> None:
    expected = OUTCOMES[name]
    path = _locate(name)
    if isinstance(expected, Rejected):
        with pytest.raises(InputRejected) as caught:
            sniff_file(path)
        assert caught.value.code == expected.code, caught.value.message
        return
    result = sniff_file(path)  # anything but InputRejected escaping fails the test
    assert (result.kind, result.page_count) == (expected.kind, expected.pages)
    assert (result.has_text_layer, result.signed) == (expected.text, expected.signed)
    for prefix in expected.notes:
        assert any(note.startswith(prefix) for note in result.notes), (prefix, result.notes)
    if not any(prefix.startswith("repaired") for prefix in expected.notes):
        assert not any(note.startswith("repaired") for note in result.notes), result.notes


@pytest.mark.timeout(30)
def test_enormous_page_is_refused_under_a_tighter_pixel_limit() -> None:
    with pytest.raises(InputRejected) as caught:
        sniff_file(_locate("enormous.pdf"), max_pixels=50_000_000)
    assert caught.value.code == "image_too_large"


@pytest.mark.timeout(30)
def test_ten_thousand_pages_are_counted_when_allowed() -> None:
    result = sniff_file(_locate("huge-10000-pages-tiny.pdf"), max_pages=10_000)
    assert result.page_count == 10_000


def _independent_page_count(path: Path, kind: FileKind) -> int:
    if kind is FileKind.PDF:
        info = subprocess.run([need_program("pdfinfo"), str(path)], capture_output=True, text=True, check=True)
        match = re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE)
        assert match, info.stdout
        return int(match.group(1))
    with Image.open(path) as image:
        return getattr(image, "n_frames", 1)


@pytest.mark.timeout(30)
def test_every_scan_is_accepted_with_its_kind_and_page_count() -> None:
    scans = _corpus_files("scans")
    inputs = [p for p in scans if p.suffix.lower() in _SCAN_KINDS]
    assert len(inputs) >= 15
    for path in inputs:
        kind = _SCAN_KINDS[path.suffix.lower()]
        result = sniff_file(path)
        assert (result.kind, result.page_count) == (kind, _independent_page_count(path, kind)), path.name
    for text in (p for p in scans if p.suffix == ".txt"):  # gold texts are not inputs
        with pytest.raises(InputRejected) as caught:
            sniff_file(text)
        assert caught.value.code == "unsupported_type", text.name
