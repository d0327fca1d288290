"""Small builders shared by tests."""

from __future__ import annotations

from dataclasses import dataclass

from app.vault import Vault
from app.vault.documents import store_document


@dataclass(frozen=True)
class TextPage:
    number: int
    text: str | None
    image: bytes | None = None
    image_media_type: str | None = None


def add_text_documents(vault: Vault, count: int, start: int = 0, words: str = "") -> list[int]:
    """Store `count` one-page text documents, each in its own transaction."""
    ids = []
    for n in range(start, start + count):
        text = f"document {n} {words}".strip()
        with vault.transaction() as tx:
            document_id, _ = store_document(
                tx,
                name=f"{n}.txt",
                media_type="text/plain",
                content=text.encode(),
                pages=[TextPage(1, text)],
            )
        ids.append(document_id)
    return ids
