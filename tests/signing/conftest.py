"""Fixtures of the signing tests: a development CA, PKCS#12 files (RSA and ECDSA), small PDFs, the local PKI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyhanko_certvalidator import ValidationContext

from sohoa.core.domain import SignRequest
from sohoa.signing.backends import Pkcs12Backend, open_dev_ca, open_pkcs12
from sohoa.signing.pades import sign_pdf
from testkit.localpki import LocalPki, local_pki
from testkit.material import TestCa, make_pdf, new_key, write_pkcs12

PASSPHRASE = b"correct horse battery staple"
PKI_SECRET = b"local pki secret"  # the passphrase of the PKCS#12 files the local PKI writes


@pytest.fixture(scope="session")
def dev_backend(tmp_path_factory: pytest.TempPathFactory) -> Pkcs12Backend:
    return open_dev_ca(tmp_path_factory.mktemp("dev-ca") / "ca", agency_name="Sở Văn hóa, Thể thao và Du lịch")


@pytest.fixture(scope="session")
def test_ca() -> TestCa:
    return TestCa.create()


@pytest.fixture(scope="session", params=["rsa", "ec"])
def pkcs12_path(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, test_ca: TestCa) -> Path:
    key = new_key(request.param)
    cert = test_ca.issue(key, f"sohoa test signer {request.param}")
    return write_pkcs12(tmp_path_factory.mktemp("p12") / f"{request.param}.p12", key, cert, [test_ca.cert], PASSPHRASE)


@pytest.fixture(scope="session")
def pkcs12_backend(pkcs12_path: Path) -> Pkcs12Backend:
    return open_pkcs12(pkcs12_path, PASSPHRASE)


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    return make_pdf(tmp_path / "input.pdf", pages=2)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPki]:
    """The local PKI on loopback: root, intermediate, OCSP, CRLs, TSA (see testkit.localpki)."""
    with local_pki(tmp_path_factory.mktemp("pki")) as running:
        yield running


@pytest.fixture(scope="session")
def signer(pki: LocalPki) -> Pkcs12Backend:
    """The local PKI's valid signer."""
    return open_pkcs12(pki.pkcs12("signer", PKI_SECRET), PKI_SECRET)


def sign_lta(pki: LocalPki, signer: Pkcs12Backend, source: Path, out: Path) -> Path:
    """``source`` signed B-LTA into ``out``: time-stamped and validated against the local PKI."""
    context = ValidationContext(trust_roots=[pki.root], allow_fetching=True)
    sign_pdf(SignRequest(source, out, level="B-LTA"), signer, timestamper=pki.tsa_url, validation_context=context)
    return out
