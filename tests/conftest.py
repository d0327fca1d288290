"""Fixtures shared by every test: no leaked threads, and vaults built once and copied."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from app.paths import Home
from app.vault import Vault

PASSPHRASE = 'correct horse "battery" \\ staple 🙂'


@pytest.fixture(autouse=True)
def no_leaked_threads():
    """Fail a test that leaves a thread running (napari's conftest does the same)."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    for thread in leaked:
        thread.join(timeout=5)
    still_running = [t.name for t in leaked if t.is_alive()]
    assert not still_running, f"test left threads running: {still_running}"


@pytest.fixture(scope="module")
def engine():
    """The real default model in its worker process, loaded once per test module."""
    from app.engine import Engine
    from app.engine.registry import default_model

    engine = Engine(default_model())
    engine.start_loading()  # returns at once; the first request waits for it
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def vault_template(tmp_path_factory) -> tuple[Path, str]:
    """One vault made with the real key derivation; tests get copies (Argon2 is slow on purpose)."""
    root = tmp_path_factory.mktemp("template") / "home"
    vault, recovery_code = Vault.create(Home(root), PASSPHRASE)
    vault.lock()
    return root, recovery_code


@pytest.fixture
def vault_home(vault_template, tmp_path) -> Home:
    root = tmp_path / "home"
    shutil.copytree(vault_template[0], root)
    return Home(root)


@pytest.fixture
def recovery_code(vault_template) -> str:
    return vault_template[1]


@pytest.fixture
def vault(vault_home):
    opened = Vault.unlock(vault_home, PASSPHRASE)
    yield opened
    opened.lock()


@pytest.fixture
def session(vault_home):
    """A session over a copy of the shared vault, closed at the end unless the test closed it."""
    from app.session import Session  # the model and the jobs: imported by the tests that need them

    opened = Session.unlock(vault_home, PASSPHRASE)
    yield opened
    if not opened.vault.is_locked:
        opened.close()


@pytest.fixture
def passphrase_file(tmp_path) -> Path:
    path = tmp_path / "passphrase.txt"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return path
