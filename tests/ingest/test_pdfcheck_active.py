"""Intake finds what a PDF may do when opened: scripts, launch actions, attachments, attached programs."""

from __future__ import annotations

from pathlib import Path

import pytest

from sohoa.ingest.pdfcheck import inspect_pdf
from testkit.material import make_pdf
from tests.support.active_pdfs import add_active_content, signed_by_another_agency


@pytest.mark.parametrize(
    ("kinds", "found"),
    [
        ((), ()),
        (("open_action",), ("javascript",)),
        (("document_aa",), ("javascript",)),
        (("page_aa",), ("javascript",)),
        (("names_js",), ("javascript",)),
        (("link_next",), ("javascript",)),
        (("launch",), ("launch",)),
        (("executable",), ("embedded_executable", "embedded_file")),
        (("attachment_annotation",), ("embedded_file",)),
        (("rich_media",), ("multimedia",)),
        (("rendition_js",), ("javascript",)),
        (("xfa",), ("xfa",)),
        (("open_action", "executable"), ("embedded_executable", "embedded_file", "javascript")),
    ],
)
def test_active_content_is_found_wherever_it_hides(
    tmp_path: Path, kinds: tuple[str, ...], found: tuple[str, ...]
) -> None:
    pdf = add_active_content(make_pdf(tmp_path / "plain.pdf"), tmp_path / "active.pdf", *kinds)
    assert inspect_pdf(pdf).active_content == found


def test_a_signature_over_active_content_does_not_hide_it(tmp_path: Path) -> None:
    result = inspect_pdf(signed_by_another_agency(tmp_path, "open_action", "page_aa", "executable"))
    assert result.signed
    assert result.active_content == ("embedded_executable", "embedded_file", "javascript")
