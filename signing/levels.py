"""The PAdES level a signature holds, read from what the file carries (ETSI EN 319 142-1, 5.4):

- B-B: a CMS signature.
- B-T: plus a signature timestamp whose imprint matches the signature value.
- B-LT: plus revocation data (OCSP response or CRL) for the signer's certificate in the document
  security store, or in the legacy ``adbe-revocationInfoArchival`` signed attribute.
- B-LTA: plus an intact document timestamp in a later revision.

Structural on purpose, as in DSS: whether the data is *trusted* is the report's ``trusted`` and
``revocation``, not the level. A third-party B-LTA file stays B-LTA when sohoa does not trust its CA.
"""

from __future__ import annotations

import hashlib
from typing import Any

from asn1crypto import cms, ocsp
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.validation import DocumentSecurityStore

from sohoa.core.domain import SignatureLevel

__all__ = ["holds_revocation_data", "structural_level"]


def structural_level(timestamped: bool, revocation_data: bool, later_document_timestamp: bool) -> SignatureLevel:
    if not timestamped:
        return "B-B"
    if not revocation_data:
        return "B-T"
    return "B-LTA" if later_document_timestamp else "B-LT"


def holds_revocation_data(
    cert: asn1_x509.Certificate | None, signer_info: cms.SignerInfo, dss: DocumentSecurityStore | None
) -> bool:
    """Whether the file carries an OCSP response or CRL about ``cert``."""
    if cert is None:
        return False
    ocsps: list[ocsp.OCSPResponse] = _load(ocsp.OCSPResponse, dss.ocsps) if dss is not None else []
    crls: list[asn1_crl.CertificateList] = _load(asn1_crl.CertificateList, dss.crls) if dss is not None else []
    archival = _adobe_archival(signer_info)
    if archival is not None:
        ocsps.extend(archival["ocsp"] or [])
        crls.extend(archival["crl"] or [])
    return any(_ocsp_about(resp, cert) for resp in ocsps) or any(_crl_about(crl, cert) for crl in crls)


def _load(spec: Any, refs: list[Any]) -> list[Any]:
    """The DSS's streams (pyHanko keeps references) as ASN.1 values; unreadable ones are left out."""
    loaded = []
    for ref in refs:
        try:
            loaded.append(spec.load(ref.get_object().data))
        except Exception:
            continue  # a damaged stream is no validation data
    return loaded


def _adobe_archival(signer_info: cms.SignerInfo) -> cms.RevocationInfoArchival | None:
    attrs = signer_info["signed_attrs"]
    if not attrs:
        return None
    for attr in attrs:
        if attr["type"].native == "adobe_revocation_info_archival":
            values = attr["values"]
            return values[0] if len(values) else None
    return None


def _ocsp_about(resp: ocsp.OCSPResponse, cert: asn1_x509.Certificate) -> bool:
    try:
        basic = resp["response_bytes"]["response"].parsed
        for single in basic["tbs_response_data"]["responses"]:
            cert_id = single["cert_id"]
            if cert_id["serial_number"].native != cert.serial_number:
                continue
            algo = cert_id["hash_algorithm"]["algorithm"].native
            if hashlib.new(algo, cert.issuer.dump()).digest() == cert_id["issuer_name_hash"].native:
                return True
    except (KeyError, ValueError, TypeError, AttributeError):
        return False  # an unreadable response is about nothing
    return False


def _crl_about(crl: asn1_crl.CertificateList, cert: asn1_x509.Certificate) -> bool:
    try:
        return bool(crl["tbs_cert_list"]["issuer"] == cert.issuer)
    except (KeyError, ValueError, TypeError, AttributeError):
        return False
