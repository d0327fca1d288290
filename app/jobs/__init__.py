"""The jobs users come for — digitize, summarize, extract — and the runner that queues them."""

from app.jobs.exports import export_result, record_export
from app.jobs.pipeline import (
    digitize,
    document_text,
    extract,
    import_document,
    page_images,
    summarize,
)
from app.jobs.results import Result, edit_result, get_result, latest_result, revisions

__all__ = [
    "Result",
    "digitize",
    "document_text",
    "edit_result",
    "export_result",
    "extract",
    "get_result",
    "import_document",
    "latest_result",
    "page_images",
    "record_export",
    "revisions",
    "summarize",
]
