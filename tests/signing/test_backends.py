from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from pydantic import SecretStr
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
from pyhanko_certvalidator.registry import SimpleCertificateStore

from sohoa.core.errors import ConfigurationError, SigningError
from sohoa.core.settings import Settings
from sohoa.signing.backends import (
    Pkcs12Backend,
    _ParsedKeySigner,
    key_matches_certificate,
    load_signer,
    open_pkcs12,
    pkcs11_config,
)
from sohoa.signing.certificates import check_certificate
from testkit.material import TestCa, new_key
from tests.signing.conftest import PASSPHRASE


def test_pkcs12_opens_with_chain_and_matching_key(pkcs12_backend) -> None:
    assert pkcs12_backend.kind == "pkcs12"
    assert len(pkcs12_backend.chain) == 1
    assert key_matches_certificate(pkcs12_backend)


def test_key_is_parsed_once_not_per_signature(pkcs12_backend, monkeypatch) -> None:
    import pyhanko.sign.signers.pdf_cms as pdf_cms

    def refuse(*args, **kwargs):
        raise AssertionError("private key parsed again")

    monkeypatch.setattr(pdf_cms.serialization, "load_der_private_key", refuse)
    signature = asyncio.run(pkcs12_backend.signer.async_sign_raw(b"data", "sha256"))
    assert len(signature) > 60


def test_wrong_passphrase_is_signer_unavailable_and_not_echoed(pkcs12_path: Path) -> None:
    with pytest.raises(SigningError) as info:
        open_pkcs12(pkcs12_path, b"not the passphrase")
    assert info.value.code == "signer_unavailable"
    assert "not the passphrase" not in str(info.value)


def test_missing_file_is_signer_unavailable(tmp_path: Path) -> None:
    with pytest.raises(SigningError) as info:
        open_pkcs12(tmp_path / "absent.p12", PASSPHRASE)
    assert info.value.code == "signer_unavailable"


def test_probe_detects_a_key_not_matching_its_certificate(test_ca: TestCa) -> None:
    # cryptography refuses to write such a PKCS#12, but a token can hold such a pair
    key, other = new_key("ec"), new_key("ec")
    cert = translate_pyca_cryptography_cert_to_asn1(test_ca.issue(other, "someone else"))
    backend = Pkcs12Backend(Path("mismatch.p12"), _ParsedKeySigner(cert, key, SimpleCertificateStore()))
    assert not key_matches_certificate(backend)
    warnings = check_certificate(backend, dt.datetime.now(dt.UTC))
    assert [w.code for w in warnings if w.fatal] == ["key_mismatch"]


def test_load_signer_defaults_to_the_development_ca(settings: Settings, monkeypatch) -> None:
    monkeypatch.delenv("SOHOA_PKCS11_MODULE", raising=False)
    with load_signer(settings) as backend:
        assert backend.kind == "dev-ca"
        assert backend.development_root is not None
        assert (settings.dev_ca_dir / "signer.p12").exists()


def test_load_signer_uses_a_configured_pkcs12(tmp_path: Path, pkcs12_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("SOHOA_PKCS11_MODULE", raising=False)
    secret = tmp_path / "pass"
    secret.write_bytes(PASSPHRASE + b"\n")
    settings = Settings(data_dir=tmp_path / "var", pkcs12_path=pkcs12_path, pkcs12_passphrase_file=secret)
    with load_signer(settings) as backend:
        assert backend.kind == "pkcs12"
        assert backend.development_root is None
        _, cert, _ = pkcs12.load_key_and_certificates(pkcs12_path.read_bytes(), PASSPHRASE)
        assert cert is not None
        assert backend.certificate.dump() == cert.public_bytes(Encoding.DER)
    assert not (tmp_path / "var" / "dev-ca").exists()


def test_two_configured_keys_are_ambiguous(tmp_path: Path, pkcs12_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SOHOA_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so")
    monkeypatch.setenv("SOHOA_PKCS11_TOKEN_LABEL", "t")
    monkeypatch.setenv("SOHOA_PKCS11_KEY_LABEL", "k")
    settings = Settings(data_dir=tmp_path / "var", pkcs12_path=pkcs12_path, pkcs12_passphrase=SecretStr("x"))
    with pytest.raises(ConfigurationError) as info:
        load_signer(settings)
    assert info.value.code == "ambiguous_signer"


def test_pkcs11_config_from_settings_keeps_the_pin_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pin = tmp_path / "pin"
    pin.write_text("123456\n")
    for key, value in {
        "SOHOA_PKCS11_MODULE": "/usr/lib/softhsm/libsofthsm2.so",
        "SOHOA_PKCS11_TOKEN_LABEL": "sohoa",
        "SOHOA_PKCS11_KEY_ID": "0a0b",
        "SOHOA_PKCS11_PIN_FILE": str(pin),
    }.items():
        monkeypatch.setenv(key, value)
    config = pkcs11_config(Settings(data_dir=tmp_path))
    assert config is not None
    assert (config.module_path, config.token_criteria, config.key_id) == (
        "/usr/lib/softhsm/libsofthsm2.so",
        TokenCriteria(label="sohoa"),
        b"\x0a\x0b",
    )
    # no label: pyHanko finds the certificate by the key's id
    assert (config.key_label, config.cert_label, config.cert_id) == (None, None, None)
    assert config.other_certs_to_pull is None  # the token's chain is embedded beside the signer
    assert config.user_pin is None and "123456" not in repr(config)


def test_pkcs11_certificate_is_found_by_the_key_label(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        pkcs11_module=Path("/x.so"),
        pkcs11_token_label="t",
        pkcs11_key_label="k",
        pkcs11_key_id="0a",
        pkcs11_cert_label=None,
    )
    config = pkcs11_config(settings)
    assert config is not None
    assert (config.key_label, config.key_id, config.cert_label, config.cert_id) == ("k", b"\x0a", "k", None)
    config = pkcs11_config(settings.model_copy(update={"pkcs11_cert_label": "c"}))
    assert config is not None and config.cert_label == "c"


def test_pkcs11_config_needs_a_module_token_and_key(tmp_path: Path) -> None:
    assert pkcs11_config(Settings(data_dir=tmp_path, pkcs11_module=None)) is None
    with pytest.raises(ConfigurationError) as info:
        pkcs11_config(
            Settings(
                data_dir=tmp_path,
                pkcs11_module=Path("/x.so"),
                pkcs11_token_label=None,
                pkcs11_key_label=None,
                pkcs11_key_id=None,
            )
        )
    assert info.value.code == "pkcs11_incomplete"
    missing_pin = Settings(
        data_dir=tmp_path,
        pkcs11_module=Path("/x.so"),
        pkcs11_token_label="t",
        pkcs11_key_label="k",
        pkcs11_pin_file=tmp_path / "absent",
    )
    with pytest.raises(ConfigurationError) as info:
        load_signer(missing_pin)
    assert info.value.code == "pkcs11_incomplete" and "SOHOA_PKCS11_PIN_FILE" in info.value.message
