"""PDF intake inspection: can sohoa process this PDF, how many pages, is there text, is it signed.

Why a child process: qpdf (C++, through pikepdf) and pdfminer (Python) parse hostile bytes, and a
pathological file can keep either busy for minutes or make it allocate gigabytes; C++ code cannot
be interrupted from Python. So :func:`inspect_pdf` runs the inspection in
``python -m ingest.pdfcheck``: the child caps its own address space (``RLIMIT_AS``) and the parent
kills it after ``time_limit`` seconds. Inside the child, the text-layer check has a smaller budget
of its own (``SIGALRM`` interrupts pdfminer), so a slow text layer only costs that answer.
The inspection never walks outlines, name trees or content streams of more than a few pages: it
reads the page tree (cycle-checked, bounded by ``max_pages``), each page's boxes and image headers,
the form fields (cycle-checked) and the text of the first pages.

Reason codes (``InputRejected.code``):

``password_protected``  a user password is needed (an owner-password-only PDF opens and is
                        accepted), or a security handler qpdf cannot open (certificate-based).
``damaged_pdf``         qpdf cannot open it even with recovery, the catalog or page tree is
                        unusable, or the inspection crashed on it.
``truncated_file``      qpdf had to reconstruct the file and it has no ``%%EOF`` at its end.
``page_tree_loop``      a ``/Kids`` cycle in the page tree.
``too_many_pages``      more than ``max_pages`` pages (``/Count`` first, then counted while
                        walking the tree; nothing is rendered).
``no_pages``            the page tree holds no page.
``page_too_large``      a page side longer than 200 inches (``/UserUnit`` applied), or a
                        degenerate MediaBox (not four numbers, or a side shorter than 1 pt).
``image_too_large``     an image on a page has more than ``max_pixels`` pixels (from its header).
``dynamic_xfa_form``    ``/NeedsRendering``: a LiveCycle dynamic form whose pages are placeholders.
``too_complex``         the inspection exceeded its time or memory budget.

If the child cannot run at all (not because of the file), ``ProcessingError`` with code
``inspection_failed`` is raised instead: that is retryable and not the uploader's fault.

Active content (``SniffResult.active_content``, sorted kinds): ``javascript`` (an ``/OpenAction``,
``/AA`` of the document, a page, an annotation or a form field, a link's action, ``/Next`` chains
included, or a ``/JavaScript`` name tree), ``launch`` (an action that starts a program or opens a
file), ``submit_form``/``import_data`` (actions that send or load data), ``embedded_file`` (an
``/EmbeddedFiles`` name tree or a file attachment annotation), ``embedded_executable`` (an attached
file named like a program), ``multimedia`` (rich media, 3D, movie, sound or screen annotations,
which carry players and scripts of their own), ``xfa`` (an XFA form, whose packets hold scripts).
What a PDF may do when it is opened, as opposed to what it shows: sohoa never countersigns it
(``pipeline.stages.signing``).

Notes (``SniffResult.notes``): ``repaired: ...`` (qpdf repaired the file; ``repaired: xref table
rebuilt (...)`` when it reconstructed the cross-reference table), ``leading junk: ...``,
``encrypted: ...``, ``certified_no_changes`` (a certification signature with DocMDP P=1),
``certified: DocMDP P=n``, ``empty signature field``, ``javascript present ...``,
``embedded files present ...``, ``static XFA form ...``, ``text layer not checked: ...``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from io import BytesIO
from pathlib import Path
from types import FrameType
from typing import Any

import pikepdf
from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LTChar, LTContainer
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage

from sohoa.core.domain import FileKind, SniffResult
from sohoa.core.errors import InputRejected, ProcessingError

__all__ = ["inspect_pdf"]

_MEMORY_LIMIT = 2 * 1024**3
_TEXT_PAGES = 3
_TEXT_SECONDS = 5.0
_MAX_SIDE_POINTS = 200 * 72.0
_MIN_SIDE_POINTS = 1.0
_MAX_XOBJECTS = 200_000
_MAX_XOBJECT_DEPTH = 8
_MAX_FIELDS = 10_000
_MAX_ACTIONS = 64
_EOF_WINDOW = 1024
_INHERITED = ("/MediaBox", "/CropBox", "/Resources")
_GENERIC_WARNINGS = frozenset({"file is damaged", "attempting to reconstruct cross-reference table"})
_JAVASCRIPT_NOTE = "javascript present (never executed)"
_MAX_NOTE_MESSAGE = 160
_OUT_OF_RESOURCES_SIGNALS = {-signal.SIGKILL, -signal.SIGXCPU}  # the OOM killer, a CPU limit
_MAX_ANNOTATIONS = 500  # per page, for actions: far more than any real page carries
_MAX_ACTION_CHAIN = 32  # /Next actions followed from one action
_ACTIVE_ACTIONS = {
    "/JavaScript": "javascript",
    "/Launch": "launch",
    "/SubmitForm": "submit_form",
    "/ImportData": "import_data",
}
_MULTIMEDIA_ANNOTATIONS = frozenset({"/RichMedia", "/3D", "/Movie", "/Sound", "/Screen"})
# Names of attachments a viewer would hand to the operating system to run.
_EXECUTABLE_SUFFIXES = frozenset(
    {".exe", ".dll", ".com", ".scr", ".bat", ".cmd", ".msi", ".ps1", ".vbs", ".vbe", ".js", ".jse", ".wsf"}
    | {".hta", ".jar", ".sh", ".elf", ".app", ".lnk", ".pif", ".cpl"}
)


def inspect_pdf(
    path: Path,
    *,
    header_offset: int = 0,
    max_pages: int = 2000,
    max_pixels: int = 200_000_000,
    time_limit: float = 30.0,
    memory_limit: int = _MEMORY_LIMIT,
) -> SniffResult:
    """Inspect the PDF at ``path`` in a limited child process; raise ``InputRejected`` if unusable."""
    command = [
        sys.executable,
        "-m",
        "sohoa.ingest.pdfcheck",
        os.fspath(path),
        str(header_offset),
        str(max_pages),
        str(max_pixels),
        str(memory_limit),
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=time_limit, check=False)
    except subprocess.TimeoutExpired as exc:
        raise InputRejected(
            f"PDF inspection took longer than {time_limit:g} s",
            code="too_complex",
            details={"time_limit": time_limit},
        ) from exc
    outcome = _read_outcome(done.stdout)
    if outcome is None:
        stderr_tail = done.stderr.decode("utf-8", "replace")[-2000:]
        if done.returncode in _OUT_OF_RESOURCES_SIGNALS:
            raise InputRejected("PDF inspection ran out of resources", code="too_complex")
        if done.returncode < 0:
            # qpdf or pdfminer crashed on this file (segfault, abort): the bytes are the cause.
            raise InputRejected(
                f"the PDF crashed its inspection (signal {-done.returncode})",
                code="damaged_pdf",
                details={"stderr": stderr_tail},
            )
        raise ProcessingError("PDF inspection could not run", code="inspection_failed", details={"stderr": stderr_tail})
    if "rejected" in outcome:
        rejected = outcome["rejected"]
        raise InputRejected(rejected["message"], code=rejected["code"], details=rejected.get("details"))
    accepted = outcome["accepted"]
    return SniffResult(
        kind=FileKind.PDF,
        page_count=accepted["page_count"],
        has_text_layer=accepted["has_text_layer"],
        signed=accepted["signed"],
        notes=tuple(accepted["notes"]),
        active_content=tuple(accepted.get("active_content", ())),
    )


def _read_outcome(stdout: bytes) -> dict[str, Any] | None:
    lines = stdout.decode("utf-8", "replace").strip().splitlines()
    if not lines:
        return None
    try:
        outcome = json.loads(lines[-1])
    except json.JSONDecodeError:
        return None
    return outcome if isinstance(outcome, dict) else None


# --- child side -------------------------------------------------------------------------------


@dataclass
class _Findings:
    page_count: int = 0
    has_text_layer: bool = False
    signed: bool = False
    notes: list[str] = field(default_factory=list)
    active_content: list[str] = field(default_factory=list)

    def active(self, kind: str) -> None:
        if kind not in self.active_content:
            self.active_content.append(kind)
            self.active_content.sort()


class _OutOfTime(Exception):
    pass


def _rejected(message: str, code: str, **details: Any) -> InputRejected:
    return InputRejected(message, code=code, details=details or None)


def _main(argv: list[str]) -> int:
    path, header_offset, max_pages, max_pixels, memory_limit = argv
    _limit_memory(int(memory_limit))
    logging.disable(logging.CRITICAL)  # pdfminer logs per damaged object: unbounded stderr for nothing
    outcome: dict[str, Any]
    try:
        found = _inspect(Path(path), int(header_offset), max_pages=int(max_pages), max_pixels=int(max_pixels))
        outcome = {"accepted": asdict(found)}
    except InputRejected as exc:
        outcome = {"rejected": exc.to_dict()}
    except MemoryError:
        outcome = {"rejected": _rejected("PDF inspection ran out of memory", "too_complex").to_dict()}
    except Exception as exc:
        # Anything else pikepdf/qpdf raises on hostile bytes means the PDF cannot be processed;
        # the exception type travels in the details so that a bug of ours stays visible.
        reason = str(exc).replace(path, "").strip(" :,")
        rejected = _rejected(f"the PDF cannot be read: {reason}", "damaged_pdf", error=type(exc).__name__)
        outcome = {"rejected": rejected.to_dict()}
    sys.stdout.write("\n" + json.dumps(outcome) + "\n")
    return 0


def _limit_memory(limit: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)  # an unprivileged process cannot raise its hard limit
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _inspect(path: Path, header_offset: int, *, max_pages: int, max_pixels: int) -> _Findings:
    # Recovery stays on: qpdf also repairs lazily (an xref offset pointing at the wrong object
    # shows only when that object is read) and without it such objects silently read as null.
    # Inherited page attributes are not pushed down at open: that would walk the whole page
    # tree before our bounded, cycle-checked walk has run.
    try:
        pdf = pikepdf.open(path, attempt_recovery=True, inherit_page_attributes=False)
    except pikepdf.PasswordError as exc:
        raise _rejected("the PDF needs a password to open", "password_protected") from exc
    except pikepdf.PdfError as exc:
        raise _classify_open_error(path, exc) from exc
    found = _Findings()
    if header_offset:
        found.notes.append(f"leading junk: {header_offset} bytes before the %PDF- header")
    with pdf:
        warnings = pdf.get_warnings()  # qpdf hands each warning out once
        _refuse_if_truncated(path, warnings)
        root = pdf.trailer.get("/Root")
        try:
            if not isinstance(root, pikepdf.Dictionary):
                raise _rejected("the PDF has no document catalog", "damaged_pdf")
            if bool(root.get("/NeedsRendering", False)):
                raise _rejected("dynamic XFA form (Adobe LiveCycle): its pages are placeholders", "dynamic_xfa_form")
            found.page_count = _walk_pages(root, found, max_pages=max_pages, max_pixels=max_pixels)
        except (InputRejected, pikepdf.PdfError):
            _refuse_if_truncated(path, warnings + pdf.get_warnings())  # the better reason, if it is one
            raise
        _read_signatures(root, found)
        _read_features(pdf, root, found)
        warnings += pdf.get_warnings()
        _refuse_if_truncated(path, warnings)
    repair = _repair_note(path, _reconstructed(warnings), warnings)
    if repair:
        found.notes.insert(0, repair)
    _read_text_layer(path, found)
    return found


def _reconstructed(warnings: list[str]) -> bool:
    # qpdf announces every cross-reference reconstruction with this warning.
    return any("attempting to reconstruct cross-reference table" in w.lower() for w in warnings)


def _refuse_if_truncated(path: Path, warnings: list[str]) -> None:
    if _reconstructed(warnings) and not _ends_with_eof_marker(path):
        raise _rejected("the PDF is cut short: no %%EOF at its end, its xref had to be rebuilt", "truncated_file")


def _classify_open_error(path: Path, exc: pikepdf.PdfError) -> InputRejected:
    # qpdf's messages are its only signal here; they have been stable across qpdf releases.
    message = str(exc).replace(str(path), "").strip(" :,")
    lowered = message.lower()
    if "loop detected in /pages" in lowered:
        return _rejected("the page tree contains a loop", "page_tree_loop")
    if "encryption" in lowered:
        return _rejected(f"the PDF is encrypted with a method sohoa cannot open ({message})", "password_protected")
    if not _ends_with_eof_marker(path):
        return _rejected(f"the PDF is cut short ({message})", "truncated_file")
    return _rejected(f"the PDF cannot be opened or repaired ({message})", "damaged_pdf")


def _ends_with_eof_marker(path: Path) -> bool:
    with path.open("rb") as fp:
        fp.seek(max(0, path.stat().st_size - _EOF_WINDOW))
        return b"%%EOF" in fp.read()


def _walk_pages(root: pikepdf.Dictionary, found: _Findings, *, max_pages: int, max_pixels: int) -> int:
    """Count pages depth-first, detecting /Kids cycles and checking each page as it is reached."""
    tree = root.get("/Pages")
    if not isinstance(tree, pikepdf.Dictionary):
        raise _rejected("the PDF has no page tree", "damaged_pdf")
    declared = tree.get("/Count")
    if isinstance(declared, int) and declared > max_pages:
        raise _too_many_pages(declared, max_pages)
    node_budget = 2 * max_pages + 100  # intermediate nodes and duplicate references included
    nodes = pages = 0
    missing_box = 0
    page_javascript = False
    seen_xobjects: set[tuple[int, int]] = set()
    on_path: set[tuple[int, int]] = set()
    stack: list[tuple[pikepdf.Object, dict[str, pikepdf.Object], bool]] = [(tree, {}, False)]
    while stack:
        node, inherited, leaving = stack.pop()
        if leaving:
            on_path.discard(node.objgen)
            continue
        if not isinstance(node, pikepdf.Dictionary):
            continue  # null or broken kids: qpdf drops them too
        key = node.objgen
        if key != (0, 0) and key in on_path:
            raise _rejected("the page tree contains a loop", "page_tree_loop", object=f"{key[0]} {key[1]} R")
        nodes += 1
        kids = node.get("/Kids")
        if isinstance(kids, pikepdf.Array):
            if nodes > node_budget or len(kids) > node_budget:
                raise _too_many_pages(None, max_pages)
            attributes = dict(inherited)
            attributes.update({name: node[name] for name in _INHERITED if name in node})
            stack.append((node, inherited, True))
            if key != (0, 0):
                on_path.add(key)
            stack.extend((kid, attributes, False) for kid in reversed(list(kids)))
            continue
        pages += 1
        if pages > max_pages:
            raise _too_many_pages(None, max_pages)
        missing_box += not _check_page_box(node, inherited, pages)
        _check_images(node.get("/Resources", inherited.get("/Resources")), pages, max_pixels, seen_xobjects)
        page_javascript = page_javascript or _has_javascript_action(node.get("/AA"))
        _read_page_actions(node, found)
    if pages == 0:
        raise _rejected("the PDF has no pages", "no_pages")
    if missing_box:
        found.notes.append(f"repaired: {missing_box} page(s) without MediaBox, US Letter assumed")
    if page_javascript:
        found.notes.append(_JAVASCRIPT_NOTE)
    return pages


def _too_many_pages(count: int | None, max_pages: int) -> InputRejected:
    shown = f"{count} pages" if count is not None else f"more than {max_pages} pages"
    return _rejected(f"the PDF has {shown}; the limit is {max_pages}", "too_many_pages", max_pages=max_pages)


def _check_page_box(page: pikepdf.Dictionary, inherited: dict[str, pikepdf.Object], number: int) -> bool:
    """Reject absurd or degenerate page boxes; False when the page has no MediaBox at all."""
    unit = _number(page.get("/UserUnit"))
    scale = unit if unit is not None and unit > 0 else 1.0
    media = page.get("/MediaBox", inherited.get("/MediaBox"))
    if media is None:
        return False
    sides = _box_sides(media)
    if sides is None or min(sides) * scale < _MIN_SIDE_POINTS:
        raise _rejected(f"page {number} has a degenerate MediaBox", "page_too_large", page=number)
    crop_sides = _box_sides(page.get("/CropBox", inherited.get("/CropBox")))
    # A malformed CropBox is ignored by renderers (they fall back to the MediaBox); so are we.
    for width, height in filter(None, (sides, crop_sides)):
        if max(width, height) * scale > _MAX_SIDE_POINTS:
            inches = (width * scale / 72, height * scale / 72)
            raise _rejected(
                f"page {number} is {inches[0]:.0f}×{inches[1]:.0f} inches; the limit is 200 inches a side",
                "page_too_large",
                page=number,
            )
    return True


def _box_sides(box: pikepdf.Object | None) -> tuple[float, float] | None:
    if not isinstance(box, pikepdf.Array) or len(box) != 4:
        return None
    values = [_number(v) for v in box]
    if any(v is None for v in values):
        return None
    x0, y0, x1, y1 = (float(v) for v in values if v is not None)
    return abs(x1 - x0), abs(y1 - y0)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]  # int, Decimal or pikepdf numbers
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _check_images(resources: pikepdf.Object | None, page: int, max_pixels: int, seen: set[tuple[int, int]]) -> None:
    """Read image headers (/Width, /Height) reachable from a page, through nested forms."""
    stack: list[tuple[pikepdf.Object | None, int]] = [(resources, 0)]
    while stack:
        current, depth = stack.pop()
        xobjects = current.get("/XObject") if isinstance(current, pikepdf.Dictionary) else None
        if not isinstance(xobjects, pikepdf.Dictionary):
            continue
        for _, xobject in xobjects.items():
            if not isinstance(xobject, pikepdf.Stream) or xobject.objgen in seen:
                continue
            seen.add(xobject.objgen)
            if len(seen) > _MAX_XOBJECTS:
                raise _rejected("the PDF has too many images and forms to inspect", "too_complex")
            subtype = xobject.get("/Subtype")
            if subtype == pikepdf.Name.Image:
                width, height = xobject.get("/Width"), xobject.get("/Height")
                if isinstance(width, int) and isinstance(height, int) and width * height > max_pixels:
                    raise _rejected(
                        f"page {page} has a {width}×{height} image, more than {max_pixels} pixels",
                        "image_too_large",
                        page=page,
                        width=width,
                        height=height,
                    )
            elif subtype == pikepdf.Name.Form and depth < _MAX_XOBJECT_DEPTH:
                stack.append((xobject.get("/Resources"), depth + 1))


def _read_signatures(root: pikepdf.Dictionary, found: _Findings) -> None:
    """Signed = a signature field with a value, or a certification (DocMDP) signature."""
    form = root.get("/AcroForm")
    fields = form.get("/Fields") if isinstance(form, pikepdf.Dictionary) else None
    stack: list[tuple[pikepdf.Object, pikepdf.Object | None, bool]] = []
    if isinstance(fields, pikepdf.Array):
        stack.extend((item, None, False) for item in fields)
    seen: set[tuple[int, int]] = set()
    empty_field = False
    visited = 0
    while stack and visited < _MAX_FIELDS:
        node, inherited_type, inherited_value = stack.pop()
        if not isinstance(node, pikepdf.Dictionary) or node.objgen in seen:
            continue
        if node.objgen != (0, 0):
            seen.add(node.objgen)
        visited += 1
        field_type = node.get("/FT", inherited_type)
        has_value = inherited_value or isinstance(node.get("/V"), pikepdf.Dictionary)
        kids = node.get("/Kids")
        if field_type == pikepdf.Name.Sig:
            found.signed = found.signed or has_value
            empty_field = empty_field or (not has_value and not isinstance(kids, pikepdf.Array))
        if isinstance(kids, pikepdf.Array):
            stack.extend((kid, field_type, has_value) for kid in kids)
    if empty_field:
        found.notes.append("empty signature field")
    perms = root.get("/Perms")
    certification = perms.get("/DocMDP") if isinstance(perms, pikepdf.Dictionary) else None
    if isinstance(certification, pikepdf.Dictionary):
        found.signed = True
        level = _docmdp_level(certification)
        found.notes.append("certified_no_changes" if level == 1 else f"certified: DocMDP P={level}")


def _docmdp_level(signature: pikepdf.Dictionary) -> int:
    references = signature.get("/Reference")
    if isinstance(references, pikepdf.Array):
        for reference in list(references)[:16]:
            if not isinstance(reference, pikepdf.Dictionary):
                continue
            if reference.get("/TransformMethod") != pikepdf.Name.DocMDP:
                continue
            params = reference.get("/TransformParams")
            level = params.get("/P", 2) if isinstance(params, pikepdf.Dictionary) else 2
            return level if isinstance(level, int) and level in (1, 2, 3) else 2
    return 2  # the default permission level when /P is absent


def _read_features(pdf: pikepdf.Pdf, root: pikepdf.Dictionary, found: _Findings) -> None:
    if pdf.is_encrypted:
        found.notes.append("encrypted: opens without a password (owner password only)")
    names = root.get("/Names")
    name_trees = set(names.keys()) if isinstance(names, pikepdf.Dictionary) else set()
    javascript = "/JavaScript" in name_trees or _has_javascript_action(root.get("/AA"))
    javascript = javascript or _is_javascript(root.get("/OpenAction"))
    if javascript and _JAVASCRIPT_NOTE not in found.notes:
        found.notes.append(_JAVASCRIPT_NOTE)
    if "/EmbeddedFiles" in name_trees:
        found.notes.append("embedded files present (not processed)")
        found.active("embedded_file")
        _read_attachment_names(names.get("/EmbeddedFiles"), found)
    if "/JavaScript" in name_trees:
        found.active("javascript")
    for actions in (root.get("/OpenAction"), *_trigger_actions(root.get("/AA"))):
        _read_action(actions, found)
    form = root.get("/AcroForm")
    if isinstance(form, pikepdf.Dictionary) and "/XFA" in form:
        found.notes.append("static XFA form (its AcroForm pages are used)")
        found.active("xfa")
    _read_field_actions(form, found)


def _trigger_actions(triggers: pikepdf.Object | None) -> list[pikepdf.Object]:
    """The actions of an ``/AA`` dictionary (open, close, keystroke, calculate...), bounded."""
    if not isinstance(triggers, pikepdf.Dictionary):
        return []
    return [action for _, action in list(triggers.items())[:_MAX_ACTIONS]]


def _read_action(action: pikepdf.Object | None, found: _Findings) -> None:
    """One action and its ``/Next`` chain (a dictionary or an array of them), cycle-safe and bounded."""
    stack: list[pikepdf.Object | None] = [action]
    seen: set[tuple[int, int]] = set()
    steps = 0
    while stack and steps < _MAX_ACTION_CHAIN:
        current = stack.pop()
        if isinstance(current, pikepdf.Array):
            stack.extend(list(current)[:_MAX_ACTIONS])
            continue
        if not isinstance(current, pikepdf.Dictionary) or (current.objgen != (0, 0) and current.objgen in seen):
            continue
        if current.objgen != (0, 0):
            seen.add(current.objgen)
        steps += 1
        kind = _ACTIVE_ACTIONS.get(str(current.get("/S", "")))
        if kind is not None:
            found.active(kind)
        elif current.get("/S") == pikepdf.Name.Rendition and "/JS" in current:
            found.active("javascript")  # a rendition action may carry a script of its own
        stack.append(current.get("/Next"))


def _read_page_actions(page: pikepdf.Dictionary, found: _Findings) -> None:
    """A page's own triggers, and its annotations' actions, triggers and attached files."""
    for action in _trigger_actions(page.get("/AA")):
        _read_action(action, found)
    annotations = page.get("/Annots")
    if not isinstance(annotations, pikepdf.Array):
        return
    for annotation in list(annotations)[:_MAX_ANNOTATIONS]:
        if not isinstance(annotation, pikepdf.Dictionary):
            continue
        _read_action(annotation.get("/A"), found)
        for action in _trigger_actions(annotation.get("/AA")):
            _read_action(action, found)
        if str(annotation.get("/Subtype", "")) in _MULTIMEDIA_ANNOTATIONS:
            found.active("multimedia")
        if annotation.get("/Subtype") == pikepdf.Name.FileAttachment:
            found.active("embedded_file")
            _read_file_spec(annotation.get("/FS"), found)


def _tree_nodes(roots: Iterable[pikepdf.Object | None]) -> Iterator[pikepdf.Dictionary]:
    """Each dictionary of a ``/Kids`` tree once, parents before their kids, at most ``_MAX_FIELDS``
    of them: a hostile file may loop its ``/Kids`` or nest millions of nodes."""
    stack = list(roots)
    seen: set[tuple[int, int]] = set()
    while stack and len(seen) < _MAX_FIELDS:
        node = stack.pop()
        if not isinstance(node, pikepdf.Dictionary) or node.objgen in seen:
            continue
        seen.add(node.objgen)
        yield node
        kids = node.get("/Kids")
        if isinstance(kids, pikepdf.Array):
            stack.extend(list(kids)[:_MAX_FIELDS])


def _read_field_actions(form: pikepdf.Object | None, found: _Findings) -> None:
    """Triggers of form fields (keystroke, format, validate, calculate scripts), widgets included."""
    fields = form.get("/Fields") if isinstance(form, pikepdf.Dictionary) else None
    if not isinstance(fields, pikepdf.Array):
        return
    for node in _tree_nodes(fields):
        _read_action(node.get("/A"), found)
        for action in _trigger_actions(node.get("/AA")):
            _read_action(action, found)


def _read_attachment_names(tree: pikepdf.Object | None, found: _Findings) -> None:
    """The file specifications of an ``/EmbeddedFiles`` name tree (``/Names`` pairs, ``/Kids``)."""
    for node in _tree_nodes([tree]):
        pairs = node.get("/Names")
        if isinstance(pairs, pikepdf.Array):
            for spec in list(pairs)[1::2][:_MAX_FIELDS]:
                _read_file_spec(spec, found)


def _read_file_spec(spec: pikepdf.Object | None, found: _Findings) -> None:
    if not isinstance(spec, pikepdf.Dictionary):
        return
    for key in ("/UF", "/F"):
        name = spec.get(key)
        if isinstance(name, pikepdf.String) and Path(str(name).lower()).suffix in _EXECUTABLE_SUFFIXES:
            found.active("embedded_executable")
            return


def _has_javascript_action(actions: pikepdf.Object | None) -> bool:
    if not isinstance(actions, pikepdf.Dictionary):
        return False
    return any(_is_javascript(action) for _, action in list(actions.items())[:_MAX_ACTIONS])


def _is_javascript(action: pikepdf.Object | None) -> bool:
    return isinstance(action, pikepdf.Dictionary) and action.get("/S") == pikepdf.Name.JavaScript


def _repair_note(path: Path, recovered: bool, warnings: list[str]) -> str | None:
    messages: list[str] = []
    for warning in warnings:
        message = warning.replace(str(path), "").strip(" :,")[:_MAX_NOTE_MESSAGE]
        if message.lower() not in _GENERIC_WARNINGS and message not in messages:
            messages.append(message)
    if not recovered and not messages:
        return None
    note = "repaired: xref table rebuilt" if recovered else "repaired"
    if messages:
        more = f"; +{len(messages) - 3} more" if len(messages) > 3 else ""
        note += f" ({'; '.join(messages[:3])}{more})"
    return note


def _read_text_layer(path: Path, found: _Findings) -> None:
    """Look for extractable text on the first pages only.

    The first pages are copied by qpdf into a small clean PDF (decrypted, repaired, junk-free)
    so that pdfminer never parses the original bytes, which it handles far less robustly.
    """
    try:
        with _deadline(_TEXT_SECONDS):
            sample = BytesIO()
            with pikepdf.open(path) as source, pikepdf.new() as copy:
                for page in list(source.pages)[:_TEXT_PAGES]:
                    copy.pages.append(page)
                # Stored as they are: recompressing a huge image here would cost seconds for nothing.
                copy.save(sample, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
            sample.seek(0)
            found.has_text_layer = _has_text(sample)
    except _OutOfTime:
        found.notes.append("text layer not checked: time budget exceeded")
    except MemoryError:
        raise
    except Exception as exc:
        # pdfminer raises dozens of exception types on odd content; none should reject the file,
        # which qpdf has already validated: OCR will read the pages instead.
        found.notes.append(f"text layer not checked: {type(exc).__name__}")


def _has_text(sample: BytesIO) -> bool:
    manager = PDFResourceManager(caching=False)
    device = PDFPageAggregator(manager, laparams=None)  # no layout analysis: only chars are needed
    interpreter = PDFPageInterpreter(manager, device)
    for page in PDFPage.get_pages(sample, maxpages=_TEXT_PAGES):
        interpreter.process_page(page)
        containers: list[LTContainer[Any]] = [device.get_result()]
        while containers:
            for item in containers.pop():
                if isinstance(item, LTChar) and item.get_text().isalnum():
                    return True
                if isinstance(item, LTContainer):
                    containers.append(item)
    return False


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: FrameType | None) -> None:
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
