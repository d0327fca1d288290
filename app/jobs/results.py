"""Job results in the vault: revision 1 is the job's output, every edit adds a revision."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from app.audit.events import canonical_json, utc_now
from app.errors import BadInput
from app.vault import Transaction, Vault
from app.vault.documents import index_text

KINDS = ("digitize", "summarize", "extract")


@dataclass(frozen=True)
class Result:
    result_id: int
    document_id: int
    kind: str
    revision: int
    content: dict[str, Any]
    provenance: dict[str, Any]


def content_sha256(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def searchable_text(kind: str, content: dict[str, Any]) -> str:
    """The words of a result that search should find."""
    if kind == "digitize":
        return content.get("text", "")
    if kind == "summarize":
        return content.get("summary", "")
    values = (field.get("value") for field in content.get("fields", {}).values())
    return "\n".join(str(value) for value in values if value not in (None, ""))


def _reindex(tx: Transaction, result_id: int, document_id: int, kind: str, content: dict) -> None:
    tx.execute("DELETE FROM search_index WHERE result_id = ?", (result_id,))
    text = searchable_text(kind, content)
    if text:
        index_text(tx, text, document_id=document_id, result_id=result_id)


def store_result(
    tx: Transaction,
    *,
    document_id: int,
    kind: str,
    content: dict[str, Any],
    provenance: dict[str, Any],
) -> int:
    now = utc_now()
    result_id = tx.execute(
        "INSERT INTO results (document_id, kind, provenance_json, created_utc)"
        " VALUES (?, ?, ?, ?)",
        (document_id, kind, json.dumps(provenance), now),
    ).lastrowid
    tx.execute(
        "INSERT INTO result_revisions (result_id, revision, content_json, author, created_utc)"
        " VALUES (?, 1, ?, 'job', ?)",
        (result_id, json.dumps(content), now),
    )
    _reindex(tx, result_id, document_id, kind, content)
    return result_id


_LATEST = (
    "SELECT r.id, r.document_id, r.kind, v.revision, v.content_json, r.provenance_json"
    " FROM results r JOIN result_revisions v ON v.result_id = r.id"
    " WHERE {where} ORDER BY r.id DESC, v.revision DESC LIMIT 1"
)


def _result(row: tuple) -> Result:
    result_id, document_id, kind, revision, content_json, provenance_json = row
    content, provenance = json.loads(content_json), json.loads(provenance_json)
    return Result(result_id, document_id, kind, revision, content, provenance)


def get_result(vault: Vault, result_id: int) -> Result:
    rows = vault.query(_LATEST.format(where="r.id = ?"), (result_id,))
    if not rows:
        raise BadInput(f"There is no result {result_id}.")
    return _result(rows[0])


def latest_result(vault: Vault, document_id: int, kind: str) -> Result | None:
    """The newest revision of the newest result of `kind` for a document."""
    where = "r.document_id = ? AND r.kind = ?"
    rows = vault.query(_LATEST.format(where=where), (document_id, kind))
    return _result(rows[0]) if rows else None


def edit_result(vault: Vault, result_id: int, content: dict[str, Any]) -> Result:
    """Store `content` as the next revision; earlier revisions stay as they were."""
    with vault.transaction() as tx:
        row = tx.execute(
            "SELECT r.document_id, r.kind, max(v.revision) FROM results r"
            " JOIN result_revisions v ON v.result_id = r.id WHERE r.id = ?",
            (result_id,),
        ).fetchone()
        if row is None or row[0] is None:
            raise BadInput(f"There is no result {result_id}.")
        document_id, kind, last_revision = row
        revision = last_revision + 1
        tx.execute(
            "INSERT INTO result_revisions (result_id, revision, content_json, author, created_utc)"
            " VALUES (?, ?, ?, 'user', ?)",
            (result_id, revision, json.dumps(content), utc_now()),
        )
        _reindex(tx, result_id, document_id, kind, content)
        tx.audit(
            "result.edit",
            "result",
            result_id,
            {"revision": revision, "content_sha256": content_sha256(content)},
        )
    return get_result(vault, result_id)


def revisions(vault: Vault, result_id: int) -> list[tuple[int, str, str]]:
    """(revision, author, created_utc) for every revision of a result, oldest first."""
    return [
        tuple(row)
        for row in vault.query(
            "SELECT revision, author, created_utc FROM result_revisions WHERE result_id = ?"
            " ORDER BY revision",
            (result_id,),
        )
    ]
