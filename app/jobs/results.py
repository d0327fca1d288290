"""Job results in the vault: revision 1 is the job's output; every later run of the job, every
edit and every restore adds a revision, and each revision records what made it."""

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

# Who wrote a revision: a job, or the user (an edit, or a restore of an earlier revision).
JOB, USER = "job", "user"


@dataclass(frozen=True)
class Result:
    result_id: int
    document_id: int
    kind: str
    revision: int
    content: dict[str, Any]
    provenance: dict[str, Any]


@dataclass(frozen=True)
class Revision:
    """One revision of a result and what made it: `made_by["by"]` is "ocr", "text layer",
    "model", "rules", "user" or "restore" (then `made_by["from_revision"]` says which)."""

    revision: int
    author: str  # JOB or USER
    created_utc: str
    made_by: dict[str, Any]

    @property
    def description(self) -> str:
        """What made it, for people: "OCR (rapidocr 3.4)", "Model SmolLM2…", "Your edit"."""
        by = self.made_by.get("by")
        if by == "user":
            return "Your edit"
        if by == "restore":
            return f"Restored from revision {self.made_by.get('from_revision')}"
        if by == "ocr":  # the engine's name and version; its models are in the provenance
            engine = " ".join(str(self.made_by.get("engine") or "").split()[:2])
            return (f"OCR ({engine})" if engine else "OCR") + self._kept()
        if by == "text layer":
            return "The document's own text" + self._kept()
        if by == "model":
            return f"Model {self.made_by.get('model', '')}".strip() + self._kept()
        if by == "rules":
            return "Made without the model"
        return "A job" if self.author == JOB else "You"

    def _kept(self) -> str:
        return ", your corrections kept" if self.made_by.get("kept_corrections") else ""


def made_by_job(kind: str, provenance: dict[str, Any]) -> dict[str, Any]:
    """What made a job's revision, from the job's provenance."""
    if kind == "digitize":
        if provenance.get("ocr"):
            return {"by": "ocr", "engine": provenance["ocr"]}
        return {"by": "text layer"}
    model = provenance.get("model")
    if isinstance(model, dict):  # the summarizer nests the engine's provenance
        model = model.get("model")
    if model:
        return {"by": "model", "model": model}
    return {"by": "rules"}


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
    result_id = tx.execute(
        "INSERT INTO results (document_id, kind, provenance_json, created_utc) VALUES (?, ?, ?, ?)",
        (document_id, kind, json.dumps(provenance), utc_now()),
    ).lastrowid
    add_revision(tx, result_id, content, JOB, made_by_job(kind, provenance))
    return result_id


def add_revision(
    tx: Transaction, result_id: int, content: dict[str, Any], author: str, made_by: dict[str, Any]
) -> int:
    """Store `content` as the result's next revision (earlier ones stay); its number."""
    row = tx.execute(
        "SELECT r.document_id, r.kind, coalesce(max(v.revision), 0) FROM results r"
        " LEFT JOIN result_revisions v ON v.result_id = r.id WHERE r.id = ?",
        (result_id,),
    ).fetchone()
    if row is None or row[0] is None:
        raise BadInput(f"There is no result {result_id}.")
    document_id, kind, last_revision = row
    revision = last_revision + 1
    tx.execute(
        "INSERT INTO result_revisions"
        " (result_id, revision, content_json, author, created_utc, made_by_json)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (result_id, revision, json.dumps(content), author, utc_now(), json.dumps(made_by)),
    )
    _reindex(tx, result_id, document_id, kind, content)
    return revision


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
    """Store the user's `content` as the next revision; earlier revisions stay as they were."""
    with vault.transaction() as tx:
        revision = add_revision(tx, result_id, content, USER, {"by": "user"})
        tx.audit(
            "result.edit",
            "result",
            result_id,
            {"revision": revision, "content_sha256": content_sha256(content)},
        )
    return get_result(vault, result_id)


def restore_revision(vault: Vault, result_id: int, revision: int) -> Result:
    """Make an earlier revision current again by adding it as the next revision (audited)."""
    content = get_revision(vault, result_id, revision).content
    with vault.transaction() as tx:
        new_revision = add_revision(
            tx, result_id, content, USER, {"by": "restore", "from_revision": revision}
        )
        tx.audit(
            "result.restore",
            "result",
            result_id,
            {
                "revision": new_revision,
                "from_revision": revision,
                "content_sha256": content_sha256(content),
            },
        )
    return get_result(vault, result_id)


def get_revision(vault: Vault, result_id: int, revision: int) -> Result:
    rows = vault.query(
        "SELECT r.id, r.document_id, r.kind, v.revision, v.content_json, r.provenance_json"
        " FROM results r JOIN result_revisions v ON v.result_id = r.id"
        " WHERE r.id = ? AND v.revision = ?",
        (result_id, revision),
    )
    if not rows:
        raise BadInput(f"Result {result_id} has no revision {revision}.")
    return _result(rows[0])


def revisions(vault: Vault, result_id: int) -> list[Revision]:
    """Every revision of a result, oldest first, with what made it."""
    rows = vault.query(
        "SELECT v.revision, v.author, v.created_utc, v.made_by_json, r.kind, r.provenance_json"
        " FROM result_revisions v JOIN results r ON r.id = v.result_id"
        " WHERE v.result_id = ? ORDER BY v.revision",
        (result_id,),
    )
    history = []
    for revision, author, created_utc, made_by_json, kind, provenance_json in rows:
        if made_by_json:
            made_by = json.loads(made_by_json)
        elif author == JOB:  # stored before revisions recorded what made them
            made_by = made_by_job(kind, json.loads(provenance_json))
        else:
            made_by = {"by": "user"}
        history.append(Revision(revision, author, created_utc, made_by))
    return history


def latest_job_revision(vault: Vault, result_id: int) -> Result:
    """The newest revision a job wrote: what the user's corrections were made on."""
    (row,) = vault.query(
        "SELECT max(revision) FROM result_revisions WHERE result_id = ? AND author = ?",
        (result_id, JOB),
    )
    return get_revision(vault, result_id, row[0])


def is_corrected(vault: Vault, result: Result) -> bool:
    """Whether the user made `result`'s revision (an edit or a restore) rather than a job."""
    (row,) = vault.query(
        "SELECT author FROM result_revisions WHERE result_id = ? AND revision = ?",
        (result.result_id, result.revision),
    )
    return row[0] == USER
