"""Intake sniffing on synthetic files: kinds by content, every refusal code, PDF flags and limits."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from sohoa.core.domain import FileKind
from sohoa.core.errors import InputRejected
from sohoa.ingest.pdfcheck import inspect_pdf
from sohoa.ingest.sniff import detect_kind, sniff_file

pytestmark = pytest.mark.timeout(30)

_TEXT_CONTENT = b"BT /F1 24 Tf 72 720 Td (Hello sohoa) Tj ET"


def _rejected_code(path: Path, **limits: int | float) -> str:
    with pytest.raises(InputRejected) as caught:
        sniff_file(path, **limits)  # type: ignore[arg-type]
    return caught.value.code


def _raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF written object by object (1 0 obj is the catalog), for structures pikepdf won't save."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer << /Root 1 0 R /Size %d >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
    return bytes(out)


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


def _one_page(page_extra: bytes = b"", *, catalog_extra: bytes = b"", resources: bytes = b"<< >>") -> list[bytes]:
    return [
        b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog_extra,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources %s %s >>" % (resources, page_extra),
    ]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _text_pdf(path: Path, pages: int = 1, **save_options: object) -> Path:
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    for _ in range(pages):
        page = pdf.add_blank_page(page_size=(595, 842))
        page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.obj.Contents = pdf.make_stream(_TEXT_CONTENT)
    pdf.save(path, **save_options)  # type: ignore[arg-type]
    return path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header announces width×height grey pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def _jpeg_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 100, 50)).save(buffer, "JPEG")
    return buffer.getvalue()


# --- kinds and generic refusals ---------------------------------------------------------------


def test_empty_and_unknown_files_are_refused(tmp_path: Path) -> None:
    assert _rejected_code(_write(tmp_path / "empty.pdf", b"")) == "empty_file"
    assert _rejected_code(_write(tmp_path / "notes.pdf", "Quyết định số 12".encode() * 20)) == "unsupported_type"
    assert _rejected_code(_write(tmp_path / "x.gif", b"GIF89a" + bytes(40))) == "unsupported_type"
    assert _rejected_code(_write(tmp_path / "sig.png", b"\x89PNG")) == "truncated_file"


def test_kind_is_decided_by_content_not_name(tmp_path: Path) -> None:
    png = io.BytesIO()
    Image.new("L", (30, 20), 255).save(png, "PNG")
    assert sniff_file(_write(tmp_path / "scan.pdf", png.getvalue())).kind is FileKind.PNG
    assert sniff_file(_write(tmp_path / "photo.png", _jpeg_bytes())).kind is FileKind.JPEG
    pdf = _text_pdf(tmp_path / "doc.bin")
    assert sniff_file(pdf).kind is FileKind.PDF


def test_pdf_header_may_follow_junk_within_one_kib(tmp_path: Path) -> None:
    pdf = _text_pdf(tmp_path / "clean.pdf").read_bytes()
    assert detect_kind(b"x" * 1019 + b"%PDF-") == (FileKind.PDF, 1019)
    assert detect_kind(b"x" * 1025 + b"%PDF-") is None
    result = sniff_file(_write(tmp_path / "junk.pdf", b"mail gateway junk\r\n" * 20 + pdf))
    assert result.page_count == 1 and result.has_text_layer
    assert any(note.startswith("leading junk: 380 bytes") for note in result.notes)
    assert _rejected_code(_write(tmp_path / "far.pdf", b"j" * 2000 + pdf)) == "unsupported_type"


# --- images ---------------------------------------------------------------------------------------


def test_truncated_images_are_detected(tmp_path: Path) -> None:
    jpeg = _jpeg_bytes((300, 200))
    assert sniff_file(_write(tmp_path / "ok.jpg", jpeg)).page_count == 1
    assert _rejected_code(_write(tmp_path / "cut.jpg", jpeg[: len(jpeg) // 2])) == "truncated_file"
    assert _rejected_code(_write(tmp_path / "head.jpg", jpeg[:40])) == "truncated_file"
    png = io.BytesIO()
    Image.effect_noise((300, 200), 40).save(png, "PNG")
    data = png.getvalue()
    assert sniff_file(_write(tmp_path / "ok.png", data)).kind is FileKind.PNG
    assert _rejected_code(_write(tmp_path / "cut.png", data[: len(data) // 2])) == "truncated_file"
    tiff = io.BytesIO()
    Image.new("L", (200, 200), 255).save(tiff, "TIFF")  # uncompressed: strips after the header
    data = tiff.getvalue()
    assert _rejected_code(_write(tmp_path / "cut.tif", data[: len(data) // 2])) == "truncated_file"


def test_damaged_image_headers_are_refused(tmp_path: Path) -> None:
    data = bytearray(_png_declaring(10, 10))
    data[16:20] = b"\xff\xff\xff\xff"  # IHDR width without fixing the CRC
    assert _rejected_code(_write(tmp_path / "bad.png", bytes(data))) == "damaged_image"
    assert _rejected_code(_write(tmp_path / "bad.jpg", b"\xff\xd8\xff\xe0\x00\x01" + bytes(50))) == "damaged_image"
    jpeg = _jpeg_bytes()
    after_app0 = 4 + int.from_bytes(jpeg[4:6], "big")
    stray = jpeg[:after_app0] + b"\x00\x13\x37" + jpeg[after_app0:]  # tolerated, as decoders do
    assert sniff_file(_write(tmp_path / "stray.jpg", stray)).kind is FileKind.JPEG


def test_huge_declared_sizes_are_refused_from_headers(tmp_path: Path) -> None:
    assert _rejected_code(_write(tmp_path / "h.png", _png_declaring(20_000, 20_000)), max_pixels=10**8) == (
        "image_too_large"
    )
    # Beyond Pillow's own decompression-bomb limit: its error becomes ours.
    assert _rejected_code(_write(tmp_path / "b.png", _png_declaring(60_000, 60_000)), max_pixels=10**12) == (
        "image_too_large"
    )
    jpeg = bytearray(_jpeg_bytes())
    sof = jpeg.find(b"\xff\xc0")
    struct.pack_into(">HH", jpeg, sof + 5, 40_000, 40_000)  # height, width
    assert _rejected_code(_write(tmp_path / "h.jpg", bytes(jpeg))) == "image_too_large"
    assert sniff_file(_write(tmp_path / "fine.png", _png_declaring(100, 100))).page_count == 1


def test_multipage_tiff_pages_are_counted_and_limited(tmp_path: Path) -> None:
    pages = [Image.new("1", (400, 300), 1) for _ in range(4)]
    path = tmp_path / "scan.tif"
    pages[0].save(path, save_all=True, append_images=pages[1:], compression="group4")
    result = sniff_file(path)
    assert (result.kind, result.page_count) == (FileKind.TIFF, 4)
    assert _rejected_code(path, max_pages=3) == "too_many_pages"
    assert _rejected_code(path, max_pixels=100_000) == "image_too_large"


# --- PDFs -----------------------------------------------------------------------------------------


def test_text_layer_pages_and_owner_only_encryption(tmp_path: Path) -> None:
    plain = sniff_file(_text_pdf(tmp_path / "plain.pdf", pages=3))
    assert (plain.kind, plain.page_count, plain.has_text_layer, plain.signed) == (FileKind.PDF, 3, True, False)
    assert plain.notes == ()
    blank = pikepdf.new()
    blank.add_blank_page()
    blank.save(tmp_path / "blank.pdf")
    assert sniff_file(tmp_path / "blank.pdf").has_text_layer is False
    owner_only = _text_pdf(tmp_path / "owner.pdf", encryption=pikepdf.Encryption(user="", owner="chủ", R=6))
    result = sniff_file(owner_only)
    assert result.has_text_layer
    assert any(note.startswith("encrypted:") for note in result.notes)


def test_user_password_is_refused(tmp_path: Path) -> None:
    path = _text_pdf(tmp_path / "locked.pdf", encryption=pikepdf.Encryption(user="mật khẩu", owner="o", R=6))
    assert _rejected_code(path) == "password_protected"


def test_page_count_is_limited_before_anything_else(tmp_path: Path) -> None:
    path = _text_pdf(tmp_path / "twelve.pdf", pages=12)
    assert _rejected_code(path, max_pages=10) == "too_many_pages"
    assert sniff_file(path, max_pages=12).page_count == 12
    # /Count understating the tree does not help: pages are counted while walking it.
    kids = b" ".join(b"%d 0 R" % n for n in range(3, 15))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count 1 >>" % kids]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"] * 12
    assert _rejected_code(_write(tmp_path / "liar.pdf", _raw_pdf(objects)), max_pages=10) == "too_many_pages"


def test_structural_refusals(tmp_path: Path) -> None:
    loop = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
    ]
    assert _rejected_code(_write(tmp_path / "loop.pdf", _raw_pdf(loop))) == "page_tree_loop"
    empty = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    assert _rejected_code(_write(tmp_path / "nopages.pdf", _raw_pdf(empty))) == "no_pages"
    xfa = _raw_pdf(_one_page(catalog_extra=b"/NeedsRendering true"))
    assert _rejected_code(_write(tmp_path / "xfa.pdf", xfa)) == "dynamic_xfa_form"
    garbage = b"%PDF-1.7\nthis is not a PDF body at all\n%%EOF\n"
    assert _rejected_code(_write(tmp_path / "garbage.pdf", garbage)) == "damaged_pdf"


def test_truncated_pdf_is_refused_and_repairs_are_noted(tmp_path: Path) -> None:
    data = _text_pdf(tmp_path / "whole.pdf", pages=20, compress_streams=False).read_bytes()
    assert _rejected_code(_write(tmp_path / "cut.pdf", data[: len(data) // 2])) == "truncated_file"
    broken_xref = _raw_pdf(_one_page()).replace(b"startxref\n", b"startxref\n9")
    result = sniff_file(_write(tmp_path / "xref.pdf", broken_xref))
    assert result.page_count == 1
    assert result.notes[0].startswith("repaired: xref table rebuilt")
    # An xref offset pointing beside its object only shows when the object is read.
    data = _raw_pdf(_one_page())
    entry_at = data.index(b"xref\n") + len(b"xref\n0 4\n") + 3 * 20  # the entry of 3 0 obj
    shifted = int(data[entry_at : entry_at + 10]) + 7
    data = data[:entry_at] + b"%010d" % shifted + data[entry_at + 10 :]
    result = sniff_file(_write(tmp_path / "offset.pdf", data))
    assert result.page_count == 1
    assert result.notes[0].startswith("repaired: xref table rebuilt")


@pytest.mark.parametrize(
    ("box", "user_unit"),
    [(b"[0 0 15000 612]", b""), (b"[0 0 1500 1500]", b"/UserUnit 10"), (b"[0 0 0 792]", b""), (b"[0 0 612]", b"")],
)
def test_absurd_or_degenerate_pages_are_refused(tmp_path: Path, box: bytes, user_unit: bytes) -> None:
    objects = _one_page(b"/MediaBox %s %s" % (box, user_unit))
    objects[2] = objects[2].replace(b"/MediaBox [0 0 612 792] ", b"")
    assert _rejected_code(_write(tmp_path / "box.pdf", _raw_pdf(objects))) == "page_too_large"


def test_large_page_within_limits_is_accepted(tmp_path: Path) -> None:
    objects = _one_page()
    objects[2] = objects[2].replace(b"[0 0 612 792]", b"[0 0 14000 2000]")  # 194 × 28 inches
    assert sniff_file(_write(tmp_path / "poster.pdf", _raw_pdf(objects))).page_count == 1


def test_image_headers_inside_pages_are_limited(tmp_path: Path) -> None:
    image = _stream(b"/Type /XObject /Subtype /Image /Width 30000 /Height 30000 /ColorSpace /DeviceGray "
                    b"/BitsPerComponent 8", b"\x00" * 10)  # fmt: skip
    form = _stream(b"/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /I 5 0 R >> >>", b"")
    objects = [*_one_page(resources=b"<< /XObject << /F 4 0 R >> >>"), form, image]
    path = _write(tmp_path / "huge-image.pdf", _raw_pdf(objects))
    assert _rejected_code(path) == "image_too_large"
    assert sniff_file(path, max_pixels=10**9).page_count == 1


def test_signatures_and_certification_are_reported(tmp_path: Path) -> None:
    signature = b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /Contents <00>" \
                b" /ByteRange [0 1 2 3] %s >>"  # fmt: skip
    field = b"<< /FT /Sig /T (Ky1) /Kids [6 0 R] >>"
    widget = b"<< /Type /Annot /Subtype /Widget /Parent 4 0 R /Rect [0 0 0 0] >>"

    def make(value: bytes, catalog_extra: bytes, reference: bytes = b"") -> Path:
        objects = _one_page(catalog_extra=b"/AcroForm << /Fields [4 0 R] /SigFlags 3 >> " + catalog_extra)
        objects += [field.replace(b"/Kids", value + b" /Kids"), signature % reference, widget]
        return _write(tmp_path / "signed.pdf", _raw_pdf(objects))

    unsigned = sniff_file(make(b"", b""))
    assert unsigned.signed is False and "empty signature field" in unsigned.notes
    signed = sniff_file(make(b"/V 5 0 R", b""))
    assert signed.signed is True and "empty signature field" not in signed.notes
    docmdp = b"/Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /P %d /V /1.2 >> >>]"
    certified = sniff_file(make(b"/V 5 0 R", b"/Perms << /DocMDP 5 0 R >>", docmdp % 1))
    assert certified.signed and "certified_no_changes" in certified.notes
    lenient = sniff_file(make(b"/V 5 0 R", b"/Perms << /DocMDP 5 0 R >>", docmdp % 2))
    assert "certified_no_changes" not in lenient.notes and "certified: DocMDP P=2" in lenient.notes


def test_inspection_time_and_memory_are_bounded(tmp_path: Path) -> None:
    assert _rejected_code(_text_pdf(tmp_path / "doc.pdf"), time_limit=0.001) == "too_complex"
    pdf = pikepdf.new()
    pdf.add_blank_page()
    packer = zlib.compressobj(1)
    block = b" " * (1 << 20)
    content = pikepdf.Stream(pdf, b"".join(packer.compress(block) for _ in range(160)) + packer.flush())
    content.Filter = pikepdf.Name.FlateDecode
    pdf.pages[0].obj.Contents = content
    pdf.save(tmp_path / "bomb.pdf", compress_streams=False)
    assert (tmp_path / "bomb.pdf").stat().st_size < 2_000_000
    with pytest.raises(InputRejected) as caught:
        inspect_pdf(tmp_path / "bomb.pdf", memory_limit=128 * 1024**2)
    assert caught.value.code == "too_complex"


# --- zip ------------------------------------------------------------------------------------------


def test_zip_is_recognized_and_truncation_detected(tmp_path: Path) -> None:
    path = tmp_path / "batch.dat"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.pdf", b"%PDF-1.7")
        archive.writestr("b.pdf", b"%PDF-1.7")
    result = sniff_file(path)
    assert (result.kind, result.page_count, result.notes) == (FileKind.ZIP, 0, ("zip: 2 entries declared",))
    assert _rejected_code(_write(tmp_path / "cut.zip", path.read_bytes()[:-10])) == "truncated_file"
