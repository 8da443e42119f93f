"""Keys, certificates and PDFs made by the signing tests (no files from outside the test)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from sohoa.signing.devca import SIGNING_KEY_USAGE

__all__ = ["TestCa", "make_form_pdf", "make_pdf", "new_key", "write_pkcs12"]

PDFA_XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
<pdfaid:part>2</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""


def new_key(kind: str) -> Any:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(kind)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class TestCa:
    """A throwaway root CA issuing signing certificates with any validity window."""

    key: Any
    cert: x509.Certificate

    __test__ = False  # not a pytest class

    @classmethod
    def create(cls, name: str = "sohoa test root") -> TestCa:
        key = new_key("ec")
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=800))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    def issue(
        self,
        subject_key: Any,  # a private or public key
        name: str,
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> x509.Certificate:
        now = dt.datetime.now(dt.UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(self.cert.subject)
            .public_key(subject_key.public_key() if hasattr(subject_key, "public_key") else subject_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - dt.timedelta(days=1))
            .not_valid_after(not_after or now + dt.timedelta(days=365))
            .add_extension(SIGNING_KEY_USAGE, critical=True)
            .sign(self.key, hashes.SHA256())
        )

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)


def write_pkcs12(
    path: Path, key: Any, cert: x509.Certificate, chain: list[x509.Certificate], passphrase: bytes
) -> Path:
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signer", key, cert, chain, serialization.BestAvailableEncryption(passphrase)
        )
    )
    return path


def make_pdf(path: Path, *, pages: int = 1, text: str = "Giay phep so 12") -> Path:
    """A small PDF with a text content stream per page, marked as PDF/A-2b in its XMP."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    for i in range(pages):
        content = f"BT /F1 14 Tf 72 720 Td ({text} - page {i + 1}) Tj ET".encode()
        page = pikepdf.Page(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Page,
                MediaBox=[0, 0, 595, 842],
                Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
                Contents=pdf.make_stream(content),
            )
        )
        pdf.pages.append(page)
    pdf.Root.Metadata = pdf.make_stream(PDFA_XMP.encode(), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
    pdf.save(path, compress_streams=False)  # page text stays findable in the file's bytes
    return path


def make_form_pdf(path: Path, *, field: str = "ghi_chu") -> Path:
    """:func:`make_pdf` with an empty text field over the page header (where a forger would write)."""
    make_pdf(path)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        widget = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Widget,
                FT=pikepdf.Name.Tx,
                T=pikepdf.String(field),
                Rect=[0, 700, 595, 842],
                F=4,
                P=page.obj,
            )
        )
        page.obj.Annots = pdf.make_indirect(pikepdf.Array([widget]))
        pdf.Root.AcroForm = pdf.make_indirect(
            pikepdf.Dictionary(Fields=pikepdf.Array([widget]), DA=pikepdf.String("/Helv 12 Tf 0 g"))
        )
        pdf.save(path, compress_streams=False)
    return path
