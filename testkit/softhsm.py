"""A SoftHSM2 token made by the tests in a temporary directory, holding an RSA and an EC key."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from pyhanko.config.pkcs11 import PKCS11SignatureConfig, TokenCriteria

from testkit.material import TestCa

__all__ = ["MODULE_CANDIDATES", "SoftHsmToken", "find_module", "make_token"]

MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
)
TOKEN_LABEL = "sohoa-test"
USER_PIN = "246810"


@dataclass(frozen=True)
class SoftHsmToken:
    module: Path
    label: str
    pin: str
    key_labels: tuple[str, ...]

    def config(self, key_label: str) -> PKCS11SignatureConfig:
        """pyHanko's configuration of the key ``key_label`` (and its certificate, labelled alike), as
        :func:`sohoa.signing.backends.pkcs11_config` makes it: the PIN is given to ``open_pkcs11`` apart."""
        return PKCS11SignatureConfig(
            module_path=str(self.module),
            token_criteria=TokenCriteria(label=self.label),
            key_label=key_label,
            cert_label=key_label,
            other_certs_to_pull=None,  # the chain the token holds, as the service embeds it
        )


def find_module() -> Path | None:
    for candidate in MODULE_CANDIDATES:
        if Path(candidate).exists():
            return Path(candidate)
    return None


def make_token(directory: Path, module: Path, softhsm_util: str, ca: TestCa) -> SoftHsmToken:
    """Initialise a token with ``softhsm2-util``; generate keys on it and store certificates beside them.

    SOFTHSM2_CONF is set for the rest of the process: the module reads it once, when first loaded."""
    tokens = directory / "tokens"
    tokens.mkdir(parents=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [softhsm_util, "--init-token", "--free", "--label", TOKEN_LABEL, "--pin", USER_PIN, "--so-pin", "13579"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    import pkcs11
    from pkcs11 import Attribute, CertificateType, KeyType, MechanismFlag, ObjectClass
    from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
    from pkcs11.util.rsa import encode_rsa_public_key

    token = pkcs11.lib(str(module)).get_token(token_label=TOKEN_LABEL)
    capabilities = MechanismFlag.SIGN | MechanismFlag.VERIFY
    with token.open(rw=True, user_pin=USER_PIN) as session:
        rsa_pub, _ = session.generate_keypair(
            KeyType.RSA, 2048, label="rsa", id=b"\x01", store=True, capabilities=capabilities
        )
        params = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True
        )
        ec_pub, _ = params.generate_keypair(label="ec", id=b"\x02", store=True, capabilities=capabilities)
        for label, key_id, der in (
            ("rsa", b"\x01", encode_rsa_public_key(rsa_pub)),
            ("ec", b"\x02", encode_ec_public_key(ec_pub)),
        ):
            cert = ca.issue(serialization.load_der_public_key(der), f"sohoa token signer {label}")
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: label,
                    Attribute.ID: key_id,
                    Attribute.SUBJECT: cert.subject.public_bytes(),
                    Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
                }
            )
    return SoftHsmToken(module=module, label=TOKEN_LABEL, pin=USER_PIN, key_labels=("rsa", "ec"))
