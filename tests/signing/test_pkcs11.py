from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from pyhanko.config.pkcs11 import TokenCriteria

from sohoa.core.domain import SignRequest
from sohoa.core.errors import SigningError
from sohoa.core.settings import Settings
from sohoa.signing.backends import load_signer, open_pkcs11, pkcs11_config
from sohoa.signing.certificates import check_certificate
from sohoa.signing.pades import sign_pdf
from sohoa.signing.verify import verify_pdf
from testkit.softhsm import SoftHsmToken, find_module, make_token
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
    with open_pkcs11(token.config(key_label), pin=token.pin) as backend:
        assert backend.certificate.public_key.algorithm == key_label
        for i in range(2):  # one session, several documents
            out = tmp_path / f"signed{i}.pdf"
            sign_pdf(SignRequest(pdf, out), backend)
            [sig] = verify_pdf(out, trust_roots=[test_ca.cert]).signatures
            assert sig.intact and sig.trusted and sig.valid, sig
            assert f"sohoa token signer {key_label}" in (sig.signer_subject or "")
        assert not [w for w in check_certificate(backend, dt.datetime.now(dt.UTC)) if w.fatal]


@pytest.mark.parametrize("key_label", ["rsa", "ec"])
def test_token_signature_embeds_each_certificate_once(token: SoftHsmToken, key_label: str, tmp_path: Path, pdf) -> None:
    """pyHanko's token signer registered its own certificate among those it embeds: endesive refused
    the CMS with the signer's certificate twice."""
    from asn1crypto import cms

    out = tmp_path / "signed.pdf"
    with open_pkcs11(token.config(key_label), pin=token.pin) as backend:
        sign_pdf(SignRequest(pdf, out), backend)
        own = backend.certificate.dump()
    data = out.read_bytes()
    start = data.index(b"/Contents <") + len(b"/Contents <")
    der = bytes.fromhex(data[start : data.index(b">", start)].decode())
    certs = [c.chosen.dump() for c in cms.ContentInfo.load(der)["content"]["certificates"]]
    assert certs.count(own) == 1 and len(certs) == len(set(certs)), len(certs)


def test_poppler_accepts_a_token_ecdsa_signature(token: SoftHsmToken, tmp_path: Path, pdf) -> None:
    pdfsig = need_program("pdfsig")
    out = tmp_path / "signed.pdf"
    with open_pkcs11(token.config("ec"), pin=token.pin) as backend:
        sign_pdf(SignRequest(pdf, out), backend)
    result = subprocess.run([pdfsig, str(out)], capture_output=True, text=True, timeout=60, check=False)
    assert "Signature is Valid" in result.stdout, result.stdout + result.stderr


def test_wrong_pin_and_unknown_token_are_signer_unavailable(token: SoftHsmToken) -> None:
    for config, pin in (
        (token.config("rsa"), "000000"),
        (replace(token.config("rsa"), token_criteria=TokenCriteria(label="no-such-token")), token.pin),
        (token.config("no-such-key"), token.pin),
    ):
        with pytest.raises(SigningError) as info:
            open_pkcs11(config, pin=pin)
        assert info.value.code == "signer_unavailable"
        assert token.pin not in str(info.value)


def test_raw_mechanism_is_for_ec_keys_unless_chosen(token: SoftHsmToken) -> None:
    """SoftHSM2 has no CKM_ECDSA_SHA256: unchosen, EC keys sign with the raw mechanism, others do not.
    Each backend opened has signed and verified a probe with its mechanism."""
    rsa_raw = replace(token.config("rsa"), raw_mechanism=True)
    for config, raw_mechanism, used in (
        (token.config("rsa"), None, False),
        (token.config("ec"), None, True),
        (token.config("rsa"), True, True),
        (rsa_raw, None, True),
        (rsa_raw, False, False),
    ):
        with open_pkcs11(config, pin=token.pin, raw_mechanism=raw_mechanism) as backend:
            assert backend.signer.use_raw_mechanism is used, (config.key_label, raw_mechanism)


def test_load_signer_reads_the_pkcs11_environment(token: SoftHsmToken, tmp_path: Path, monkeypatch) -> None:
    pin_file = tmp_path / "pin"
    pin_file.write_text(token.pin)
    monkeypatch.setenv("SOHOA_PKCS11_MODULE", str(token.module))
    monkeypatch.setenv("SOHOA_PKCS11_TOKEN_LABEL", token.label)
    monkeypatch.setenv("SOHOA_PKCS11_KEY_LABEL", "rsa")
    monkeypatch.setenv("SOHOA_PKCS11_PIN_FILE", str(pin_file))
    monkeypatch.delenv("SOHOA_PKCS12_PATH", raising=False)
    settings = Settings(data_dir=tmp_path / "var")
    assert pkcs11_config(settings) == token.config("rsa")  # the tests' keys are configured as the service's
    with load_signer(settings) as backend:
        assert backend.kind == "pkcs11"
        assert backend.describe() == f"pkcs11:{token.module}#{token.label}/rsa"
        assert token.pin not in backend.describe() and token.pin not in repr(backend.config)


def test_closed_session_is_signer_unavailable(token: SoftHsmToken, pdf, tmp_path: Path) -> None:
    backend = open_pkcs11(token.config("rsa"), pin=token.pin)
    backend._session.close()  # as if the token went away under a long-running worker
    with pytest.raises(SigningError) as info:
        sign_pdf(SignRequest(pdf, tmp_path / "out.pdf"), backend)
    assert info.value.code == "signer_unavailable"
    assert not (tmp_path / "out.pdf").exists()


@pytest.fixture(scope="session")
def pki_token_key(token: SoftHsmToken, pki) -> str:
    """The local PKI's signer key and certificate, imported into the SoftHSM2 token."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    label = "pki-signer"
    subprocess.run(
        [
            need_program("softhsm2-util"),
            "--import",
            str(pki.directory / "keys" / "signer.key.pem"),
            "--token",
            token.label,
            "--label",
            label,
            "--id",
            "03",
            "--pin",
            token.pin,
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    with pkcs11.lib(str(token.module)).get_token(token_label=token.label).open(rw=True, user_pin=token.pin) as s:
        # The signer's certificate beside its key, and the intermediate CA as a token holds its chain.
        for cert_label, key_id, cert in (
            (label, b"\x03", pki.arch.get_cert("signer")),
            ("pki-interm", b"\x04", pki.arch.get_cert("interm")),
        ):
            s.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: cert_label,
                    Attribute.ID: key_id,
                    Attribute.SUBJECT: cert.subject.dump(),
                    Attribute.VALUE: cert.dump(),
                }
            )
    return label


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT", "B-LTA"])
def test_every_level_validates_with_a_token_key(
    token: SoftHsmToken, pki_token_key: str, pki, pdf, tmp_path: Path, level
) -> None:
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(trust_roots=[pki.root], allow_fetching=True, revocation_mode="hard-fail")
    out = tmp_path / f"token-{level}.pdf"
    with open_pkcs11(token.config(pki_token_key), pin=token.pin) as backend:
        info = sign_pdf(
            SignRequest(pdf, out, level=level),
            backend,
            timestamper=pki.tsa_url if level != "B-B" else None,
            validation_context=context if level in ("B-LT", "B-LTA") else None,
        )
    assert info.level == level
    [sig] = verify_pdf(out, trust_roots=[pki.root]).signatures  # offline: only what the file carries
    assert sig.level == level and sig.intact and sig.trusted and sig.valid, sig
    if level in ("B-LT", "B-LTA"):
        assert sig.revocation == "good"
