"""The session both front ends call: a real vault, the real default model, real OCR."""

from __future__ import annotations

import json

import pytest

from app.audit import log
from app.cancel import CancelToken
from app.engine import THREADS_SETTING
from app.engine.registry import ACTIVE_MODEL_SETTING
from app.errors import BadInput, Cancelled, FieldscribeError
from app.paths import assets_dir
from app.session import LOADING, READY, Session, files_in, is_model_file

SAMPLES = assets_dir() / "samples"
NOTE = (
    "Home visit 12/03/2025\n\nBP 142/91, pulse 78.\nRamipril 5 mg daily.\n\n"
    "Plan: review in two weeks."
)


def actions_since(session: Session, seq: int) -> list[str]:
    return [event.action for event in log.read_events(session.vault) if event.seq > seq]


def last_seq(session: Session) -> int:
    return log.read_events(session.vault)[-1].seq


@pytest.fixture
def note(tmp_path):
    path = tmp_path / "visit.txt"
    path.write_text(NOTE, encoding="utf-8")
    return path


def test_import_digitize_edit_and_export_each_write_their_event(session, note, tmp_path):
    start = last_seq(session)
    progress: list[tuple[int, int, str]] = []
    document_id = session.import_document(note, progress=lambda *step: progress.append(step))
    result = session.digitize(document_id, progress=lambda *step: progress.append(step))
    assert "Ramipril 5 mg daily." in result.content["text"]
    assert progress and progress[-1][0] == progress[-1][1]  # ends at done == total

    edited = session.edit_result(result.result_id, {**result.content, "text": "corrected"})
    assert edited.revision == 2
    assert session.latest_result(document_id, "digitize").content["text"] == "corrected"

    out = tmp_path / "visit.json"
    sha256 = session.export_result(result.result_id, out, "json")
    assert json.loads(out.read_text())["text"] == "corrected"
    assert len(sha256) == 64
    assert actions_since(session, start) == [
        "document.import",
        "job.start",
        "job.finish",
        "result.edit",
        "result.export",
    ]
    assert log.verify(session.vault) > start
    assert [hit.document_id for hit in session.search("corrected")] == [document_id]


def test_bad_input_is_one_sentence_and_leaves_no_trace(session, tmp_path):
    start = last_seq(session)
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\n")
    with pytest.raises(BadInput, match="junk.pdf"):
        session.import_document(junk)
    assert actions_since(session, start) == []


def test_a_cancelled_job_stores_nothing_and_is_audited(session, note):
    document_id = session.import_document(note)
    start = last_seq(session)
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        session.digitize(document_id, cancel=cancel)
    assert session.latest_result(document_id, "digitize") is None
    assert actions_since(session, start) == ["job.start", "job.cancel"]


def test_cases_import_into_a_case_and_a_cancelled_move_keeps_what_moved(session, note, tmp_path):
    case_id = session.create_case("Visit round")
    other = tmp_path / "other.txt"
    other.write_text("Another note with enough words in it.", encoding="utf-8")
    ids = [session.import_document(path, case_id=case_id) for path in (note, other)]
    assert [case.document_count for case in session.cases()] == [2]

    start = last_seq(session)
    cancel = CancelToken()

    def cancel_after_the_first(done: int, total: int, message: str) -> None:
        if done == 1:
            cancel.cancel()

    with pytest.raises(Cancelled):
        session.assign_to_case(ids, None, progress=cancel_after_the_first, cancel=cancel)
    assert actions_since(session, start) == ["document.assign"]  # the first one moved
    session.rename_case(case_id, "Round two")
    assert [(case.title, case.document_count) for case in session.cases()] == [("Round two", 1)]


@pytest.mark.slow
def test_summarize_and_extract_with_the_real_model_then_restart_and_close(session, note):
    assert session.engine_state == ""  # nothing starts until it is asked for
    document_id = session.import_document(note)
    session.start_engine()
    assert session.engine_state in (LOADING, READY)
    assert session.wait_for_engine() == READY

    streamed: list[str] = []
    summary = session.summarize(document_id, on_token=streamed.append)
    assert summary.content["sections"]
    assert "[S" in summary.content["summary"]
    extracted = session.extract(document_id, "clinical-home-visit")
    assert extracted.content["template"] == "clinical-home-visit"

    first = session.engine
    worker = first.worker_pid
    session.save_settings({THREADS_SETTING: 1})  # a new thread count reloads the model
    assert session.engine is not first and session.engine.settings.n_threads == 1
    assert session.wait_for_engine() == READY
    session.save_settings({THREADS_SETTING: 1})  # unchanged: the same engine stays
    second = session.engine
    assert second.worker_pid != worker

    session.use_model(session.active_model_name())
    assert session.engine is not second
    session.close()
    assert session.vault.is_locked
    assert session.engine is None


def test_without_a_usable_model_the_model_jobs_refuse_in_one_sentence(session, note):
    with session.vault.transaction() as tx:
        tx.set_setting(ACTIVE_MODEL_SETTING, "gone-model")
    document_id = session.import_document(note)
    with pytest.raises(FieldscribeError, match="No model is available: There is no model named"):
        session.summarize(document_id)
    assert session.digitize(document_id).content["text"]  # OCR and text need no model
    assert session.engine is None


def test_files_in_expands_folders_and_skips_hidden_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "note.txt").write_text("x")
    (tmp_path / "a" / ".hidden").write_text("x")
    (tmp_path / "model.GGUF").write_text("x")
    found = files_in([tmp_path / "a", tmp_path / "model.GGUF"])
    assert [path.name for path in found] == ["note.txt", "model.GGUF"]
    assert [is_model_file(path) for path in found] == [False, True]


def test_the_samples_import_through_the_session(session):
    names = sorted(path.name for path in SAMPLES.iterdir() if path.suffix != ".py")
    ids = [session.import_document(SAMPLES / name) for name in names]
    assert len(set(ids)) == len(names)


def test_revisions_restore_and_templates_go_through_the_session(session, note):
    document_id = session.import_document(note)
    result = session.digitize(document_id)
    session.edit_result(result.result_id, {**result.content, "text": "corrected"})
    assert [revision.revision for revision in session.revisions(result.result_id)] == [1, 2]
    assert session.revision(result.result_id, 1).content == result.content
    start = last_seq(session)
    restored = session.restore_revision(result.result_id, 1)
    assert restored.revision == 3 and restored.content == result.content

    schema = {"type": "object", "properties": {"dose": {"type": "string"}}}
    session.save_template("visit dose", schema)
    assert "visit dose" in [template.name for template in session.templates()]
    session.delete_template("visit dose")
    assert "visit dose" not in [template.name for template in session.templates()]
    with pytest.raises(FieldscribeError):
        session.delete_template("visit dose")
    assert actions_since(session, start) == [
        "result.restore",
        "template.create",
        "template.delete",
    ]


def test_one_template_over_several_documents_exports_one_table(session, note, tmp_path):
    second = tmp_path / "second-visit.txt"
    second.write_text(NOTE.replace("142/91", "128/84"), encoding="utf-8")
    ids = [session.import_document(note), session.import_document(second)]
    assert {document.id for document in session.documents()} == set(ids)
    session.start_engine()
    assert session.wait_for_engine() == READY
    for document_id in ids:
        session.extract(document_id, "clinical-home-visit")
    found = [session.latest_extract(document_id, "clinical-home-visit") for document_id in ids]
    assert None not in found
    assert session.latest_extract(ids[0], "building-inspection") is None

    start = last_seq(session)
    out = tmp_path / "visits.csv"
    names = (note.name, second.name)
    rows = [(name, result.result_id) for name, result in zip(names, found, strict=True)]
    assert len(session.export_table(rows, out, "csv")) == 64
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3  # the header and a row per document
    assert "142" in lines[1] and "128" in lines[2]
    assert actions_since(session, start) == ["result.export", "result.export"]


def test_the_page_view_reads_and_views_are_audited_through_the_session(session, note):
    document_id = session.import_document(note)
    start = last_seq(session)
    session.record_view(document_id)
    assert actions_since(session, start) == ["document.view"]
    pages = session.pages_to_show(document_id)
    assert [page.number for page in pages] == [1]
    assert session.passage_boxes(document_id, "Ramipril 5 mg daily.") == []  # text: no boxes
    result = session.digitize(document_id)
    assert not session.has_corrections(result)
    edited = session.edit_result(result.result_id, {**result.content, "text": "corrected"})
    assert session.has_corrections(edited)
