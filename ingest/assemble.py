"""The searchable PDF ("sandwich"): a page image with the OCR text layer laid over it.

Workers build one small PDF per page (:func:`build_page_pdf`); the parent alone writes the
output document (:class:`PdfAssembler`) from the page PDFs in page order. qpdf copies
stream data lazily from the page files while writing, so the parent never holds a whole
document's images in memory.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, Stream

from sohoa.core.clock import utcnow
from sohoa.core.closing import Closing
from sohoa.core.errors import ConfigurationError, ProcessingError
from sohoa.ingest.compression import EncodedImage

__all__ = [
    "SOHOA_XMP_NS",
    "PdfAssembler",
    "build_page_pdf",
    "build_xmp",
    "set_srgb_output_intent",
    "srgb_icc_profile",
]

SOHOA_XMP_NS = "https://sohoa.gov.vn/ns/xmp/1.0/"
_SOHOA_PREFIX = "sohoa"
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_DESCRIPTIONS = {
    "procedure_code": "Mã thủ tục hành chính (procedure code of the national public service portal)",
    "dossier_code": "Mã hồ sơ (dossier code)",
    "original_sha256": "SHA-256 of the original upload, lowercase hex",
}
_PRODUCER = f"sohoa (pikepdf {pikepdf.__version__})"


def _image_stream(pdf: Pdf, image: EncodedImage) -> Stream:
    stream = Stream(pdf, image.path.read_bytes())
    stream.Type = Name.XObject
    stream.Subtype = Name.Image
    stream.Width = image.width
    stream.Height = image.height
    stream.BitsPerComponent = image.bits
    stream.ColorSpace = Name(f"/{image.colorspace}")
    stream.Filter = Name(f"/{image.filter}")
    if image.filter == "CCITTFaxDecode":
        stream.DecodeParms = Dictionary(K=-1, Columns=image.width, Rows=image.height, BlackIs1=image.black_is_1)
    return stream


def _image_matrix(width_pt: float, height_pt: float, turn: float, page: tuple[float, float]) -> list[float]:
    """The image's CTM: its own size, turned ``turn`` degrees clockwise about the page centre."""
    phi = math.radians(-turn)  # PDF angles run counter-clockwise
    cos, sin = math.cos(phi), math.sin(phi)
    # Row-vector affine maps, composed left to right: scale, centre on the origin, rotate,
    # move to the page centre.
    a, b, c, d = width_pt * cos, width_pt * sin, -height_pt * sin, height_pt * cos
    x0, y0 = -width_pt / 2, -height_pt / 2
    e = x0 * cos - y0 * sin + page[0] / 2
    f = x0 * sin + y0 * cos + page[1] / 2
    return [a, b, c, d, e, f]


def build_page_pdf(
    image: EncodedImage, *, dpi: float, text_pdf: Path | None, output_path: Path, turn: float = 0.0
) -> Path:
    """One page: ``image`` at ``dpi``, the text-only page of ``text_pdf`` over it.

    ``turn`` (degrees, clockwise: a quarter turn plus the skew) is applied to the image
    when it is drawn, not to its pixels: the scan is stored exactly as it came (a JPEG
    keeps its bytes, a G4 page its bits), and the page shows it upright and level, under
    a text layer that tesseract made from an upright, levelled copy.
    """
    width_pt, height_pt = image.width * 72.0 / dpi, image.height * 72.0 / dpi
    quarter = round(turn / 90) % 4
    page_size = (height_pt, width_pt) if quarter % 2 else (width_pt, height_pt)
    matrix = _image_matrix(width_pt, height_pt, turn, page_size) if turn else [width_pt, 0, 0, height_pt, 0, 0]
    with pikepdf.new() as pdf:
        page = pdf.add_blank_page(page_size=page_size)
        xobjects = Dictionary(Im0=_image_stream(pdf, image))
        content = "q " + " ".join(f"{v:.5f}" for v in matrix) + " cm /Im0 Do Q\n"
        text_src = pikepdf.open(text_pdf) if text_pdf is not None else None
        try:
            if text_src is not None:
                src_page = text_src.pages[0]
                form = pdf.copy_foreign(src_page.as_form_xobject())
                box = [float(v) for v in src_page.mediabox]
                sx = page_size[0] / (box[2] - box[0]) if box[2] > box[0] else 1.0
                sy = page_size[1] / (box[3] - box[1]) if box[3] > box[1] else 1.0
                xobjects.Tx0 = form
                content += f"q {sx:.6f} 0 0 {sy:.6f} 0 0 cm /Tx0 Do Q\n"
            page.Resources = Dictionary(XObject=xobjects)
            page.Contents = Stream(pdf, content.encode("ascii"))
            pdf.save(output_path)
        finally:
            if text_src is not None:
                text_src.close()
    return output_path


def srgb_icc_profile() -> bytes:
    """An sRGB ICC profile for the PDF/A output intent (the one pikepdf ships, else LittleCMS's)."""
    shipped = Path(pikepdf.__file__).parent / "pdfa" / "data" / "sRGB.icc"
    if shipped.is_file():
        return shipped.read_bytes()
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _xmp_date(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _pdf_date(moment: datetime) -> str:
    offset = moment.strftime("%z") or "+0000"
    return moment.strftime("D:%Y%m%d%H%M%S") + f"{offset[:3]}'{offset[3:]}'"


def _split_fields(fields: Mapping[str, str]) -> tuple[str | None, dict[str, str]]:
    title: str | None = None
    own: dict[str, str] = {}
    for key, value in fields.items():
        if key in ("title", "dc:title"):
            title = value
            continue
        name = key.removeprefix(f"{_SOHOA_PREFIX}:")
        if not _NCNAME.match(name):
            raise ValueError(f"XMP property name {key!r} is not an XML name")
        own[name] = value
    return title, own


def build_xmp(
    fields: Mapping[str, str], *, pdfa: bool, producer: str = _PRODUCER, moment: datetime | None = None
) -> bytes:
    """The XMP packet: ``title`` as dc:title, every other key as a ``sohoa:`` property.

    With ``pdfa``, the PDF/A-2b identification and the extension schema that declares the
    ``sohoa:`` properties (PDF/A allows only declared properties).
    """
    moment = moment or utcnow()
    title, own = _split_fields(fields)
    parts = [
        "<dc:format>application/pdf</dc:format>",
        f"<xmp:CreateDate>{_xmp_date(moment)}</xmp:CreateDate>",
        f"<xmp:ModifyDate>{_xmp_date(moment)}</xmp:ModifyDate>",
        f"<xmp:MetadataDate>{_xmp_date(moment)}</xmp:MetadataDate>",
        "<xmp:CreatorTool>sohoa</xmp:CreatorTool>",
        f"<pdf:Producer>{escape(producer)}</pdf:Producer>",
    ]
    if title is not None:
        parts.append(f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>')
    parts += [f"<sohoa:{name}>{escape(value)}</sohoa:{name}>" for name, value in own.items()]
    if pdfa:
        parts += ["<pdfaid:part>2</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>"]
        if own:
            props = "".join(
                '<rdf:li rdf:parseType="Resource">'
                f"<pdfaProperty:name>{name}</pdfaProperty:name>"
                "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
                "<pdfaProperty:category>external</pdfaProperty:category>"
                f"<pdfaProperty:description>{escape(_DESCRIPTIONS.get(name, name))}"
                "</pdfaProperty:description></rdf:li>"
                for name in own
            )
            parts.append(
                '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
                "<pdfaSchema:schema>sohoa document properties</pdfaSchema:schema>"
                f"<pdfaSchema:namespaceURI>{SOHOA_XMP_NS}</pdfaSchema:namespaceURI>"
                f"<pdfaSchema:prefix>{_SOHOA_PREFIX}</pdfaSchema:prefix>"
                f"<pdfaSchema:property><rdf:Seq>{props}</rdf:Seq></pdfaSchema:property>"
                "</rdf:li></rdf:Bag></pdfaExtension:schemas>"
            )
    body = "\n   ".join(parts)
    namespaces = {
        "dc": "http://purl.org/dc/elements/1.1/",
        "xmp": "http://ns.adobe.com/xap/1.0/",
        "pdf": "http://ns.adobe.com/pdf/1.3/",
        "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
        "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
        "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
        "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
        _SOHOA_PREFIX: SOHOA_XMP_NS,
    }
    # Declare only the namespaces in use: validators reject unknown unused ones too.
    declared = "".join(f'\n    xmlns:{prefix}="{uri}"' for prefix, uri in namespaces.items() if f"<{prefix}:" in body)
    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""{declared}>
   {body}
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return packet.encode("utf-8")


def _font_key(font: pikepdf.Object) -> tuple[str, int] | None:
    """Identity of tesseract's GlyphLessFont (the same on every page), to keep one copy.

    Only that font: two subsets of a kept page's font may share a name and a length."""
    try:
        if str(font.BaseFont) != "/GlyphLessFont":
            return None
        descendant = font.DescendantFonts[0]
        font_file = descendant.FontDescriptor.FontFile2
        return str(font.BaseFont), len(font_file.read_raw_bytes())
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        return None


def _share_fonts(pdf: Pdf) -> None:
    """Point every page's text layer at one copy of each identical invisible font."""
    seen: dict[tuple[str, int], pikepdf.Object] = {}
    for page in pdf.pages:
        xobjects = page.obj.get(Name.Resources, Dictionary()).get(Name.XObject, Dictionary())
        for xobject in xobjects.values():
            fonts = xobject.get(Name.Resources, Dictionary()).get(Name.Font)
            if not isinstance(fonts, Dictionary):
                continue
            for name in list(fonts.keys()):
                key = _font_key(fonts[name])
                if key is not None:
                    fonts[name] = seen.setdefault(key, fonts[name])


def _run_qpdf(args: list[str]) -> None:
    qpdf = shutil.which("qpdf")
    if qpdf is None:
        raise ConfigurationError("the qpdf program is not installed (apt-get install qpdf)", code="qpdf_missing")
    proc = subprocess.run([qpdf, *args], capture_output=True, check=False, stdin=subprocess.DEVNULL)
    # Exit status 3 means warnings (e.g. a repaired input): the output is written.
    if proc.returncode not in (0, 3):
        tail = proc.stderr.decode("utf-8", "replace").strip()[-400:]
        raise ProcessingError(f"qpdf could not merge the pages: {tail}", code="pdf_assembly_failed")


class PdfAssembler(Closing):
    """Writes the output document from page PDFs (and kept input pages), in page order.

    Pages are recorded as they become ready; ``save`` merges them with qpdf, which copies
    image data lazily from the page files (pikepdf copies it into memory: half a megabyte
    per page held by the parent), then adds metadata and PDF/A identification in one pass.
    """

    def __init__(self, scratch: Path, *, source: Path | None = None) -> None:
        self._scratch = scratch
        self._source = source
        self._parts: list[tuple[Path, int | None]] = []

    @property
    def page_count(self) -> int:
        return len(self._parts)

    def append_page_pdf(self, path: Path) -> None:
        """The next output page is page 1 of a worker's page PDF."""
        self._parts.append((path, None))

    def append_source_page(self, index: int) -> None:
        """The next output page is page ``index`` (0-based) of the input PDF, kept as it is."""
        if self._source is None:
            raise ValueError("no source PDF to keep pages from")
        self._parts.append((self._source, index))

    def append_kept_page(self, path: Path, index: int) -> None:
        """The next output page is page ``index`` (0-based) of the PDF at ``path``, kept as it is.

        qpdf copies the page with its content streams, fonts and images: a born-digital page keeps
        its text exactly, and already compressed streams are not recompressed."""
        self._parts.append((path, index))

    def _page_args(self) -> list[str]:
        args: list[str] = []
        for path, index in self._parts:
            args += [str(path), "1" if index is None else str(index + 1)]
        return args

    def save(self, output_path: Path, *, xmp: Mapping[str, str] | None = None, pdfa: bool = True) -> None:
        if not self._parts:
            raise ValueError("no pages to write")
        merged = self._scratch / "merged.pdf"
        # An argument file: thousands of pages would not fit a command line.
        arg_file = self._scratch / "merge.args"
        arg_file.write_text("\n".join(["--empty", "--pages", *self._page_args(), "--", str(merged)]) + "\n")
        _run_qpdf([f"@{arg_file}"])
        # A stream, not a memory map: the written file is read once, not held resident.
        with pikepdf.open(merged, access_mode=pikepdf.AccessMode.stream) as pdf:
            _share_fonts(pdf)
            _describe(pdf, dict(xmp or {}), pdfa=pdfa)
            pdf.save(
                output_path,
                min_version="1.7" if pdfa else "",
                object_stream_mode=pikepdf.ObjectStreamMode.generate,
                compress_streams=True,
            )
        merged.unlink(missing_ok=True)

    def close(self) -> None:
        self._parts.clear()


def set_srgb_output_intent(pdf: Pdf) -> None:
    """PDF/A's output intent: the sRGB profile every page's colours are meant in."""
    icc = Stream(pdf, srgb_icc_profile())
    icc.N = 3
    pdf.Root.OutputIntents = Array(
        [
            Dictionary(
                Type=Name.OutputIntent,
                S=Name.GTS_PDFA1,
                OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
                Info=pikepdf.String("sRGB IEC61966-2.1"),
                DestOutputProfile=icc,
            )
        ]
    )


def _describe(pdf: Pdf, fields: dict[str, str], *, pdfa: bool) -> None:
    """XMP and document information, and for PDF/A the sRGB output intent."""
    moment = utcnow()
    pdf.Root.Metadata = Stream(pdf, build_xmp(fields, pdfa=pdfa, moment=moment))
    pdf.Root.Metadata.Type = Name.Metadata
    pdf.Root.Metadata.Subtype = Name.XML
    info = Dictionary(
        Producer=pikepdf.String(_PRODUCER),
        Creator=pikepdf.String("sohoa"),
        CreationDate=pikepdf.String(_pdf_date(moment)),
        ModDate=pikepdf.String(_pdf_date(moment)),
    )
    title, _ = _split_fields(fields)
    if title is not None:
        info.Title = pikepdf.String(title)
    pdf.trailer.Info = pdf.make_indirect(info)
    if pdfa:
        set_srgb_output_intent(pdf)
