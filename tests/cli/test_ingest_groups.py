"""``sohoa ingest --one-document`` and ``--group-by stem``, as a person runs them, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.codes import PROCEDURE
from tests.support.pdfs import make_text_image

SOHOA = str(Path(sys.executable).with_name("sohoa"))


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SOHOA, *args], env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    out.update(
        SOHOA_DATA_DIR=str(tmp_path / "var"),
        SOHOA_REVIEW_POLICY="never",
        SOHOA_OCR_ENGINE="fake",
        SOHOA_OCR_PROCESSES="1",
    )
    return out


def _pages(folder: Path, stem: str, numbers: list[int]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [make_text_image(folder / f"{stem}_p{n}.png", [f"{stem} trang {n}"]) for n in numbers]


def test_one_document_from_three_page_images(env: dict[str, str], tmp_path: Path) -> None:
    pages = _pages(tmp_path / "in", "quyet-dinh", [1, 2, 3])
    done = run(["ingest", *map(str, pages), "--one-document", "--procedure", PROCEDURE, "--json"], env)
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    assert row["state"] == "archived" and row["page_count"] == 3
    assert row["parts"] == ["quyet-dinh_p1.png", "quyet-dinh_p2.png", "quyet-dinh_p3.png"]
    assert row["filename"] == "quyet-dinh_p1.png (+2)"
    # Its original is the three files, as sent, in page order.
    out = tmp_path / "ban-goc.zip"
    got = run(["get", row["id"], "--original", "--output", str(out)], env)
    assert got.returncode == 0, got.stderr
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == ["001_quyet-dinh_p1.png", "002_quyet-dinh_p2.png", "003_quyet-dinh_p3.png"]
        assert [archive.read(n) for n in archive.namelist()] == [p.read_bytes() for p in pages]


def test_group_by_stem_joins_a_folder_by_page_number(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    _pages(folder, "to-trinh", [2, 1])
    make_text_image(folder / "giay-phep.png", ["GIẤY PHÉP"])
    done = run(["ingest", str(folder), "--group-by", "stem", "--procedure", PROCEDURE, "--json"], env)
    assert done.returncode == 0, done.stderr
    rows = {row["filename"]: row for row in json.loads(done.stdout)}
    assert set(rows) == {"to-trinh_p1.png (+1)", "giay-phep.png"}
    assert rows["to-trinh_p1.png (+1)"]["parts"] == ["to-trinh_p1.png", "to-trinh_p2.png"]
    assert rows["to-trinh_p1.png (+1)"]["page_count"] == 2 and "parts" not in rows["giay-phep.png"]


def test_a_missing_page_or_two_groupings_are_refused_with_a_reason(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    _pages(folder, "hs", [1, 3])
    done = run(["ingest", str(folder), "--group-by", "stem", "--procedure", PROCEDURE], env)
    assert done.returncode == 2 and "group_page_missing" in done.stderr and "Traceback" not in done.stderr
    both = run(["ingest", str(folder), "--group-by", "stem", "--one-document", "--procedure", PROCEDURE], env)
    assert both.returncode == 2 and "invalid_request" in both.stderr
    unknown = run(["ingest", str(folder), "--group-by", "colour", "--procedure", PROCEDURE], env)
    assert unknown.returncode == 2 and "invalid_request" in unknown.stderr
