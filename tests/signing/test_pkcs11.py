from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from core.domain import SignRequest
from core.errors import SigningError
from core.settings import Settings
from signing.backends import Pkcs11Config, load_signer, open_pkcs11
from signing.certificates import check_certificate
from signing.pades import sign_pdf
from signing.verify import verify_pdf
from tests.signing.softhsm import SoftHsmToken, find_module, make_token
from tests.support.services import need, need_program


@pytest.fixture(scope="session")
def token(tmp_path_factory: pytest.TempPathFactory, test_ca) -> SoftHsmToken:
    util = need_program("softhsm2-util")
    module = find_module()
    need(module is not None, "the SoftHSM2 PKCS#11 module (Debian package softhsm2)")
    assert module is not None
    return make_token(tmp_path_factory.mktemp("softhsm"), module, util, test_ca)


@pytest.mark.parametrize("key_label", ["rsa", "ec"])
def test_token_key_signs_verifiable_pdfs(token: SoftHsmToken, key_label: str, test_ca, tmp_path: Path, pdf) -> None:
    config = Pkcs11Config(module=token.module, token_label=token.label, key_label=key_label, pin=token.pin)
    with open_pkcs11(config) as backend:
        assert backend.certificate.public_key.algorithm == key_label
        for i in range(2):  # one session, several documents
            out = tmp_path / f"signed{i}.pdf"
            sign_pdf(SignRequest(pdf, out), backend)
            [sig] = verify_pdf(out, trust_roots=[test_ca.cert]).signatures
            assert sig.intact and sig.trusted and sig.valid, sig
            assert f"sohoa token signer {key_label}" in (sig.signer_subject or "")
        assert not [w for w in check_certificate(backend, dt.datetime.now(dt.UTC)) if w.fatal]


def test_poppler_accepts_a_token_ecdsa_signature(token: SoftHsmToken, tmp_path: Path, pdf) -> None:
    pdfsig = need_program("pdfsig")
    config = Pkcs11Config(module=token.module, token_label=token.label, key_label="ec", pin=token.pin)
    out = tmp_path / "signed.pdf"
    with open_pkcs11(config) as backend:
        sign_pdf(SignRequest(pdf, out), backend)
    result = subprocess.run([pdfsig, str(out)], capture_output=True, text=True, timeout=60, check=False)
    assert "Signature is Valid" in result.stdout, result.stdout + result.stderr


def test_wrong_pin_and_unknown_token_are_signer_unavailable(token: SoftHsmToken) -> None:
    for config in (
        Pkcs11Config(module=token.module, token_label=token.label, key_label="rsa", pin="000000"),
        Pkcs11Config(module=token.module, token_label="no-such-token", key_label="rsa", pin=token.pin),
        Pkcs11Config(module=token.module, token_label=token.label, key_label="no-such-key", pin=token.pin),
    ):
        with pytest.raises(SigningError) as info:
            open_pkcs11(config)
        assert info.value.code == "signer_unavailable"
        assert token.pin not in str(info.value)


def test_load_signer_reads_the_pkcs11_environment(token: SoftHsmToken, tmp_path: Path, monkeypatch) -> None:
    pin_file = tmp_path / "pin"
    pin_file.write_text(token.pin)
    monkeypatch.setenv("SOHOA_PKCS11_MODULE", str(token.module))
    monkeypatch.setenv("SOHOA_PKCS11_TOKEN_LABEL", token.label)
    monkeypatch.setenv("SOHOA_PKCS11_KEY_LABEL", "rsa")
    monkeypatch.setenv("SOHOA_PKCS11_PIN_FILE", str(pin_file))
    monkeypatch.delenv("SOHOA_PKCS12_PATH", raising=False)
    with load_signer(Settings(data_dir=tmp_path / "var")) as backend:
        assert backend.kind == "pkcs11"
        assert "rsa" in backend.describe() and token.pin not in backend.describe()


def test_closed_session_is_signer_unavailable(token: SoftHsmToken, pdf, tmp_path: Path) -> None:
    config = Pkcs11Config(module=token.module, token_label=token.label, key_label="rsa", pin=token.pin)
    backend = open_pkcs11(config)
    backend._session.close()  # as if the token went away under a long-running worker
    with pytest.raises(SigningError) as info:
        sign_pdf(SignRequest(pdf, tmp_path / "out.pdf"), backend)
    assert info.value.code == "signer_unavailable"
    assert not (tmp_path / "out.pdf").exists()
