"""The original of a document joined from several files, as one download: a zip of its files in page order.

The files are stored apart (see ``pipeline.intake._store_group``); whoever downloads the original
gets them together, each exactly as it was uploaded (stored, not recompressed: scans are already
compressed), named ``001_<name as uploaded>``, ``002_...`` so any file manager lists them in order.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

from sohoa.core.text import nfc
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.document_parts import list_parts
from sohoa.storage.objectstore import ObjectInfo, original_key
from sohoa.storage.records import DocumentRecord

__all__ = ["ZIP_MEDIA_TYPE", "write_parts_zip"]

ZIP_MEDIA_TYPE = "application/zip"
_CHUNK = 1024 * 1024
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def write_parts_zip(rt: Runtime, doc: DocumentRecord, dest: Path) -> ObjectInfo:
    """Write the files of ``doc`` to the zip ``dest``, each checked against its hash; what was written."""
    with rt.db.session() as session:
        parts = list_parts(session, doc.id)
    scratch = dest.with_name(dest.name + ".part")
    try:
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            for number, part in enumerate(parts, start=1):
                rt.store.get_file(original_key(part.sha256), scratch, verify=True)
                name = _UNSAFE.sub("-", nfc(part.filename.rpartition("/")[2])) or f"trang.{part.kind}"
                archive.write(scratch, f"{number:03d}_{name}")
    finally:
        scratch.unlink(missing_ok=True)
    digest = hashlib.sha256()
    with dest.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    assert doc.original_key is not None
    return ObjectInfo(doc.original_key, dest.stat().st_size, digest.hexdigest(), ZIP_MEDIA_TYPE)
