"""Documents, their pages and full-text search, stored inside the vault."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from app.audit.events import utc_now
from app.vault.vault import Transaction, Vault


class PageLike(Protocol):
    number: int
    text: str | None
    image: bytes | None
    image_media_type: str | None


@dataclass(frozen=True)
class StoredDocument:
    id: int
    name: str
    media_type: str
    sha256: str
    size: int
    created_utc: str
    page_count: int
    case_id: int | None  # None: in no case


@dataclass(frozen=True)
class SearchHit:
    document_id: int
    document_name: str
    page_number: int | None
    result_id: int | None
    snippet: str


def store_document(
    tx: Transaction, *, name: str, media_type: str, content: bytes, pages: Iterable[PageLike]
) -> tuple[int, bool]:
    """Store a document once (by SHA-256). Returns its id and whether it was new."""
    sha256 = hashlib.sha256(content).hexdigest()
    existing = tx.execute("SELECT id FROM documents WHERE sha256 = ?", (sha256,)).fetchone()
    if existing:
        return existing[0], False
    document_id = tx.execute(
        "INSERT INTO documents (name, media_type, sha256, size, content, created_utc)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (name, media_type, sha256, len(content), content, utc_now()),
    ).lastrowid
    page_count = 0
    for page in pages:
        tx.execute(
            "INSERT INTO pages (document_id, number, text, image, image_media_type)"
            " VALUES (?, ?, ?, ?, ?)",
            (document_id, page.number, page.text, page.image, page.image_media_type),
        )
        if page.text:
            index_text(tx, page.text, document_id=document_id, page_number=page.number)
        page_count += 1
    # The name can identify a patient or a site: the audit log keeps only ids and hashes.
    tx.audit(
        "document.import",
        "document",
        document_id,
        {"sha256": sha256, "size": len(content), "media_type": media_type, "pages": page_count},
    )
    return document_id, True


def index_text(
    tx: Transaction,
    text: str,
    *,
    document_id: int,
    page_number: int | None = None,
    result_id: int | None = None,
) -> None:
    tx.execute(
        "INSERT INTO search_index (text, document_id, page_number, result_id) VALUES (?, ?, ?, ?)",
        (text, document_id, page_number, result_id),
    )


def list_documents(vault: Vault) -> list[StoredDocument]:
    rows = vault.query(
        "SELECT d.id, d.name, d.media_type, d.sha256, d.size, d.created_utc,"
        " (SELECT count(*) FROM pages p WHERE p.document_id = d.id), d.case_id"
        " FROM documents d ORDER BY d.id"
    )
    return [StoredDocument(*row) for row in rows]


def record_view(vault: Vault, document_id: int) -> None:
    """Audit that the user opened a document: once per opening, not per repaint."""
    with vault.transaction() as tx:
        tx.audit("document.view", "document", document_id)


def fts_query(text: str) -> str:
    """The user's words as an FTS5 query: every word must occur; `word*` matches a prefix.

    Each word is quoted, so punctuation and FTS operators in what people type are just text.
    """
    terms = []
    for word in text.split():
        prefix = word.endswith("*")
        word = word.rstrip("*")
        if word:
            terms.append('"' + word.replace('"', '""') + '"' + ("*" if prefix else ""))
    return " ".join(terms)


def search(vault: Vault, text: str, limit: int = 50, *, audited: bool = True) -> list[SearchHit]:
    """Search every page and result; audited (`search.run`) with a keyed hash of the words,
    never the words themselves: a search can name a patient. `audited=False` only for a search
    the user did not ask for again (the app refreshing the results it shows)."""
    query = fts_query(text)
    if not query:
        return []
    with vault.transaction() as tx:
        rows = tx.execute(
            "SELECT s.document_id, d.name, s.page_number, s.result_id,"
            " snippet(search_index, 0, '[', ']', '…', 12)"
            " FROM search_index s JOIN documents d ON d.id = s.document_id"
            " WHERE search_index MATCH ? ORDER BY rank LIMIT ?",
            (query, limit),
        ).fetchall()
        if audited:
            words = " ".join(text.split()).casefold()
            tx.audit("search.run", "search", "query",
                     {"query_hmac": tx.keyed_hash(words), "hits": len(rows)})  # fmt: skip
    return [SearchHit(*row) for row in rows]
