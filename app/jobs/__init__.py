"""The jobs users come for — digitize, summarize, extract — and the runner that queues them."""

from app.jobs.exports import export_result, record_export
from app.jobs.pipeline import (
    digitize,
    document_text,
    extract,
    import_document,
    pages_to_show,
    passage_boxes,
    pending_pages,
    render_pdf_page,
    stored_copy,
    summarize,
)
from app.jobs.results import (
    Result,
    Revision,
    edit_result,
    get_result,
    get_revision,
    is_corrected,
    latest_result,
    restore_revision,
    revisions,
)

__all__ = [
    "Result",
    "Revision",
    "digitize",
    "document_text",
    "edit_result",
    "export_result",
    "extract",
    "get_result",
    "get_revision",
    "import_document",
    "is_corrected",
    "latest_result",
    "pages_to_show",
    "passage_boxes",
    "pending_pages",
    "record_export",
    "render_pdf_page",
    "restore_revision",
    "revisions",
    "stored_copy",
    "summarize",
]
