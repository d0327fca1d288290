"""SIGKILL during commits loses nothing acknowledged and leaves nothing half-written."""

from __future__ import annotations

import random
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.audit import log
from app.paths import Home
from app.vault import Vault
from tests.app.vault.durability_child import document_text
from tests.helpers import FAST_KDF, kill_and_read

ROOT = Path(__file__).resolve().parents[3]
KILLS = 32


def _run_until_killed(home: Path, passphrase_file: Path, first: int, seconds: float) -> list[int]:
    """Start the child, SIGKILL it after `seconds`, and return every number it acknowledged."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.app.vault.durability_child", str(home),
         str(passphrase_file), str(first)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    output = b""
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([child.stdout], [], [], remaining)
        if ready:
            chunk = child.stdout.read1(65536)
            if not chunk:
                break
            output += chunk
    written = kill_and_read(child, output)
    return [int(line.split()[1]) for line in written.splitlines() if line.startswith("ack ")]


@pytest.mark.slow
def test_acknowledged_commits_survive_sigkill(tmp_path, passphrase_file):
    from tests.conftest import PASSPHRASE

    home = Home(tmp_path / "home")
    vault, _ = Vault.create(home, PASSPHRASE, kdf=FAST_KDF)
    vault.lock()
    rng = random.Random(2024)
    acknowledged: set[int] = set()
    next_number = 0
    for _ in range(KILLS):
        # Child start-up takes ~0.3 s, so some kills land before the first commit, most mid-run.
        acks = _run_until_killed(home.root, passphrase_file, next_number, rng.uniform(0.2, 1.2))
        acknowledged.update(acks)
        next_number = max(acknowledged, default=-1) + 1

    vault = Vault.unlock(home, PASSPHRASE, check_pages=True)
    try:
        stored = {
            int(name.removesuffix(".txt")): (content, pages)
            for name, content, pages in vault.query(
                "SELECT d.name, d.content,"
                " (SELECT count(*) FROM pages p WHERE p.document_id = d.id) FROM documents d"
            )
        }
        assert len(acknowledged) > KILLS  # the kills really interrupted a running workload
        missing = acknowledged - set(stored)
        assert not missing, f"acknowledged but lost: {sorted(missing)[:10]}"
        for number, (content, pages) in stored.items():
            assert content == document_text(number).encode()
            assert pages == 2
        imports = [e for e in log.read_events(vault) if e.action == "document.import"]
        assert len(imports) == len(stored)
        assert vault.integrity_problems() == []
        assert log.verify(vault) > len(stored)
    finally:
        vault.lock()
