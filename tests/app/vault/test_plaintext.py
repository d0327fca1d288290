"""Nothing stored reaches the disk in plain text: not the database, WAL, SHM or temp files."""

from __future__ import annotations

import tempfile
from pathlib import Path

from app.audit import log
from app.vault import Vault
from app.vault.documents import search, store_document
from tests.conftest import PASSPHRASE
from tests.helpers import TextPage

MARKER = "ZEBRA-PLAINTEXT-MARKER-7781"


def files_containing(marker: str, *roots: Path) -> list[Path]:
    needles = [marker.encode("utf-8"), marker.encode("utf-16-le")]
    found = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and any(n in path.read_bytes() for n in needles):
                found.append(path)
    return found


def test_a_marker_never_appears_in_any_file(vault_home, tmp_path, monkeypatch):
    temp_dir = tmp_path / "tmp"
    temp_dir.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp_dir))
    monkeypatch.setattr(tempfile, "tempdir", str(temp_dir))

    vault = Vault.unlock(vault_home, PASSPHRASE)
    text = f"Patient note. {MARKER} BP 142/91. " * 200
    with vault.transaction() as tx:
        document_id, _ = store_document(
            tx, name=f"{MARKER}.txt", media_type="text/plain", content=text.encode(),
            pages=[TextPage(1, text), TextPage(2, MARKER)],
        )  # fmt: skip
        tx.set_setting("last_search", MARKER)
    assert [hit.document_id for hit in search(vault, MARKER)] == [document_id, document_id]
    assert any(p.name.endswith("-wal") for p in vault_home.root.iterdir())
    assert files_containing(MARKER, vault_home.root, temp_dir) == []  # open, WAL in use

    log.verify(vault)
    vault.lock()
    assert files_containing(MARKER, vault_home.root, temp_dir) == []  # closed
