"""The three jobs on real files, into the vault: results, provenance, audit events, cancel."""

from __future__ import annotations

import json

import pytest
from PIL import Image, ImageDraw, ImageFont

from app import jobs
from app.audit.log import read_events
from app.cancel import CancelToken
from app.errors import BadInput, Cancelled
from app.jobs import exports
from app.paths import assets_dir
from app.vault.documents import search
from tests.app.test_cli import fieldscribe, one_line_error

CASE_FILE = """Riverside Community Nursing — confidential

12/01/2026 Home visit
Reviewed leg ulcer on the left shin, 3 cm, clean. Dressing changed.
Riverside Community Nursing — confidential

19/01/2026 Home visit
Started amoxicillin 500 mg three times daily for cellulitis around the ulcer.
Riverside Community Nursing — confidential

26/01/2026 Home visit
Redness settling. Blood pressure 138/84. Plan: continue dressing twice weekly.
Riverside Community Nursing — confidential
"""

VISIT_FORM = """Clinical home visit
Patient name: Ellen Morris
Visit date: 03/02/2026
Blood pressure: 142/91
Pulse: 78 bpm
Temperature: 37.2 C
"""


@pytest.fixture
def case_file(tmp_path):
    path = tmp_path / "case.txt"
    path.write_text(CASE_FILE, encoding="utf-8")
    return path


def note_image(tmp_path, text: str):
    image = Image.new("L", (1200, 200), 255)
    font = ImageFont.load_default(size=48)
    ImageDraw.Draw(image).text((40, 60), text, fill=0, font=font)
    path = tmp_path / "note.png"
    image.save(path)
    return path


def job_events(vault) -> list[tuple[str, str]]:
    return [
        (e.action, e.details.get("kind", ""))
        for e in read_events(vault)
        if e.action.startswith("job.")
    ]


def test_digitize_keeps_text_layers_and_reads_images(vault, tmp_path, case_file):
    text_id = jobs.import_document(vault, case_file)
    image_id = jobs.import_document(vault, note_image(tmp_path, "Boiler pressure 1.5 bar"))
    assert jobs.import_document(vault, case_file) == text_id  # stored once

    text_result = jobs.digitize(vault, text_id)
    assert "Reviewed leg ulcer on the left shin, 3 cm, clean." in text_result.content["text"]
    assert text_result.content["pages"][0]["lines"][0]["confidence"] == 1.0  # a text layer
    image_result = jobs.digitize(vault, image_id)
    words = image_result.content["text"].lower()
    assert "boiler" in words and "1.5" in words
    line = image_result.content["pages"][0]["lines"][0]
    assert 0 < line["confidence"] <= 1 and len(line["box"]) == 4
    assert image_result.provenance["ocr"]
    assert [hit.document_id for hit in search(vault, "boiler")] == [image_id]
    assert job_events(vault) == [
        ("job.start", "digitize"),
        ("job.finish", "digitize"),
        ("job.start", "digitize"),
        ("job.finish", "digitize"),
    ]


def test_summarize_cites_sections_and_stores_provenance(vault, case_file, engine):
    document_id = jobs.import_document(vault, case_file)
    result = jobs.summarize(vault, engine, document_id)
    content = result.content
    assert "[S" in content["summary"]
    assert "amoxicillin 500 mg" in content["summary"]
    assert content["summary"].count("confidential") == 0  # boilerplate is not repeated
    assert {"id", "title", "summary"} <= set(content["sections"][0])
    assert content["ungrounded"] == []
    assert result.provenance["source_result"]
    kinds = [kind for action, kind in job_events(vault) if action == "job.finish"]
    assert kinds == ["digitize", "summarize"]  # the text came from a stored digitize result


def test_extract_fills_a_template_with_grounded_values(vault, tmp_path, engine):
    path = tmp_path / "visit.txt"
    path.write_text(VISIT_FORM, encoding="utf-8")
    document_id = jobs.import_document(vault, path)
    result = jobs.extract(vault, engine, document_id, "clinical-home-visit")
    fields = result.content["fields"]
    assert result.content["template"] == "clinical-home-visit"
    for field in fields.values():
        assert set(field) == {
            "value", "evidence", "grounded", "valid", "source", "model_ran", "model_kept",
            "read_unsurely",
        }
        if field["grounded"]:
            assert field["evidence"] in VISIT_FORM
    assert result.provenance["template_sha256"]


def test_a_value_the_digitize_view_flags_for_review_is_not_grounded(vault):
    # The bundled handwritten note, read by the real OCR: its blood pressure's slash is restored
    # from a misread "1", so that line is flagged for review, and so is what is extracted from it.
    document_id = jobs.import_document(vault, assets_dir() / "samples" / "handwritten-note.png")
    result = jobs.extract(vault, None, document_id, "clinical-home-visit")
    (page,) = jobs.latest_result(vault, document_id, "digitize").content["pages"]
    flagged = [line["text"] for line in page["lines"] if line["needs_review"]]
    filled = {name: f for name, f in result.content["fields"].items() if f["value"] is not None}
    unsure = {name for name, f in filled.items() if f["read_unsurely"]}
    assert unsure == {
        name for name, f in filled.items()
        if any(str(f["value"]) in line for line in flagged)
    } and unsure >= {"systolic_bp", "diastolic_bp"}  # fmt: skip
    assert all(not filled[name]["grounded"] for name in unsure)
    assert all(f["grounded"] for name, f in filled.items() if name not in unsure)


def test_a_summary_lists_the_facts_a_scan_states_only_on_lines_flagged_for_review(
    vault, case_file, tmp_path
):
    import docx

    # The bundled handwritten note, read by the real OCR: its blood pressure line is flagged.
    document_id = jobs.import_document(vault, assets_dir() / "samples" / "handwritten-note.png")
    summary = jobs.summarize(vault, None, document_id)
    doubted = summary.content["read_unsurely"]
    assert {"148/92", "84"} <= set(doubted) and "71 kg" not in doubted  # weight: a sure line
    exports.export_result(vault, summary.result_id, tmp_path / "summary.docx", "docx")
    written = [p.text for p in docx.Document(str(tmp_path / "summary.docx")).paragraphs]
    after = written[written.index(exports.READ_UNSURELY) + 1 :]
    assert after[: len(doubted)] == doubted
    typed = jobs.summarize(vault, None, jobs.import_document(vault, case_file))
    assert typed.content["read_unsurely"] == []  # no OCR, no doubt


@pytest.mark.parametrize("kind", ["summarize", "extract"])
def test_cancel_in_the_middle_leaves_no_partial_result(vault, tmp_path, engine, kind):
    path = tmp_path / "two-pages.txt"
    path.write_text(CASE_FILE + "\f" + VISIT_FORM, encoding="utf-8")
    document_id = jobs.import_document(vault, path)
    jobs.digitize(vault, document_id)  # so the cancel lands inside the job itself
    cancel = CancelToken()

    def cancel_once_started(done, total, message):
        cancel.cancel()

    with pytest.raises(Cancelled):
        if kind == "summarize":
            jobs.summarize(vault, engine, document_id, progress=cancel_once_started, cancel=cancel)
        else:
            jobs.extract(
                vault,
                engine,
                document_id,
                "clinical-home-visit",
                progress=cancel_once_started,
                cancel=cancel,
            )
    assert vault.query("SELECT count(*) FROM results WHERE kind = ?", (kind,)) == [(0,)]
    assert job_events(vault)[-2:] == [("job.start", kind), ("job.cancel", kind)]


def test_cancel_keeps_the_pages_read_and_resume_reads_only_the_rest(vault, tmp_path):
    path = tmp_path / "eight-pages.txt"
    path.write_text("\f".join(f"Page {n} of the report." for n in range(1, 9)), encoding="utf-8")
    document_id = jobs.import_document(vault, path)
    cancel = CancelToken()

    def cancel_at_page_7(done, total, message):
        if message == "Reading page 7 of 8":
            cancel.cancel()

    with pytest.raises(Cancelled):
        jobs.digitize(vault, document_id, progress=cancel_at_page_7, cancel=cancel)

    kept = jobs.latest_result(vault, document_id, "digitize")
    assert jobs.pending_pages(kept.content) == [8]
    assert "Page 7 of the report." in kept.content["text"]
    assert "Page 8" not in kept.content["text"]
    cancel_event = read_events(vault)[-1]
    assert (cancel_event.action, cancel_event.outcome) == ("job.cancel", "cancelled")
    assert (cancel_event.details["pages_done"], cancel_event.details["pages_pending"]) == (7, 1)

    messages = []
    resumed = jobs.digitize(vault, document_id, progress=lambda d, t, m: messages.append(m))
    assert (resumed.result_id, resumed.revision) == (kept.result_id, 2)
    assert jobs.pending_pages(resumed.content) == []
    assert resumed.content["text"].endswith("Page 8 of the report.")
    assert read_events(vault)[-2].details["resumed_pages"] == 7


def test_digitize_again_keeps_the_users_corrections_in_a_new_revision(vault, tmp_path):
    path = tmp_path / "two-pages.txt"
    path.write_text("Boiler presure low.\nValve sealed.\f" + VISIT_FORM, encoding="utf-8")
    document_id = jobs.import_document(vault, path)
    first = jobs.digitize(vault, document_id)
    corrected_text = first.content["text"].replace("presure", "pressure")
    jobs.edit_result(vault, first.result_id, {**first.content, "text": corrected_text})

    again = jobs.digitize(vault, document_id)  # keep_corrections is the default
    assert (again.result_id, again.revision) == (first.result_id, 3)
    assert again.content["text"] == corrected_text
    text, _ = jobs.document_text(vault, document_id)
    assert "Boiler pressure low." in text
    assert jobs.digitize(vault, document_id).content["text"] == corrected_text  # and again

    replaced = jobs.digitize(vault, document_id, keep_corrections=False)
    assert replaced.revision == 5 and "presure" in replaced.content["text"]
    history = jobs.revisions(vault, first.result_id)
    assert [r.author for r in history] == ["job", "user", "job", "job", "job"]
    assert history[2].description == "The document's own text, your corrections kept"
    assert history[4].description == "The document's own text"
    assert jobs.get_revision(vault, first.result_id, 2).content["text"] == corrected_text


def test_corrections_are_carried_onto_a_new_reading():
    from app.jobs.pipeline import carry_corrections

    base = "alpha\nbeta\ngamma\ndelta\n"
    corrected = "alpha\nBETA fixed\ngamma\ndelta\n"
    new = "alpha\nbeta\ngamma\ndelta improved\nepsilon\n"
    assert carry_corrections(base, corrected, new) == (
        "alpha\nBETA fixed\ngamma\ndelta improved\nepsilon\n"
    )
    both = "alpha\nbeta read anew\ngamma\ndelta\n"
    assert carry_corrections(base, corrected, both) == corrected  # the user's version wins


def test_the_same_bytes_again_are_not_read_again(vault, tmp_path):
    """A scan imported twice (under another name too) is the stored document: no second read,
    so nothing hostile in it runs twice and a batch over stored scans starts at once."""
    first = jobs.import_document(vault, note_image(tmp_path, "Pulse 72"))
    renamed = tmp_path / "again.png"
    renamed.write_bytes((tmp_path / "note.png").read_bytes())
    reading: list[str] = []
    again = jobs.import_document(
        vault, renamed, progress=lambda done, total, message: reading.append(message)
    )
    assert again == first and reading == []
    assert jobs.stored_copy(vault, renamed) == "note.png"
    assert vault.query("SELECT COUNT(*) FROM documents") == [(1,)]


def test_refused_files_are_one_sentence_and_store_nothing(vault, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_bytes(b"valid start \xff\xfe\xfa not utf-8 \x80\x81")
    with pytest.raises(BadInput, match="notes.txt"):
        jobs.import_document(vault, bad)
    assert vault.query("SELECT count(*) FROM documents") == [(0,)]


def test_cli_batches_go_on_past_a_bad_file_in_the_json_shape(vault_home, passphrase_file, tmp_path):
    good = tmp_path / "visit.txt"
    good.write_text(VISIT_FORM, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    home = vault_home.root

    digitized = fieldscribe(
        "--passphrase-file", passphrase_file, "digitize", good, empty, "--json", home=home
    )
    assert digitized.returncode == 2
    assert "empty.txt" in one_line_error(digitized)
    documents = json.loads(digitized.stdout)["documents"]
    assert [d["source"] for d in documents] == [str(good), str(empty)]
    assert set(documents[0]) == {"source", "text", "pages"}
    assert set(documents[0]["pages"][0]) == {"page", "text", "lines"}
    assert set(documents[0]["pages"][0]["lines"][0]) == {"text", "confidence", "box"}
    assert "error" in documents[1]

    summarized = fieldscribe(
        "--passphrase-file", passphrase_file, "summarize", good, "--json", home=home
    )
    assert summarized.returncode == 0, summarized.stderr
    (summary,) = json.loads(summarized.stdout)["documents"]
    assert set(summary) == {"source", "summary", "sections", "ungrounded", "read_unsurely"}
    assert set(summary["sections"][0]) == {
        "id", "title", "summary", "kind", "model_ran", "model_kept"
    }  # fmt: skip

    extracted = fieldscribe(
        "--passphrase-file",
        passphrase_file,
        "extract",
        good,
        "--template",
        "clinical-home-visit",
        "--json",
        home=home,
    )
    assert extracted.returncode == 0, extracted.stderr
    (fields,) = json.loads(extracted.stdout)["documents"]
    assert set(fields) == {"source", "template", "fields"}

    found = fieldscribe(
        "--passphrase-file", passphrase_file, "search", "Morris", "--json", home=home
    )
    assert found.returncode == 0
    assert json.loads(found.stdout)["hits"]

    unknown = fieldscribe(
        "--passphrase-file",
        passphrase_file,
        "extract",
        good,
        "--template",
        "no-such-template",
        home=home,
    )
    assert unknown.returncode == 2
    assert "no template named" in one_line_error(unknown)


def test_templates_list(vault_home, passphrase_file):
    listed = fieldscribe(
        "--passphrase-file", passphrase_file, "templates", "list", "--json", home=vault_home.root
    )
    names = {t["name"] for t in json.loads(listed.stdout)["templates"]}
    assert {"building-inspection", "clinical-home-visit", "incident-report"} <= names


def test_jobs_read_the_users_corrected_text(vault, tmp_path, engine):
    path = tmp_path / "visit.txt"
    path.write_text(VISIT_FORM.replace("Ellen Morris", "Elen Moris"), encoding="utf-8")
    document_id = jobs.import_document(vault, path)
    digitized = jobs.digitize(vault, document_id)
    corrected = {
        **digitized.content,
        "text": digitized.content["text"].replace("Elen Moris", "Ellen Morris"),
    }
    jobs.edit_result(vault, digitized.result_id, corrected)
    result = jobs.extract(vault, engine, document_id, "clinical-home-visit")
    assert result.content["fields"]["patient_name"]["value"] == "Ellen Morris"


def test_extract_again_keeps_the_fields_the_user_corrected(vault, tmp_path, engine):
    path = tmp_path / "visit.txt"
    path.write_text(VISIT_FORM, encoding="utf-8")
    document_id = jobs.import_document(vault, path)
    first = jobs.extract(vault, engine, document_id, "clinical-home-visit")
    fields = dict(first.content["fields"])
    fields["patient_name"] = {**fields["patient_name"], "value": "E. Morris (checked)"}
    jobs.edit_result(vault, first.result_id, {**first.content, "fields": fields})

    again = jobs.extract(vault, engine, document_id, "clinical-home-visit")
    assert (again.result_id, again.revision) == (first.result_id, 3)
    assert again.content["fields"]["patient_name"]["value"] == "E. Morris (checked)"
    third = jobs.extract(vault, engine, document_id, "clinical-home-visit")
    assert third.content["fields"]["patient_name"]["value"] == "E. Morris (checked)"
    assert again.content["fields"]["visit_date"] == first.content["fields"]["visit_date"]


def test_cli_extract_keeps_and_shows_the_values_the_user_set(vault_home, passphrase_file, tmp_path):
    from app.jobs.pipeline import latest_extract
    from app.vault import Vault
    from tests.conftest import PASSPHRASE

    path = tmp_path / "visit.txt"
    path.write_text(VISIT_FORM, encoding="utf-8")

    def extract_lines() -> list[str]:
        run = fieldscribe("--passphrase-file", passphrase_file, "extract", path, "--template",
                          "clinical-home-visit", home=vault_home.root)  # fmt: skip
        assert run.returncode == 0, run.stderr
        return run.stdout.splitlines()

    assert "pulse_bpm: 78" in extract_lines()
    vault = Vault.unlock(vault_home, PASSPHRASE)
    try:
        (document_id,) = [d for (d,) in vault.query("SELECT id FROM documents")]
        first = latest_extract(vault, document_id, "clinical-home-visit")
        fields = dict(first.content["fields"])
        typed = {"value": "E. Morris", "evidence": None, "grounded": False, "source": "user"}
        fields["patient_name"] = {**fields["patient_name"], **typed}
        fields["pulse_bpm"] = {**fields["pulse_bpm"], "source": "user"}  # accepted as read
        jobs.edit_result(vault, first.result_id, {**first.content, "fields": fields})
    finally:
        vault.lock()
    lines = extract_lines()  # the job runs again and keeps both
    assert {"patient_name: E. Morris  [SET BY YOU]", "pulse_bpm: 78  [SET BY YOU]"} <= set(lines)


def test_cli_digitize_keeps_corrections_unless_told_to_replace_them(
    vault_home, passphrase_file, tmp_path
):
    from app.vault import Vault
    from tests.conftest import PASSPHRASE

    path = tmp_path / "note.txt"
    path.write_text("Boiler presure low.\n", encoding="utf-8")
    home = vault_home.root

    def digitize_text(*flags: str) -> str:
        run = fieldscribe("--passphrase-file", passphrase_file, "digitize", path, "--json",
                          *flags, home=home)  # fmt: skip
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout)["documents"][0]["text"]

    assert "presure" in digitize_text()
    vault = Vault.unlock(vault_home, PASSPHRASE)
    try:
        (document_id,) = [d for (d,) in vault.query("SELECT id FROM documents")]
        first = jobs.latest_result(vault, document_id, "digitize")
        corrected = {**first.content, "text": "Boiler pressure low."}
        jobs.edit_result(vault, first.result_id, corrected)
    finally:
        vault.lock()
    assert digitize_text() == "Boiler pressure low."
    assert "presure" in digitize_text("--replace-corrections")
