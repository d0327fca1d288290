"""The jobs users come for — digitize, summarize, extract — and the runner that queues them."""

from app.jobs.exports import export_result, record_export
from app.jobs.pipeline import (
    digitize,
    document_text,
    extract,
    import_document,
    page_images,
    pending_pages,
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
    "page_images",
    "pending_pages",
    "record_export",
    "restore_revision",
    "revisions",
    "summarize",
]
