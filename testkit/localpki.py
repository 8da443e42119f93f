"""A complete PKI on loopback: root, intermediate, OCSP responder, CRLs and a TSA (certomancer's animator),
served by a werkzeug server on a free 127.0.0.1 port. No network beyond this machine.

Signers (all issued by the intermediate, with CRL and OCSP URLs):
    signer        valid for a year
    revoked       revoked yesterday
    expiring      expires in 10 days
    expired       expired yesterday
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import x509
from cryptography.hazmat.primitives import serialization

from testkit.material import new_key

__all__ = ["LocalPki", "local_pki"]

ARCH = "sohoa-test"
_KEYS = ("root", "interm", "ocsp", "tsa", "signer", "revoked", "expiring", "expired")


@dataclass(frozen=True)
class LocalPki:
    base_url: str
    arch: Any  # certomancer PKIArchitecture
    directory: Path

    @property
    def tsa_url(self) -> str:
        return f"{self.base_url}/{ARCH}/tsa/tsa"

    @property
    def root(self) -> x509.Certificate:
        return self.arch.get_cert("root")

    def pkcs12(self, label: str, passphrase: bytes) -> Path:
        path = self.directory / f"{label}.p12"
        path.write_bytes(self.arch.package_pkcs12(label, certs_to_embed=["interm", "root"], password=passphrase))
        return path


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _validity(start: dt.datetime, end: dt.datetime) -> dict[str, str]:
    return {"valid-from": _iso(start), "valid-to": _iso(end)}


def _key_usage(*usages: str) -> dict[str, Any]:
    return {"id": "key_usage", "critical": True, "smart-value": {"schema": "key-usage", "params": list(usages)}}


def _crl_points(repo: str) -> dict[str, Any]:
    return {
        "id": "crl_distribution_points",
        "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": [repo]}},
    }


def _service_cert(issuer: str, validity: dict[str, str], purpose: str, *more: dict[str, Any]) -> dict[str, Any]:
    """A certificate of one of the PKI's own services (OCSP responder, timestamp authority), for one purpose."""
    return {
        "issuer": issuer,
        "validity": validity,
        "extensions": [
            _key_usage("digital_signature"),
            {"id": "extended_key_usage", "critical": True, "value": [purpose]},
            *more,
        ],
    }


def _config(base_url: str, now: dt.datetime) -> dict[str, Any]:
    day = dt.timedelta(days=1)
    signer_extensions = [
        _key_usage("digital_signature", "non_repudiation"),
        _crl_points("interm"),
        {
            "id": "authority_information_access",
            "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": ["interm"]}},
        },
    ]
    ca_start = now - 400 * day
    return {
        "external-url-prefix": base_url,
        "keysets": {"keys": {"path-prefix": "keys", "keys": {k: {"path": f"{k}.key.pem"} for k in _KEYS}}},
        "pki-architectures": {
            ARCH: {
                "keyset": "keys",
                "entity-defaults": {"country-name": "VN", "organization-name": "sohoa test PKI"},
                "entities": {
                    "root": {"common-name": "Test Root CA"},
                    "interm": {"common-name": "Test Issuing CA"},
                    "ocsp": {"common-name": "Test OCSP responder"},
                    "tsa": {"common-name": "Test TSA"},
                    "signer": {"common-name": "Nguyễn Văn An"},
                    "revoked": {"common-name": "Trần Thị Bình"},
                    "expiring": {"common-name": "Lê Văn Cường"},
                    "expired": {"common-name": "Phạm Thị Dung"},
                },
                "certs": {
                    "root": {
                        "subject": "root",
                        "subject-key": "root",
                        "issuer": "root",
                        "authority-key": "root",
                        "validity": _validity(ca_start, now + 3650 * day),
                        "extensions": [
                            {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
                            _key_usage("digital_signature", "key_cert_sign", "crl_sign"),
                        ],
                    },
                    "interm": {
                        "issuer": "root",
                        "validity": _validity(ca_start, now + 3000 * day),
                        "extensions": [
                            {
                                "id": "basic_constraints",
                                "critical": True,
                                "value": {"ca": True, "path-len-constraint": 0},
                            },
                            _key_usage("digital_signature", "key_cert_sign", "crl_sign"),
                            _crl_points("root"),
                        ],
                    },
                    "ocsp": _service_cert(
                        "interm", _validity(ca_start, now + 3000 * day), "ocsp_signing", {"id": "ocsp_no_check"}
                    ),
                    "tsa": _service_cert(
                        "root", _validity(ca_start, now + 3000 * day), "time_stamping", _crl_points("root")
                    ),
                    "signer": {
                        "issuer": "interm",
                        "validity": _validity(now - 30 * day, now + 365 * day),
                        "extensions": signer_extensions,
                    },
                    "revoked": {
                        "template": "signer",
                        "subject": "revoked",
                        "subject-key": "revoked",
                        "revocation": {"revoked-since": _iso(now - day), "reason": "key_compromise"},
                    },
                    "expiring": {
                        "template": "signer",
                        "subject": "expiring",
                        "subject-key": "expiring",
                        "validity": _validity(now - 300 * day, now + 10 * day),
                    },
                    "expired": {
                        "template": "signer",
                        "subject": "expired",
                        "subject-key": "expired",
                        "validity": _validity(now - 300 * day, now - day),
                    },
                },
                "services": {
                    "ocsp": {"interm": {"for-issuer": "interm", "responder-cert": "ocsp", "signing-key": "ocsp"}},
                    "crl-repo": {
                        "root": {"for-issuer": "root", "signing-key": "root", "simulated-update-schedule": "P90D"},
                        "interm": {"for-issuer": "interm", "signing-key": "interm", "simulated-update-schedule": "P7D"},
                    },
                    "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
                },
            }
        },
    }


class _LateApp:
    """The server must be listening (to know its port) before the PKI, whose URLs name that port, exists."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@contextmanager
def local_pki(directory: Path) -> Iterator[LocalPki]:
    from certomancer.integrations.animator import Animator, AnimatorArchStore
    from certomancer.registry import ArchLabel, CertomancerConfig
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            return None

    keys = directory / "keys"
    keys.mkdir(parents=True)
    for label in _KEYS:
        # RSA for the CAs and the default signer; EC elsewhere keeps key generation quick
        key = new_key("rsa" if label in ("root", "interm", "signer") else "ec")
        (keys / f"{label}.key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    late = _LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True, request_handler=QuietHandler)
    base_url = f"http://127.0.0.1:{server.server_port}"
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    config = CertomancerConfig(_config(base_url, now), key_search_dir=str(directory))
    late.app = Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False)
    thread = threading.Thread(target=server.serve_forever, name="local-pki", daemon=True)
    thread.start()
    try:
        yield LocalPki(base_url=base_url, arch=config.get_pki_arch(ArchLabel(ARCH)), directory=directory)
    finally:
        server.shutdown()
        thread.join(timeout=10)
