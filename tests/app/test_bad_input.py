"""The bad-input corpus through ingest, every job and model import: no crash, no hang, one
sentence per refusal, and the vault and its audit log intact afterwards."""

from __future__ import annotations

import json

import pytest

from app.audit import log
from app.engine import registry
from app.errors import BadInput
from app.vault import Vault
from tests.app.test_cli import fieldscribe
from tests.conftest import PASSPHRASE
from tests.corpus.make_corpus import build

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
