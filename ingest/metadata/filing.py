"""What the extract stage decides for one document: the printed metadata, the filing record, the reasons.

One function for the pipeline's extract stage, ``sohoa extract`` and the metadata bench, so the
figures the bench gives and what ``sohoa extract`` shows are what the pipeline files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from sohoa.core.domain import Metadata, PageText
from sohoa.ingest.metadata import extract_metadata
from sohoa.ingest.metadata.correct import read_name
from sohoa.ingest.metadata.signature import Signature
from sohoa.ingest.review_rules import plausible_name, review_reasons

__all__ = ["SURE_NAME", "Filing", "file_document"]

# a plausible name read with less confidence than this gets a second look (review's threshold)
SURE_NAME = 0.6


@dataclass(frozen=True)
class Filing:
    printed: Metadata  # what the pages say
    filed: Metadata  # what the catalogue keeps: the upload's filing codes win over printed ones
    reasons: tuple[str, ...]  # empty: the document may be signed and archived without a human

    def record(self) -> dict[str, Any]:
        """The catalogue's ``metadata_json``: the filed fields and the printed codes beside them."""
        out = self.filed.to_dict()
        out["printed_procedure_code"] = self.printed.procedure_code
        out["printed_dossier_code"] = self.printed.dossier_code
        return out


def file_document(
    pages: Sequence[PageText],
    *,
    policy: Literal["auto", "always", "never"],
    upload_procedure_code: str | None = None,
    upload_dossier_code: str | None = None,
    intake_reasons: Sequence[str] = (),
    look_again: Callable[[int], Signature | None] | None = None,
) -> Filing:
    """The extract stage's decision for ``pages``.

    ``look_again(page_index)`` gives the signature block of a second reading of a page
    (``second_look.dark_ink_signature``): asked for the last page only when the first reading found
    no plausible signer's name or read it with less than ``SURE_NAME`` confidence, as a seal can hide
    it or put specks into it; a plausible name read there replaces the first reading's unless that
    one was plausible and no less sure.
    """
    printed = extract_metadata(pages)
    # no name, one no person bears (``Ó GIÁM Ố``, a title read as a name), or one read in doubt: a
    # seal may hide the name or have put specks into it
    name = printed.signer_name
    sure = bool(name) and plausible_name(name or "") and printed.confidence.get("signer_name", 0.0) >= SURE_NAME
    if look_again is not None and pages and not sure:
        printed = _second_look(printed, look_again(max(p.index for p in pages)))
    # Reasons found at intake (an uncertain cover sheet, no filing codes) hold under every policy:
    # a document without trustworthy filing must not be signed and archived under a guess.
    held = tuple(intake_reasons)
    found = review_reasons(
        printed, policy=policy, upload_procedure_code=upload_procedure_code, upload_dossier_code=upload_dossier_code
    )
    filed = Metadata.from_dict(
        {
            **printed.to_dict(),
            "procedure_code": upload_procedure_code or printed.procedure_code,
            "dossier_code": upload_dossier_code or printed.dossier_code,
        }
    )
    return Filing(printed, filed, held + tuple(r for r in found if r not in held))


def _second_look(printed: Metadata, found: Signature | None) -> Metadata:
    if found is None or not found.name:
        return printed
    # the second look reads an image of the page by OCR, a text-layer PDF's page too
    name, doubt = read_name(found.name, ocr=True)
    if not plausible_name(name):
        return printed
    # a second reading of a page the first could not read: a person should see it unless sure
    conf = 0.85 * found.conf_name * doubt
    first = printed.signer_name
    if first and plausible_name(first) and printed.confidence.get("signer_name", 0.0) >= conf:
        return printed  # the first reading was no less sure
    values: dict[str, Any] = {"signer_name": name}
    confidence = {**printed.confidence, "signer_name": round(conf, 3)}
    if found.authority and not printed.signer_authority:
        values |= {"signer_authority": found.authority, "signer_title": found.authority[-1]}
        confidence |= {"signer_authority": round(conf, 3), "signer_title": round(conf, 3)}
    return replace(printed, **values, confidence=confidence)
