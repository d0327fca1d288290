"""The bad-input corpus through ingest, every job and model import: no crash, no hang, one
sentence per refusal, and the vault and its audit log intact afterwards."""

from __future__ import annotations

import json

import pytest

from app.audit import log
from app.engine import registry
from app.errors import BadInput
from app.ingest import limits
from app.ocr import service as ocr_service
from app.session import Session
from app.vault import Vault
from tests.app.ingest.pdfs import build_pdf
from tests.app.test_cli import fieldscribe
from tests.conftest import PASSPHRASE
from tests.corpus.make_corpus import build, hanging_pdf

# Far above what any file here needs; a run that takes longer counts as a hang.
BATCH_TIMEOUT = 600


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build(tmp_path_factory.mktemp("corpus"))


def run_batch(*args, home):
    result = fieldscribe(*args, home=home, timeout=BATCH_TIMEOUT)
    assert result.returncode in (0, 1, 2), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    return result


def check_refusals(result, sources: list[str]) -> list[str]:
    """Every file has an entry; every refusal is one line on stderr naming its file."""
    documents = json.loads(result.stdout)["documents"]
    assert [d["source"] for d in documents] == sources
    refused = [d for d in documents if "error" in d]
    stderr_lines = result.stderr.strip().splitlines() if result.stderr.strip() else []
    assert len(stderr_lines) == len(refused), result.stderr[-3000:]
    for document, line in zip(refused, stderr_lines, strict=True):
        assert line == f"fieldscribe: {document['error']}"
        name = document["source"].rsplit("/", 1)[-1]
        assert name in document["error"] and "\n" not in document["error"]
    return [d["source"] for d in documents if "error" not in d]


@pytest.mark.slow
def test_the_corpus_is_refused_cleanly_and_the_vault_stays_intact(
    corpus, vault_home, passphrase_file
):
    documents, models = corpus
    assert len(documents) + len(models) >= 200
    sources = [str(path) for path in documents]
    home = vault_home.root
    common = ("--passphrase-file", str(passphrase_file))

    digitized = run_batch(*common, "digitize", *sources, "--json", home=home)
    accepted = check_refusals(digitized, sources)
    assert len(accepted) < len(sources) / 4  # nearly everything here is refused

    if accepted:
        summarized = run_batch(*common, "summarize", *accepted, "--json", home=home)
        assert check_refusals(summarized, accepted) == accepted
        extracted = run_batch(
            *common, "extract", *accepted, "--template", "building-inspection", "--json", home=home
        )
        assert check_refusals(extracted, accepted) == accepted

    vault = Vault.unlock(vault_home, PASSPHRASE)
    try:
        for path in models:
            try:
                registry.import_model(vault, path)
            except BadInput as refusal:
                message = str(refusal)
                assert "\n" not in message and path.name in message
        imported = [model for model in registry.list_models(vault) if not model.is_default]
        assert len(imported) < len(models) / 4
        assert vault.integrity_problems() == []
        assert log.verify(vault) > 0
    finally:
        vault.lock()


def test_a_pdf_that_hangs_the_reader_is_stopped_and_the_batch_goes_on(
    vault_home, tmp_path, monkeypatch
):
    """pdfium would render this page for about 40 minutes; the worker process reading it is
    killed at the page deadline (shortened here from 30 s so the test is quick), the file is
    refused in one sentence, and the next files are read by a fresh worker."""
    monkeypatch.setattr(limits, "PAGE_DECODE_SECONDS", 3)
    hanging = tmp_path / "hanging.pdf"
    hanging.write_bytes(hanging_pdf())
    fine = tmp_path / "fine.pdf"
    fine.write_bytes(build_pdf(["Inspection report\nRoof: slipped tiles above the porch"]))

    with Session.unlock(vault_home, PASSPHRASE) as session:
        before = log.read_events(session.vault)[-1].seq
        ocr_service.warm_up()
        worker_before = ocr_service.worker_pid()
        with pytest.raises(BadInput) as refused:
            session.import_document(hanging)
        assert str(refused.value) == (
            "hanging.pdf: this file took too long to read, so reading it was stopped."
        )
        assert ocr_service.worker_pid() is None  # the worker that hung was killed

        document_id = session.import_document(fine)
        assert "slipped tiles" in session.digitize(document_id).content["text"]
        assert ocr_service.worker_pid() not in (None, worker_before)
        events = [e.action for e in log.read_events(session.vault) if e.seq > before]
        assert events == ["document.import", "job.start", "job.finish"]
        assert session.vault.integrity_problems() == []
