"""The ``sohoa`` command as a person runs it, in a subprocess, on the embedded default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pdfplumber
import pytest

from sohoa.core.text import fold
from tests.support.corpus import corpus_file
from tests.support.services import need_program

SOHOA = str(Path(sys.executable).with_name("sohoa"))


def run(args: list[str], env: dict[str, str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([SOHOA, *args], env=env, capture_output=True, text=True, timeout=600)
    if check and done.returncode != 0:
        raise AssertionError(f"sohoa {args} exited {done.returncode}: {done.stderr}")
    return done


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    out.update(SOHOA_DATA_DIR=str(tmp_path / "var"), SOHOA_REVIEW_POLICY="never")
    return out


@pytest.mark.tesseract
@pytest.mark.timeout(600)
def test_ingest_search_get_a_vietnamese_scan_with_real_tesseract(env: dict[str, str], tmp_path: Path) -> None:
    need_program("tesseract")
    scan = corpus_file("vn-docs/vn017_congbot_36.jpg")
    gold = json.loads(corpus_file("vn-docs/vn017_congbot_36.json").read_text())
    done = run(["ingest", str(scan), "--procedure", "1.001029.000.00.00.H19", "--json"], env)
    docs = json.loads(done.stdout)
    assert len(docs) == 1 and docs[0]["state"] == "archived", docs
    doc = docs[0]
    assert doc["archive_key"].startswith("archive/1.001029.000.00.00.H19/")
    assert doc["metadata"]["document_type"] == gold["document_type"]

    found = json.loads(run(["search", "--procedure", "1.001029", "--json"], env).stdout)
    assert [d["id"] for d in found] == [doc["id"]]
    assert json.loads(run(["search", "--procedure", "1.009999", "--json"], env).stdout) == []

    out = tmp_path / "ket-qua.pdf"
    run(["get", doc["id"], "--output", str(out)], env)
    with pdfplumber.open(out) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    gold_words = set(fold(gold["text"]).split())
    got_words = set(fold(text).split())
    assert len(gold_words & got_words) / len(gold_words) > 0.8  # searchable Vietnamese text, on the right page
    assert any(ch in text for ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệ")  # with diacritics, not ASCII-folded

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from sohoa.signing.devca import ensure_dev_ca

    root = ensure_dev_ca(tmp_path / "var" / "dev-ca").root_certificate
    with out.open("rb") as fh:
        reader = PdfFileReader(fh)
        assert len(reader.embedded_signatures) == 1
        status = validate_pdf_signature(reader.embedded_signatures[0], ValidationContext(trust_roots=[root]))
    assert status.intact and status.valid and status.trusted


def test_users_add_prints_the_token_last(env: dict[str, str]) -> None:
    done = run(["users", "add", "chi", "--role", "uploader"], env)
    assert done.stdout.split()[-1].startswith("sohoa_")
    again = run(["users", "add", "chi", "--role", "uploader"], env, check=False)
    assert again.returncode == 4 and "user_exists" in again.stderr and "Traceback" not in again.stderr
    bad = run(["users", "add", "lan", "--role", "boss"], env, check=False)
    assert bad.returncode == 2 and "invalid_role" in bad.stderr


def test_ingest_refuses_bad_input_with_a_reason_and_exit_code(env: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "rong.pdf"
    empty.write_bytes(b"")
    done = run(["ingest", str(empty), "--procedure", "1.001029", "--json"], env, check=False)
    assert done.returncode == 2, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["state"], r["reason_code"]) for r in rows] == [("rejected", "empty_file")]
    missing_code = run(["ingest", str(empty)], env, check=False)
    assert missing_code.returncode == 2 and "procedure_code_required" in missing_code.stderr
    nothing = run(["ingest", str(tmp_path / "khong-co.pdf"), "--procedure", "1.001029"], env, check=False)
    assert nothing.returncode == 3 and "no such file" in nothing.stderr
    assert "Traceback" not in done.stderr + missing_code.stderr + nothing.stderr
