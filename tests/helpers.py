"""Small builders shared by tests."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from app.vault import Vault
from app.vault.documents import store_document
from app.vault.keyslots import KdfParams

# Unlock cost is not what these tests are about; a cheap KDF keeps many unlocks fast.
FAST_KDF = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)


@dataclass(frozen=True)
class TextPage:
    number: int
    text: str | None
    image: bytes | None = None
    image_media_type: str | None = None


def add_text_documents(vault: Vault, count: int, start: int = 0, words: str = "") -> list[int]:
    """Store `count` one-page text documents, each in its own transaction."""
    ids = []
    for n in range(start, start + count):
        text = f"document {n} {words}".strip()
        with vault.transaction() as tx:
            document_id, _ = store_document(
                tx,
                name=f"{n}.txt",
                media_type="text/plain",
                content=text.encode(),
                pages=[TextPage(1, text)],
            )
        ids.append(document_id)
    return ids


def kill_and_read(child: subprocess.Popen, output: bytes) -> str:
    """SIGKILL a child that writes to pipes; all it wrote to stdout (after `output`, what was
    read before the kill). A traceback on its stderr fails the test."""
    child.kill()
    output += child.stdout.read()
    stderr = child.stderr.read().decode()
    child.wait()
    child.stdout.close()
    child.stderr.close()
    assert "Traceback" not in stderr, stderr
    return output.decode()
