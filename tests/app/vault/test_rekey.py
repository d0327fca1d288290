"""Rekey: a fresh data key, swapped in atomically; a kill at any moment leaves one vault whole."""

from __future__ import annotations

import random
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.audit import log
from app.errors import BadInput, WrongPassphrase
from app.paths import Home
from app.vault import Vault
from app.vault.vault import database_vault_id
from tests.conftest import PASSPHRASE
from tests.helpers import FAST_KDF, add_text_documents, kill_and_read

ROOT = Path(__file__).resolve().parents[3]
DOCUMENTS = 150


def _rekey_until_killed(home: Path, passphrase_file: Path, step: int, delay: float) -> str | None:
    """Run a rekey in a child and SIGKILL it `delay` seconds after it announces `step`; the new
    recovery code if the child printed it before the kill."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.app.vault.rekey_child", str(home), str(passphrase_file)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    output, deadline = b"", None
    while deadline is None or time.monotonic() < deadline:
        timeout = 60 if deadline is None else max(0.0, deadline - time.monotonic())
        if not select.select([child.stdout], [], [], timeout)[0]:
            break
        chunk = child.stdout.read1(65536)
        if not chunk:
            break
        output += chunk
        if deadline is None and f"step {step}\n".encode() in output:
            deadline = time.monotonic() + delay
    written = kill_and_read(child, output)
    for line in written.splitlines():
        if line.startswith("code "):
            return line.removeprefix("code ")
    return None


@pytest.fixture
def small_vault(tmp_path) -> tuple[Home, str, list[tuple]]:
    home = Home(tmp_path / "home")
    vault, recovery_code = Vault.create(home, PASSPHRASE, kdf=FAST_KDF)
    add_text_documents(vault, DOCUMENTS, words="blood pressure 142/91 " * 20)
    rows = vault.query("SELECT id, name, content FROM documents ORDER BY id")
    vault.lock()
    return home, recovery_code, rows


def _whole(home: Home, rows: list[tuple]) -> Vault:
    vault = Vault.unlock(home, PASSPHRASE, check_pages=True)
    assert vault.query("SELECT id, name, content FROM documents ORDER BY id") == rows
    assert log.verify(vault) > DOCUMENTS
    return vault


def test_rekey_replaces_the_data_key_and_keeps_everything(small_vault):
    home, old_code, rows = small_vault
    old_id = database_vault_id(home.vault_db)
    vault = Vault.unlock(home, PASSPHRASE)
    steps: list[str] = []
    with pytest.raises(BadInput, match="needs the passphrase"):
        vault.rekey(old_code, kdf=FAST_KDF)
    with pytest.raises(WrongPassphrase):
        vault.rekey("not the passphrase", kdf=FAST_KDF)
    new_code = vault.rekey(PASSPHRASE, kdf=FAST_KDF, progress=lambda d, t, m: steps.append(m))
    add_text_documents(vault, 1, start=DOCUMENTS, words="written after the rekey")
    rows = vault.query("SELECT id, name, content FROM documents ORDER BY id")
    vault.lock()
    assert steps[0] == "Checking the passphrase" and steps[-1] == "Done"
    assert database_vault_id(home.vault_db) != old_id
    assert (
        sorted(p.name for p in home.root.iterdir() if "rekey" in p.name or ".new" in p.name) == []
    )
    with pytest.raises(WrongPassphrase):
        Vault.unlock(home, old_code)
    Vault.unlock(home, new_code).lock()
    _whole(home, rows).lock()


@pytest.mark.slow
def test_a_kill_at_any_step_leaves_the_old_or_the_new_vault_whole(small_vault, tmp_path):
    home, old_code, rows = small_vault
    passphrase_file = tmp_path / "passphrase.txt"
    passphrase_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    rng = random.Random(12)
    outcomes = []
    for step in range(7):
        for delay in (0.0, rng.uniform(0.0, 0.05)):
            old_id = database_vault_id(home.vault_db)
            printed_code = _rekey_until_killed(home.root, passphrase_file, step, delay)
            _whole(home, rows).lock()  # the passphrase opens whichever vault is on disk
            if database_vault_id(home.vault_db) == old_id:
                outcomes.append("old")
                Vault.unlock(home, old_code).lock()  # the old keys, whole
            else:
                outcomes.append("new")
                with pytest.raises(WrongPassphrase):
                    Vault.unlock(home, old_code)
                if printed_code is not None:
                    Vault.unlock(home, printed_code).lock()
                    old_code = printed_code
                else:  # killed before it showed the code: the passphrase issues another
                    vault = Vault.unlock(home, PASSPHRASE)
                    old_code = vault.new_recovery_code(PASSPHRASE, kdf=FAST_KDF)
                    vault.lock()
            leftovers = [p.name for p in home.root.iterdir() if "rekey" in p.name]
            assert leftovers == [], leftovers
    assert {"old", "new"} <= set(outcomes), outcomes
