"""Cases: named groups of documents (a visit, a site, a file). A document is in at most one case.

A title can name a patient or a site, so audit events about cases carry ids only.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.audit.events import utc_now
from app.errors import BadInput
from app.vault.vault import Transaction, Vault


@dataclass(frozen=True)
class Case:
    id: int
    title: str
    created_utc: str
    document_count: int


def _checked_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise BadInput("A case needs a title.")
    return title


def _require_case(tx: Transaction, case_id: int) -> None:
    if tx.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone() is None:
        raise BadInput(f"There is no case {case_id}.")


def create_case(vault: Vault, title: str) -> int:
    title = _checked_title(title)
    with vault.transaction() as tx:
        case_id = tx.execute(
            "INSERT INTO cases (title, created_utc) VALUES (?, ?)", (title, utc_now())
        ).lastrowid
        tx.audit("case.create", "case", case_id)
    return case_id


def rename_case(vault: Vault, case_id: int, title: str) -> None:
    title = _checked_title(title)
    with vault.transaction() as tx:
        _require_case(tx, case_id)
        tx.execute("UPDATE cases SET title = ? WHERE id = ?", (title, case_id))
        tx.audit("case.update", "case", case_id)


def list_cases(vault: Vault) -> list[Case]:
    """Every case by title, with how many documents it holds."""
    rows = vault.query(
        "SELECT c.id, c.title, c.created_utc,"
        " (SELECT count(*) FROM documents d WHERE d.case_id = c.id)"
        " FROM cases c ORDER BY c.title COLLATE NOCASE, c.id"
    )
    return [Case(*row) for row in rows]


def assign_document(vault: Vault, document_id: int, case_id: int | None) -> None:
    """Put a document in a case, or in none; a document already there is left as it is."""
    with vault.transaction() as tx:
        row = tx.execute("SELECT case_id FROM documents WHERE id = ?", (document_id,)).fetchone()
        if row is None:
            raise BadInput(f"There is no document {document_id}.")
        if case_id is not None:
            _require_case(tx, case_id)
        (previous_case_id,) = row
        if previous_case_id == case_id:
            return
        tx.execute("UPDATE documents SET case_id = ? WHERE id = ?", (case_id, document_id))
        tx.audit(
            "document.assign",
            "document",
            document_id,
            {"case_id": case_id, "previous_case_id": previous_case_id},
        )
