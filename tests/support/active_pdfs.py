"""PDFs that can act when opened (scripts, actions, attached programs), signed by someone else or not."""

from __future__ import annotations

from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from testkit.material import TestCa, make_pdf, new_key, write_pkcs12

__all__ = ["SCRIPT", "add_active_content", "signed_by_another_agency"]

SCRIPT = "app.alert('sohoa-active-content');"
_PASSPHRASE = b"another agency"


def _script(pdf: pikepdf.Pdf, text: str = SCRIPT) -> pikepdf.Object:
    return pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String(text)))


def add_active_content(source: Path, output: Path, *kinds: str) -> Path:
    """``source`` with each of ``kinds``: ``open_action``, ``document_aa``, ``page_aa``, ``names_js``,
    ``link_next`` (a link whose /Next action is a script), ``launch``, ``executable`` (an attached
    ``tool.exe``), ``attachment_annotation`` (a file attachment annotation of a ``.txt``),
    ``rich_media`` (a rich media annotation), ``rendition_js`` (a rendition action with a script),
    ``xfa`` (an XFA packet)."""
    with pikepdf.open(source) as pdf:
        page = pdf.pages[0].obj
        for kind in kinds:
            if kind == "open_action":
                pdf.Root.OpenAction = _script(pdf)
            elif kind == "document_aa":
                pdf.Root.AA = Dictionary(WC=_script(pdf))
            elif kind == "page_aa":
                page.AA = Dictionary(O=_script(pdf))
            elif kind == "names_js":
                pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("start"), _script(pdf)])))
            elif kind == "link_next":
                uri = Dictionary(S=Name.URI, URI=String("https://example.invalid/"), Next=_script(pdf))
                link = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[72, 72, 200, 90], A=uri)
                page.Annots = Array([*page.get("/Annots", Array()), pdf.make_indirect(link)])
            elif kind == "launch":
                launch = Dictionary(S=Name.Launch, F=String("cmd.exe"))
                page.AA = Dictionary(C=pdf.make_indirect(launch))
            elif kind == "executable":
                pdf.attachments["tool.exe"] = pikepdf.AttachedFileSpec(
                    pdf, b"MZ\x90\x00 not really a program", filename="tool.exe", mime_type="application/x-msdownload"
                )
            elif kind == "attachment_annotation":
                spec = pikepdf.AttachedFileSpec(pdf, b"ghi chu", filename="ghi-chu.txt", mime_type="text/plain")
                note = Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=[300, 72, 320, 92], FS=spec.obj)
                page.Annots = Array([*page.get("/Annots", Array()), pdf.make_indirect(note)])
            elif kind == "rich_media":
                media = Dictionary(Type=Name.Annot, Subtype=Name.RichMedia, Rect=[72, 300, 272, 450])
                page.Annots = Array([*page.get("/Annots", Array()), pdf.make_indirect(media)])
            elif kind == "rendition_js":
                rendition = Dictionary(S=Name.Rendition, OP=0, JS=String(SCRIPT))
                page.AA = Dictionary(O=pdf.make_indirect(rendition))
            elif kind == "xfa":
                packet = pdf.make_stream(b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><script>1</script></xdp:xdp>')
                pdf.Root.AcroForm = Dictionary(Fields=Array(), XFA=packet)
            else:
                raise ValueError(f"unknown kind {kind!r}")
        pdf.save(output)
    return output


def signed_by_another_agency(folder: Path, *kinds: str, text: str = "Giay phep so 77") -> Path:
    """A one-page PDF with ``kinds`` of active content, then signed (an approval signature, not a
    certification) by a certificate of another agency: the signature covers the scripts."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    folder.mkdir(parents=True, exist_ok=True)
    ca = TestCa.create("another agency root")
    key = new_key("rsa")
    p12 = write_pkcs12(folder / "other.p12", key, ca.issue(key, "Công ty ABC"), [ca.cert], _PASSPHRASE)
    active = add_active_content(make_pdf(folder / "plain.pdf", text=text), folder / "active.pdf", *kinds)
    signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=_PASSPHRASE)
    assert signer is not None
    output = folder / "signed-active.pdf"
    with active.open("rb") as source, output.open("wb") as out:
        writer = IncrementalPdfFileWriter(source)
        signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="ChuKyCongTy"), signer=signer, output=out)
    return output
