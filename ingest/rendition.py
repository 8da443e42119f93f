"""A clean rendition of a signed PDF that can act when opened: its pages as they look, nothing that acts,
and the file as received attached.

Why: sohoa signs what it archives, and a signed input is normally countersigned as it is (rewriting
it would break its signatures). When that input carries JavaScript, launch or submit actions or
attached files (``ingest.pdfcheck``'s ``active_content``), the agency's signature on it would vouch
for code nobody read. So the agency signs this rendition instead:

- each page's look: content streams, resources, boxes and rotation, with the appearances of its
  annotations (a visible signature, stamps, filled form values) flattened into the page; nothing
  else of the page (no ``/AA`` triggers, no annotations or links);
- nothing of the document but its pages: no ``/OpenAction``, ``/AA``, name trees (``/JavaScript``,
  ``/EmbeddedFiles``), form, outlines or XFA;
- the file as received, byte for byte, as an associated file (``/AF``, relationship ``/Source``)
  with its sha256 in the description: whoever extracts it can verify its own signatures, which the
  rendition neither breaks nor vouches for. Its scripts are inside an attachment no viewer runs.

The rendition is identified as PDF/A-3B (the part that allows a non-PDF/A attachment) with the sRGB
output intent, as sohoa's other output is PDF/A where possible: copied pages keep their fonts as the
signer embedded them, so a font left unembedded stays so.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path

import pikepdf
from pikepdf import Array, Name

from sohoa.ingest.assemble import set_srgb_output_intent

__all__ = ["clean_rendition"]

log = logging.getLogger(__name__)

# What a page keeps: how it looks, and where it sits in the page tree.
_PAGE_KEYS = frozenset(
    {"/Type", "/Parent", "/Contents", "/Resources", "/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox"}
    | {"/Rotate", "/UserUnit", "/Group"}
)


def clean_rendition(
    source: Path, original: Path, output: Path, *, filename: str, fields: Mapping[str, str] | None = None
) -> str:
    """Write the rendition of ``source`` to ``output`` with ``original`` (the file as received) attached
    as ``filename``; ``fields`` go to the XMP (``title`` as dc:title). Returns the attachment's sha256."""
    data = original.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    with pikepdf.open(source) as received, pikepdf.new() as clean:
        try:
            received.flatten_annotations(mode="all")
        except pikepdf.PdfError as exc:  # an appearance qpdf cannot merge: the page shows without it
            log.warning("annotations of %s not flattened: %s", filename, exc)
        for page in received.pages:
            clean.pages.append(page)
        for page in clean.pages:
            for key in [k for k in page.obj if k not in _PAGE_KEYS]:
                del page.obj[key]
        spec = pikepdf.AttachedFileSpec(
            clean,
            data,
            description=f"the file as received (sha256 {sha256}); its own signatures verify on these bytes",
            filename=filename,
            mime_type="application/pdf",
            relationship=Name.Source,
        )
        clean.attachments[filename] = spec
        clean.Root.AF = Array([spec.obj])
        _describe(clean, dict(fields or {}))
        # Only what the trailer reaches is written: the actions dropped above are not copied.
        clean.save(output, min_version="1.7", object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return sha256


def _describe(pdf: pikepdf.Pdf, fields: dict[str, str]) -> None:
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        title = fields.pop("title", None)
        if title:
            meta["dc:title"] = title
        meta["xmp:CreatorTool"] = "sohoa"
        meta["pdfaid:part"] = "3"
        meta["pdfaid:conformance"] = "B"
    set_srgb_output_intent(pdf)
