"""Results keep every revision; edits are audited and searchable."""

from __future__ import annotations

from app.audit.log import read_events
from app.jobs.results import (
    edit_result,
    get_revision,
    latest_result,
    restore_revision,
    revisions,
    store_result,
)
from app.vault.documents import search
from tests.helpers import add_text_documents


def test_an_edit_is_a_new_revision_and_an_audit_event(vault):
    (document_id,) = add_text_documents(vault, 1)
    original = {"text": "Boiler presure low", "pages": []}
    with vault.transaction() as tx:
        result_id = store_result(
            tx, document_id=document_id, kind="digitize", content=original, provenance={"ocr": "x"}
        )
    corrected = {"text": "Boiler pressure low", "pages": []}
    edited = edit_result(vault, result_id, corrected)

    assert (edited.revision, edited.content) == (2, corrected)
    assert latest_result(vault, document_id, "digitize") == edited
    assert [(r.revision, r.author, r.description) for r in revisions(vault, result_id)] == [
        (1, "job", "OCR (x)"),
        (2, "user", "Your edit"),
    ]
    assert vault.query(
        "SELECT content_json FROM result_revisions WHERE result_id = ? AND revision = 1",
        (result_id,),
    ) == [('{"text": "Boiler presure low", "pages": []}',)]
    event = read_events(vault)[-1]
    assert (event.action, event.object_id, event.details["revision"]) == (
        "result.edit",
        str(result_id),
        2,
    )
    assert [hit.result_id for hit in search(vault, "pressure")] == [result_id]
    assert search(vault, "presure") == []


def test_a_restore_adds_the_old_content_as_a_new_audited_revision(vault):
    (document_id,) = add_text_documents(vault, 1)
    with vault.transaction() as tx:
        result_id = store_result(
            tx,
            document_id=document_id,
            kind="summarize",
            content={"summary": "first"},
            provenance={"model": {"model": "SmolLM2"}},
        )
    edit_result(vault, result_id, {"summary": "second"})

    restored = restore_revision(vault, result_id, 1)

    assert (restored.revision, restored.content) == (3, {"summary": "first"})
    assert latest_result(vault, document_id, "summarize") == restored
    assert get_revision(vault, result_id, 2).content == {"summary": "second"}  # still there
    history = revisions(vault, result_id)
    assert [r.description for r in history] == [
        "Model SmolLM2",
        "Your edit",
        "Restored from revision 1",
    ]
    event = read_events(vault)[-1]
    assert (event.action, event.object_id) == ("result.restore", str(result_id))
    assert (event.details["revision"], event.details["from_revision"]) == (3, 1)
    assert [hit.result_id for hit in search(vault, "first")] == [result_id]
