"""Two Fieldscribe processes on one vault (the desktop app and a command, say).

Ordinary use is shared: both read and write, and the audit log stays one verifiable chain.
A rekey swaps vault.db for a new file, which the other process would never see (it would go
on writing into the old, unlinked one), so it is refused while another process has the vault
open, and an unlock elsewhere is refused while a rekey runs instead of undoing it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.audit import log
from app.errors import VaultInUse
from app.paths import Home
from app.vault import Vault, keyslots
from app.vault.open_lock import OPEN_ELSEWHERE, REKEY_ELSEWHERE
from tests.app.vault.test_rekey import FAST_KDF
from tests.conftest import PASSPHRASE
from tests.helpers import add_text_documents

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def home(tmp_path) -> Home:
    home = Home(tmp_path / "home")
    vault, _ = Vault.create(home, PASSPHRASE, kdf=FAST_KDF)
    add_text_documents(vault, 3)
    vault.lock()
    return home


@pytest.fixture
def passphrase_file(tmp_path) -> Path:
    path = tmp_path / "passphrase.txt"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return path


def _child(home: Home, passphrase_file: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.app.vault.holder_child", str(home.root),
         str(passphrase_file), *args],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _finish(child: subprocess.Popen) -> str:
    output, errors = child.communicate(timeout=120)
    assert child.returncode == 0 and "Traceback" not in errors, errors
    return output


def test_both_processes_write_and_rekey_waits_until_the_other_has_closed(home, passphrase_file):
    other = _child(home, passphrase_file, "open")
    assert other.stdout.readline() == "open\n"
    vault = Vault.unlock(home, PASSPHRASE)  # the desktop app while a command has it open
    for number in range(10, 14):  # interleaved writes from both processes
        other.stdin.write(f"add {number}\n")
        other.stdin.flush()
        add_text_documents(vault, 1, start=100 + number, words="written here")
        assert other.stdout.readline() == f"added {number}\n"
    with pytest.raises(VaultInUse) as refused:
        vault.rekey(PASSPHRASE, kdf=FAST_KDF)
    assert str(refused.value) == OPEN_ELSEWHERE
    assert [p.name for p in home.root.iterdir() if "rekey" in p.name] == []
    add_text_documents(vault, 1, start=200)  # still open and usable after the refusal
    _finish(other)
    vault.rekey(PASSPHRASE, kdf=FAST_KDF)  # the other process has closed the vault
    assert vault.query("SELECT count(*) FROM documents") == [(3 + 4 + 4 + 1,)]
    vault.lock()
    vault = Vault.unlock(home, PASSPHRASE, check_pages=True)
    assert log.verify(vault) > 12
    vault.lock()


def test_rekey_through_the_cli_is_refused_in_one_sentence_while_the_app_has_the_vault_open(
    home, passphrase_file
):
    vault = Vault.unlock(home, PASSPHRASE)
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "--home", str(home.root),
         "--passphrase-file", str(passphrase_file), "rekey"],
        cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"fieldscribe: {OPEN_ELSEWHERE}"]
    add_text_documents(vault, 1, start=50)
    vault.lock()


def test_an_unlock_while_another_process_rekeys_is_refused_and_leaves_the_rekey_alone(
    home, passphrase_file
):
    rekeying = _child(home, passphrase_file, "rekey", "4")  # keys.json names both vaults
    assert rekeying.stdout.readline() == "paused\n"
    assert keyslots.read_key_file(home.key_slots).previous is not None
    with pytest.raises(VaultInUse) as refused:
        Vault.unlock(home, PASSPHRASE)
    assert str(refused.value) == REKEY_ELSEWHERE
    assert keyslots.read_key_file(home.key_slots).previous is not None  # not undone
    rekeying.stdin.write("go on\n")
    rekeying.stdin.flush()
    new_code = _finish(rekeying).removeprefix("code ").strip()
    vault = Vault.unlock(home, new_code, check_pages=True)
    assert vault.query("SELECT count(*) FROM documents") == [(3,)]
    assert log.verify(vault) > 3
    vault.lock()
