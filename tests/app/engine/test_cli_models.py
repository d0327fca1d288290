"""`fieldscribe models ...` as scripts use it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import json

import pytest

from app.engine.registry import DEFAULT_MODEL_NAME, DEFAULT_MODEL_SHA256
from tests.app.engine.tiny_models import write_tiny_gguf
from tests.app.test_cli import fieldscribe, one_line_error

pytestmark = pytest.mark.slow


def test_models_import_list_use_remove(vault_home, passphrase_file, tmp_path):
    def models(*args):
        return fieldscribe("models", *args, "--passphrase-file", passphrase_file,
                           home=vault_home.root)  # fmt: skip

    listed = models("list", "--json")
    assert listed.returncode == 0, listed.stderr
    shown = json.loads(listed.stdout)
    assert shown["active"] == DEFAULT_MODEL_NAME
    assert [(m["name"], m["default"], m["sha256"]) for m in shown["models"]] == [
        (DEFAULT_MODEL_NAME, True, DEFAULT_MODEL_SHA256)
    ]

    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"MZ\x90\x00" + bytes(1000))
    refused = models("import", junk)
    assert refused.returncode == 2
    assert one_line_error(refused) == (
        f"fieldscribe: {junk} is not a valid GGUF model: it does not start with the GGUF signature."
    )
    assert not (vault_home.root / "models").exists() or not any(
        (vault_home.root / "models").iterdir()
    )

    imported = models("import", write_tiny_gguf(tmp_path / "tiny.gguf"), "--name", "tiny")
    assert imported.returncode == 0, imported.stderr
    assert models("use", "tiny").returncode == 0
    listed = models("list")
    assert listed.stdout.splitlines()[1].startswith("* tiny ")

    kept = models("remove", DEFAULT_MODEL_NAME)
    assert kept.returncode == 2
    assert "cannot be removed" in one_line_error(kept)
    assert models("remove", "tiny").returncode == 0
    unknown = models("use", "tiny")
    assert unknown.returncode == 2
    assert "no model named 'tiny'" in one_line_error(unknown)
