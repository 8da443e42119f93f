from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from testkit.material import make_pdf


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for key in (
        *("SOHOA_PKCS12_PATH", "SOHOA_PKCS11_MODULE", "SOHOA_TSA_URL", "SOHOA_SIGNING_LEVEL"),
        *("SOHOA_TRUST_ROOTS", "SOHOA_STAMP", "SOHOA_STAMP_FONT", "SOHOA_AGENCY_NAME"),
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    from sohoa.cli.main import app

    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def test_sign_then_verify_in_embedded_mode(cli, tmp_path: Path) -> None:
    source = make_pdf(tmp_path / "in.pdf")
    signed = tmp_path / "signed.pdf"
    done = cli("sign", source, signed, "--json")
    assert done.exit_code == 0, done.output
    info = json.loads(done.output)
    assert info["level"] == "B-B" and info["signer"].startswith("dev-ca:")

    checked = cli("verify", signed, "--json")
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.output)
    assert report["valid"] and report["signatures"][0]["trusted"]
    assert report["signatures"][0]["certificate_sha256"] == info["certificate_sha256"]

    text = cli("verify", signed)
    assert text.exit_code == 0 and "VALID" in text.output


def test_verify_exit_codes(cli, tmp_path: Path) -> None:
    unsigned = make_pdf(tmp_path / "plain.pdf")
    done = cli("verify", unsigned)
    assert done.exit_code == 1 and "no signature" in done.output
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"not a pdf")
    assert cli("verify", garbage).exit_code == 2


def test_signature_from_another_data_dir_is_not_trusted(cli, tmp_path: Path, dev_backend) -> None:
    from sohoa.core.domain import SignRequest
    from sohoa.signing.pades import sign_pdf

    signed = tmp_path / "elsewhere.pdf"
    sign_pdf(SignRequest(make_pdf(tmp_path / "in.pdf"), signed), dev_backend)
    done = cli("verify", signed, "--json")
    assert done.exit_code == 1
    assert json.loads(done.output)["signatures"][0]["intact"] is True


def test_timestamp_level_without_tsa_fails_clearly(cli, tmp_path: Path) -> None:
    done = cli("sign", make_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf", "--level", "B-T")
    assert done.exit_code == 1
    assert "timestamper_required" in done.output
    assert not (tmp_path / "out.pdf").exists()


def test_signing_check_reports_a_healthy_dev_key(cli) -> None:
    done = cli("signing", "check", "--json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert data["warnings"] == [] and data["days_left"] > 30


def test_verify_trusts_the_roots_named_by_sohoa_trust_roots(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pkcs12_backend, test_ca
) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    from sohoa.core.domain import SignRequest
    from sohoa.signing.pades import sign_pdf

    signed = tmp_path / "agency.pdf"
    sign_pdf(SignRequest(make_pdf(tmp_path / "in.pdf"), signed), pkcs12_backend)
    assert cli("verify", signed).exit_code == 1  # nothing trusts the agency's CA yet
    root = tmp_path / "roots.pem"
    root.write_bytes(test_ca.cert.public_bytes(Encoding.PEM))
    monkeypatch.setenv("SOHOA_TRUST_ROOTS", f"{tmp_path / 'absent.pem'}")
    assert cli("verify", signed).exit_code == 6  # a configured root that cannot be read is an error
    monkeypatch.setenv("SOHOA_TRUST_ROOTS", str(root))
    done = cli("verify", signed, "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["signatures"][0]["trusted"] is True


def test_sign_with_the_copy_stamp(cli, tmp_path: Path) -> None:
    signed = tmp_path / "copy.pdf"
    done = cli("sign", make_pdf(tmp_path / "in.pdf"), signed, "--stamp", "copy", "--json")
    assert done.exit_code == 0, done.output
    lines = json.loads(done.output)["stamp"].split("\n")
    assert lines[:2] == ["SAO Y", "Sở Văn hóa, Thể thao và Du lịch"]  # the default agency name
    assert lines[2].endswith("+07:00")
    assert cli("verify", signed).exit_code == 0
    refused = cli("sign", make_pdf(tmp_path / "in2.pdf"), tmp_path / "x.pdf", "--stamp", "loud")
    assert refused.exit_code == 6 and "invalid_stamp" in refused.output


def test_development_ca_refuses_long_term_levels_with_exit_2(cli, tmp_path: Path) -> None:
    for level in ("B-LT", "B-LTA"):
        out = tmp_path / f"{level}.pdf"
        done = cli("sign", make_pdf(tmp_path / "in.pdf"), out, "--level", level, "--tsa-url", "http://127.0.0.1:9/")
        assert done.exit_code == 2, done.output
        assert "level_unavailable" in done.output and "development CA" in done.output
        assert not out.exists()


def test_a_timestamp_authority_is_not_used_at_b_b(cli, tmp_path: Path) -> None:
    """Nothing listens on port 9: signing succeeds only because B-B does not ask the TSA."""
    signed = tmp_path / "bb.pdf"
    done = cli(
        "sign", make_pdf(tmp_path / "in.pdf"), signed, "--level", "B-B", "--tsa-url", "http://127.0.0.1:9/", "--json"
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["level"] == "B-B"
    checked = json.loads(cli("verify", signed, "--json").output)
    [sig] = checked["signatures"]
    assert sig["level"] == "B-B" and sig["timestamp_time"] is None and sig["certification"] == "no_changes"


def test_verify_exit_1_names_bytes_appended_after_signing(cli, tmp_path: Path) -> None:
    signed = tmp_path / "signed.pdf"
    assert cli("sign", make_pdf(tmp_path / "in.pdf"), signed).exit_code == 0
    signed.write_bytes(signed.read_bytes() + b"\nappended after signing\n")
    done = cli("verify", signed, "--json")
    assert done.exit_code == 1, done.output
    report = json.loads(done.output)
    [sig] = report["signatures"]
    assert report["trailing_bytes"] > 0 and sig["intact"] and sig["signature_valid"] and not sig["valid"]
    assert "bytes_after_last_revision" in sig["problem_codes"]
    text = cli("verify", signed)
    assert text.exit_code == 1 and "problem bytes_after_last_revision" in text.output
