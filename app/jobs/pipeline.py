"""The three jobs over documents in the vault, each recorded with its provenance and audit events.

A job writes `job.start`, then either its result and `job.finish` in one transaction, or
`job.cancel` / `job.fail`. Nothing partial is ever stored: a cancelled job leaves no result.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from app import __version__, ingest, ocr
from app.cancel import CancelToken
from app.errors import Cancelled, FieldscribeError
from app.jobs.extract_fields import extract_fields
from app.jobs.results import Result, content_sha256, get_result, latest_result, store_result
from app.jobs.summarize_text import summarize_text
from app.jobs.templates import get_template
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
    document = ingest.load_document(path, progress=progress, cancel=cancel)
    with vault.transaction() as tx:
        document_id, _ = store_document(
            tx,
            name=Path(document.source).name,
            media_type=document.media_type,
            content=document.content,
            pages=document.pages,
        )
    return document_id


def page_images(vault: Vault, document_id: int) -> list[tuple[int, bytes | None, str | None]]:
    """(page number, encoded image or None, its media type) for every page of a document."""
    return [
        tuple(row)
        for row in vault.query(
            "SELECT number, image, image_media_type FROM pages WHERE document_id = ?"
            " ORDER BY number",
            (document_id,),
        )
    ]


@contextlib.contextmanager
def _job(vault: Vault, kind: str, document_id: int, details: dict[str, Any]) -> Iterator[str]:
    """Audit a job's start, and its cancel or failure; the body stores the result (`_finish`)."""
    job_id = uuid.uuid4().hex
    with vault.transaction() as tx:
        tx.audit("job.start", "document", document_id, {"job": job_id, "kind": kind, **details})
    try:
        yield job_id
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
    vault: Vault, job_id: str, document_id: int, kind: str, content: dict, provenance: dict
) -> Result:
    provenance = {"fieldscribe": __version__, "job": job_id, **provenance}
    with vault.transaction() as tx:
        result_id = store_result(
            tx, document_id=document_id, kind=kind, content=content, provenance=provenance
        )
        tx.audit(
            "job.finish",
            "result",
            result_id,
            {
                "job": job_id,
                "kind": kind,
                "document": document_id,
                "content_sha256": content_sha256(content),
            },
        )
    return get_result(vault, result_id)


def _text_layer_lines(text: str) -> list[dict[str, Any]]:
    return [
        {"text": line, "confidence": 1.0, "box": None, "needs_review": False}
        for line in text.splitlines()
        if line.strip()
    ]


def digitize(
    vault: Vault,
    document_id: int,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Result:
    """Text for every page: a page's own text layer when it has one, OCR for images."""
    progress = progress or _no_progress
    cancel = cancel or CancelToken()
    rows = vault.query(
        "SELECT number, text, image FROM pages WHERE document_id = ? ORDER BY number",
        (document_id,),
    )
    with _job(vault, "digitize", document_id, {"pages": len(rows)}) as job_id:
        pages = []
        ocr_engine = None
        for done, (number, text, image) in enumerate(rows):
            cancel.raise_if_cancelled()
            progress(done, len(rows), f"Reading page {number} of {len(rows)}")
            if text and text.strip():
                pages.append({"page": number, "text": text, "lines": _text_layer_lines(text)})
            elif image is not None:
                page = ocr.recognize(image, cancel=cancel)
                ocr_engine = page.engine
                lines = [asdict(line) for line in page.lines]
                pages.append({"page": number, "text": page.text, "lines": lines})
            else:
                pages.append({"page": number, "text": "", "lines": []})
        progress(len(rows), len(rows), "Saving")
        content = {"text": "\n\n".join(p["text"] for p in pages if p["text"]), "pages": pages}
        provenance = {"ocr": ocr_engine, "pages": len(rows)}
        return _finish(vault, job_id, document_id, "digitize", content, provenance)


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
    if digitized is None:
        digitized = digitize(vault, document_id, progress=progress, cancel=cancel)
    if digitized.revision > 1:  # the user corrected the text as a whole
        return digitized.content["text"], digitized
    text = PAGE_BREAK.join(page["text"] for page in digitized.content["pages"])
    return text, digitized


def summarize(
    vault: Vault,
    engine,
    document_id: int,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    on_token: TokenCallback | None = None,
) -> Result:
    """Section-by-section summary citing its sections, with ungrounded facts listed."""
    text, digitized = document_text(vault, document_id, progress=progress, cancel=cancel)
    with _job(vault, "summarize", document_id, {"source_result": digitized.result_id}) as job_id:
        summary = summarize_text(text, engine, progress=progress, cancel=cancel, on_token=on_token)
        content = {
            "summary": summary.summary,
            "sections": summary.sections,
            "ungrounded": summary.ungrounded,
        }
        provenance = {
            **summary.provenance,
            "source_result": digitized.result_id,
            "source_revision": digitized.revision,
        }
        return _finish(vault, job_id, document_id, "summarize", content, provenance)


def extract(
    vault: Vault,
    engine,
    document_id: int,
    template_name: str,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Result:
    """Fill a template's fields, each with its evidence and whether it is grounded and valid."""
    template = get_template(vault, template_name)
    text, digitized = document_text(vault, document_id, progress=progress, cancel=cancel)
    details = {"template_sha256": template.sha256, "source_result": digitized.result_id}
    with _job(vault, "extract", document_id, details) as job_id:
        fields, provenance = extract_fields(
            text, template.schema, engine, progress=progress, cancel=cancel
        )
        content = {
            "template": template.name,
            "fields": {name: asdict(field) for name, field in fields.items()},
        }
        provenance = {
            **provenance,
            "template": template.name,
            "template_sha256": template.sha256,
            "source_result": digitized.result_id,
            "source_revision": digitized.revision,
        }
        return _finish(vault, job_id, document_id, "extract", content, provenance)
