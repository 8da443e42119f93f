"""Revocation of the signing certificate, checked online against the local PKI's OCSP responder."""

from __future__ import annotations

import datetime as dt

from sohoa.signing.backends import open_pkcs12
from sohoa.signing.certificates import check_certificate, check_revocation
from testkit.localpki import LocalPki

SECRET = b"certificate test secret"


def test_revoked_signing_certificate_is_fatal(pki: LocalPki) -> None:
    backend = open_pkcs12(pki.pkcs12("revoked", SECRET), SECRET)
    now = dt.datetime.now(dt.UTC)
    warnings = check_certificate(backend, now, trust_roots=[pki.root])
    assert [(w.code, w.fatal) for w in warnings] == [("revoked", True)]
    assert "Trần Thị Bình" in warnings[0].message
    # without trust roots nothing is fetched: the certificate looks fine
    assert check_certificate(backend, now) == []


def test_good_certificate_passes_the_revocation_check(pki: LocalPki) -> None:
    backend = open_pkcs12(pki.pkcs12("signer", SECRET), SECRET)
    now = dt.datetime.now(dt.UTC)
    assert check_revocation(backend, [pki.root], now) is None
    assert check_certificate(backend, now, trust_roots=[]) == []  # its own chain carries the root


def test_unreachable_revocation_source_is_no_verdict(dev_backend) -> None:
    # the development CA publishes no OCSP or CRL: revocation cannot be known, signing goes on
    assert check_revocation(dev_backend, [], dt.datetime.now(dt.UTC)) is None
