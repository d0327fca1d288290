"""The three jobs over documents in the vault, each recorded with its provenance and audit events.

A job writes `job.start`, then either its result and `job.finish` in one transaction, or
`job.cancel` / `job.fail`. Running a job again on a document adds a revision to its result, never
a new result over it; the user's corrections are carried onto the new output unless asked not to.
A cancelled digitize keeps the pages it finished (with `job.cancel`, in one transaction) and marks
the rest pending: the next digitize reads only those. Other cancelled jobs store nothing.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app import __version__, ingest, ocr
from app.cancel import CancelToken
from app.errors import Cancelled, FieldscribeError
from app.ingest.limits import MAX_FILE_BYTES
from app.jobs.extract import extract_fields
from app.jobs.extract.layout import unsure_spans
from app.jobs.fieldparse import DATE_ORDER_SETTING, default_date_order
from app.jobs.grounding import read_unsurely
from app.jobs.results import (
    JOB,
    Result,
    add_revision,
    content_sha256,
    get_result,
    is_corrected,
    latest_job_revision,
    latest_result,
    made_by_job,
    revisions,
    store_result,
)
from app.jobs.summarize_text import summarize_text
from app.jobs.templates import Template, get_template
from app.vault import Vault
from app.vault.documents import store_document

log = logging.getLogger("fieldscribe.jobs")

Progress = Callable[[int, int, str], None]
TokenCallback = Callable[[str], None]

# Pages are joined with a form feed so that sectioning can see where pages break.
PAGE_BREAK = "\n\f\n"


def _no_progress(done: int, total: int, message: str) -> None:
    pass


def import_document(
    vault: Vault,
    path: str | Path,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> int:
    """Read a file (refusing bad input with one sentence) and store it once; its document id."""
    stored = _stored_document(vault, path)
    if stored is not None:
        return stored[0]  # these exact bytes were read and stored before: nothing to parse
    # PDFs and images are parsed in the OCR worker process, under a hard deadline.
    document = ingest.load_document(path, progress=progress, cancel=cancel, parser=ocr.parse_pages)
    with vault.transaction() as tx:
        document_id, _ = store_document(
            tx,
            name=Path(document.source).name,
            media_type=document.media_type,
            content=document.content,
            pages=document.pages,
        )
    return document_id


def stored_copy(vault: Vault, path: str | Path) -> str | None:
    """The name under which a file's exact bytes are already in the vault, if they are."""
    stored = _stored_document(vault, path)
    return stored[1] if stored else None


def _stored_document(vault: Vault, path: str | Path) -> tuple[int, str] | None:
    """The id and name of the stored document with this file's exact bytes, if there is one.
    A file that cannot be read, or is over the size limit, is left to the import to refuse."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size > MAX_FILE_BYTES:
                return None
            while chunk := file.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    rows = vault.query("SELECT id, name FROM documents WHERE sha256 = ?", (digest.hexdigest(),))
    return (rows[0][0], rows[0][1]) if rows else None


@dataclass(frozen=True)
class PageToShow:
    """What the window can show of a page beside its text."""

    number: int
    image: bytes | None  # a scan, a photo, or a PDF page that had no text layer
    text: str | None  # the page's own text layer (PDF, DOCX, plain text)
    renderable: bool  # a PDF page with a text layer: `render_pdf_page` draws it


def pages_to_show(vault: Vault, document_id: int) -> list[PageToShow]:
    rows = vault.query(
        "SELECT p.number, p.image, p.text, d.media_type FROM pages p"
        " JOIN documents d ON d.id = p.document_id WHERE p.document_id = ? ORDER BY p.number",
        (document_id,),
    )
    return [
        PageToShow(number, image, text, image is None and media_type == "application/pdf")
        for number, image, text, media_type in rows
    ]


def _original(vault: Vault, document_id: int) -> tuple[bytes, str]:
    ((content, name),) = vault.query(
        "SELECT content, name FROM documents WHERE id = ?", (document_id,)
    )
    return content, name


def render_pdf_page(vault: Vault, document_id: int, number: int) -> bytes:
    """A page of a stored PDF drawn as a PNG (for pages whose text layer was read instead)."""
    content, name = _original(vault, document_id)
    return ocr.render_pdf_page(content, number, name)  # pdfium runs in the worker process


def passage_boxes(vault: Vault, document_id: int, passage: str) -> list[tuple[int, tuple]]:
    """Where a passage of the document's text is on its pages: (page number, box in the pixels
    of the image shown for that page). OCR lines give their boxes; PDF text layers are searched
    line by line. Empty when the text has no known place (DOCX, plain text, edited text)."""
    needles = [" ".join(line.split()) for line in passage.splitlines()]
    needles = [needle for needle in needles if len(needle) >= 3]
    digitized = latest_result(vault, document_id, "digitize")
    if not needles or digitized is None:
        return []
    boxes: list[tuple[int, tuple]] = []
    pdf_pages_to_search = []
    for page in digitized.content["pages"]:
        for line in page.get("lines", []):
            text = " ".join(line["text"].split()).casefold()
            if line.get("box") and any(
                needle.casefold() in text or (len(text) >= 3 and text in needle.casefold())
                for needle in needles
            ):
                boxes.append((page["page"], tuple(line["box"])))
        if page.get("lines") and not any(line.get("box") for line in page["lines"]):
            pdf_pages_to_search.append(page["page"])
    shown = {p.number: p for p in pages_to_show(vault, document_id)}
    pdf_pages_to_search = [n for n in pdf_pages_to_search if n in shown and shown[n].renderable]
    if pdf_pages_to_search:
        content, name = _original(vault, document_id)
        for number in pdf_pages_to_search:
            for needle in needles:
                found = ocr.find_pdf_text(content, number, needle, name)
                boxes += [(number, box) for box in found]
    return boxes


class _CancelRecorded(Cancelled):
    """A cancel whose `job.cancel` event was written already, with the work it kept."""


@contextlib.contextmanager
def _job(vault: Vault, kind: str, document_id: int, details: dict[str, Any]) -> Iterator[str]:
    """Audit a job's start, and its cancel or failure; the body stores the result (`_finish`)."""
    job_id = uuid.uuid4().hex
    with vault.transaction() as tx:
        tx.audit("job.start", "document", document_id, {"job": job_id, "kind": kind, **details})
    try:
        yield job_id
    except _CancelRecorded:
        raise
    except (Cancelled, KeyboardInterrupt):
        _audit_end(vault, "job.cancel", document_id, {"job": job_id, "kind": kind}, "cancelled")
        raise
    except Exception as exc:
        reason = {"job": job_id, "kind": kind, "error": type(exc).__name__}
        _audit_end(vault, "job.fail", document_id, reason, "failed")
        raise


def _audit_end(vault: Vault, action: str, document_id: int, details: dict, outcome: str) -> None:
    # The job already failed; if the vault can't take the event either (locked, damaged),
    # the original error is the one the user needs to see.
    try:
        with vault.transaction() as tx:
            tx.audit(action, "document", document_id, details, outcome)
    except FieldscribeError:
        log.warning("could not record %s for document %d", action, document_id)


def _finish(
    vault: Vault,
    job_id: str,
    document_id: int,
    kind: str,
    content: dict,
    provenance: dict,
    *,
    previous: Result | None = None,
    action: str = "job.finish",
    details: dict | None = None,
    made_by: dict | None = None,
) -> Result:
    """Store a job's output: a new result, or the next revision of `previous` (the same job's
    earlier result for this document), with its audit event in the same transaction."""
    provenance = {"fieldscribe": __version__, "job": job_id, **provenance}
    with vault.transaction() as tx:
        if previous is None:
            result_id = store_result(
                tx, document_id=document_id, kind=kind, content=content, provenance=provenance
            )
            revision = 1
        else:
            result_id = previous.result_id
            what = {**made_by_job(kind, provenance), "job": job_id, **(made_by or {})}
            revision = add_revision(tx, result_id, content, JOB, what)
        tx.audit(
            action,
            "result",
            result_id,
            {
                "job": job_id,
                "kind": kind,
                "document": document_id,
                "revision": revision,
                "content_sha256": content_sha256(content),
                **(details or {}),
            },
            "cancelled" if action == "job.cancel" else "ok",
        )
    return get_result(vault, result_id)


def carry_corrections(base: str, corrected: str, new: str) -> str:
    """The new text with the user's corrections applied: lines the user changed in `base` (what
    the job had written) keep the user's version; the rest comes from `new`. Where both changed
    the same lines, the user's version wins."""
    base_lines, ours, theirs = (t.splitlines(keepends=True) for t in (base, corrected, new))

    def changes(other: list[str]) -> list[tuple[int, int, list[str]]]:
        matcher = difflib.SequenceMatcher(None, base_lines, other, autojunk=False)
        return [
            (i1, i2, other[j1:j2])
            for tag, i1, i2, j1, j2 in matcher.get_opcodes()
            if tag != "equal"
        ]

    user_changes = changes(ours)

    def overlaps_user(i1: int, i2: int) -> bool:
        return any(u1 <= i2 and i1 <= u2 for u1, u2, _ in user_changes)

    chosen = user_changes + [c for c in changes(theirs) if not overlaps_user(c[0], c[1])]
    merged, position = [], 0
    for i1, i2, lines in sorted(chosen, key=lambda change: (change[0], change[1])):
        merged += base_lines[position:i1] + lines
        position = max(position, i2)
    merged += base_lines[position:]
    return "".join(merged)


def _text_layer_lines(text: str) -> list[dict[str, Any]]:
    return [
        {"text": line, "confidence": 1.0, "box": None, "needs_review": False}
        for line in text.splitlines()
        if line.strip()
    ]


def pending_pages(content: dict[str, Any]) -> list[int]:
    """The pages a cancelled digitize did not reach (empty when every page was read)."""
    return [page["page"] for page in content.get("pages", []) if page.get("pending")]


def _joined_text(pages: list[dict[str, Any]]) -> str:
    return "\n\n".join(page["text"] for page in pages if page["text"])


def text_is_corrected(content: dict[str, Any]) -> bool:
    """Whether the user corrected a digitize revision's text (its pages hold what was read)."""
    return content["text"] != _joined_text(content["pages"])


def digitize(
    vault: Vault,
    document_id: int,
    *,
    keep_corrections: bool = True,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Result:
    """Text for every page: a page's own text layer when it has one, OCR for images.

    A document read before gets the next revision of its text: pages left pending by a
    cancelled run are read and the finished ones kept (resume); a complete text is read again.
    With `keep_corrections`, the user's corrections are carried onto the new reading; without,
    the new reading becomes current (the corrected revision stays in the history). On cancel,
    the pages finished so far are stored and the rest marked pending, then Cancelled is raised.
    """
    progress = progress or _no_progress
    cancel = cancel or CancelToken()
    rows = vault.query(
        "SELECT number, text, image FROM pages WHERE document_id = ? ORDER BY number",
        (document_id,),
    )
    previous = latest_result(vault, document_id, "digitize")
    kept: dict[int, dict] = {}
    if previous is not None and pending_pages(previous.content):  # resume: keep the pages read
        kept = {p["page"]: p for p in previous.content["pages"] if not p.get("pending")}
    details = {"pages": len(rows), "resumed_pages": len(kept)} if kept else {"pages": len(rows)}
    with _job(vault, "digitize", document_id, details) as job_id:
        pages: list[dict[str, Any]] = []
        ocr_engine = previous.provenance.get("ocr") if kept and previous else None
        try:
            for done, (number, text, image) in enumerate(rows):
                cancel.raise_if_cancelled()
                progress(done, len(rows), f"Reading page {number} of {len(rows)}")
                if number in kept:
                    pages.append(kept[number])
                elif text and text.strip():
                    pages.append({"page": number, "text": text, "lines": _text_layer_lines(text)})
                elif image is not None:
                    page = ocr.recognize(image, cancel=cancel)
                    ocr_engine = page.engine
                    lines = [asdict(line) for line in page.lines]
                    pages.append({"page": number, "text": page.text, "lines": lines})
                else:
                    pages.append({"page": number, "text": "", "lines": []})
        except Cancelled:
            finished = len(pages) - len(kept)
            if finished == 0:
                raise  # nothing new to keep: recorded as a plain cancel
            pending = [{"page": n, "text": "", "lines": [], "pending": True}
                       for n, _, _ in rows[len(pages):]]  # fmt: skip
            _store_reading(
                vault, job_id, document_id, pages + pending, ocr_engine, previous,
                keep_corrections, action="job.cancel",
                details={"pages_done": len(pages), "pages_pending": len(pending)},
            )  # fmt: skip
            raise _CancelRecorded() from None
        progress(len(rows), len(rows), "Saving")
        return _store_reading(
            vault, job_id, document_id, pages, ocr_engine, previous, keep_corrections
        )


def _store_reading(
    vault: Vault,
    job_id: str,
    document_id: int,
    pages: list[dict[str, Any]],
    ocr_engine: str | None,
    previous: Result | None,
    keep_corrections: bool,
    **finish: Any,
) -> Result:
    # A revision's pages are always what was read; its text differs where the user corrected.
    text = _joined_text(pages)
    keep = previous is not None and keep_corrections and has_corrections(vault, previous)
    if keep:
        read_before = _joined_text(previous.content["pages"])
        text = carry_corrections(read_before, previous.content["text"], text)
    content = {"text": text, "pages": pages}
    provenance = {"ocr": ocr_engine, "pages": len(pages)}
    return _finish(
        vault, job_id, document_id, "digitize", content, provenance, previous=previous,
        made_by={"kept_corrections": True} if keep else None, **finish,
    )  # fmt: skip


def document_text(
    vault: Vault,
    document_id: int,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> tuple[str, Result]:
    """The document's text, pages joined by a form feed: the latest digitize revision (the
    user's corrections included), digitizing first when there is none."""
    digitized = latest_result(vault, document_id, "digitize")
    if digitized is None or pending_pages(digitized.content):
        digitized = digitize(vault, document_id, progress=progress, cancel=cancel)
    if text_is_corrected(digitized.content):  # by the user, as a whole
        return digitized.content["text"], digitized
    return PAGE_BREAK.join(page["text"] for page in digitized.content["pages"]), digitized


def summarize(
    vault: Vault,
    engine,
    document_id: int,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    on_token: TokenCallback | None = None,
) -> Result:
    """Section-by-section summary citing its sections, with ungrounded facts listed, and the
    facts a scan states only on lines the OCR read unsurely."""
    text, digitized = document_text(vault, document_id, progress=progress, cancel=cancel)
    previous = latest_result(vault, document_id, "summarize")
    with _job(vault, "summarize", document_id, {"source_result": digitized.result_id}) as job_id:
        summary = summarize_text(text, engine, progress=progress, cancel=cancel, on_token=on_token)
        content = {
            "summary": summary.summary,
            "sections": summary.sections,
            "ungrounded": summary.ungrounded,
            "read_unsurely": read_unsurely(
                summary.summary, text, unsure_spans(text, digitized.content["pages"])
            ),
        }
        provenance = {
            **summary.provenance,
            "source_result": digitized.result_id,
            "source_revision": digitized.revision,
        }
        return _finish(
            vault, job_id, document_id, "summarize", content, provenance, previous=previous
        )


def extract(
    vault: Vault,
    engine,
    document_id: int,
    template_name: str | Template,
    *,
    keep_corrections: bool = True,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    date_order: str | None = None,
) -> Result:
    """Fill a template's fields, each with its evidence and whether it is grounded and valid.

    `template_name` is a bundled or saved template's name, or a `Template` (a schema file given
    by its path). Ambiguous dates are read in `date_order` (default: the OS locale's) unless the
    template sets `x-date-order`. Filling the same template again adds a revision; with
    `keep_corrections` every field the user corrected keeps the user's value."""
    template = (
        template_name if isinstance(template_name, Template) else get_template(vault, template_name)
    )
    text, digitized = document_text(vault, document_id, progress=progress, cancel=cancel)
    previous = latest_extract(vault, document_id, template.name)
    details = {"template_sha256": template.sha256, "source_result": digitized.result_id}
    with _job(vault, "extract", document_id, details) as job_id:
        fields, provenance = extract_fields(
            text,
            template.schema,
            engine,
            progress=progress,
            cancel=cancel,
            pages=digitized.content["pages"],  # OCR boxes: forms are read by their geometry
            date_order=date_order or vault.get_setting(DATE_ORDER_SETTING) or default_date_order(),
        )
        filled = {name: asdict(field) for name, field in fields.items()}
        kept = corrected_fields(vault, previous) if previous and keep_corrections else {}
        filled.update(kept)
        content = {"template": template.name, "fields": filled}
        provenance = {
            **provenance,
            "template": template.name,
            "template_sha256": template.sha256,
            "source_result": digitized.result_id,
            "source_revision": digitized.revision,
        }
        return _finish(
            vault, job_id, document_id, "extract", content, provenance,
            previous=previous,
            made_by={"kept_fields": sorted(kept), "kept_corrections": True} if kept else None,
        )  # fmt: skip


def latest_extract(vault: Vault, document_id: int, template_name: str) -> Result | None:
    """The newest revision of the document's newest result for this template."""
    for (result_id,) in vault.query(
        "SELECT id FROM results WHERE document_id = ? AND kind = 'extract' ORDER BY id DESC",
        (document_id,),
    ):
        result = get_result(vault, result_id)
        if result.content.get("template") == template_name:
            return result
    return None


def corrected_fields(vault: Vault, result: Result) -> dict[str, dict]:
    """The fields whose value the user set: typed or accepted (source "user"), changed since
    the job last wrote them, or kept from the user's corrections by that job."""
    job_revision = latest_job_revision(vault, result.result_id)
    written = job_revision.content.get("fields", {})
    (made_by,) = [r.made_by for r in revisions(vault, result.result_id)
                  if r.revision == job_revision.revision]  # fmt: skip
    kept = set(made_by.get("kept_fields", []))
    return {
        name: field
        for name, field in result.content.get("fields", {}).items()
        if name in kept
        or name not in written
        or field.get("source") == "user"
        or written[name].get("value") != field.get("value")
    }


def has_corrections(vault: Vault, result: Result) -> bool:
    """Whether the result holds corrections by the user that running its job again could
    replace: corrected text, values the user set, or a summary the user edited."""
    if result.kind == "digitize":
        return text_is_corrected(result.content)
    if result.kind == "extract":
        return bool(corrected_fields(vault, result))
    return is_corrected(vault, result)
