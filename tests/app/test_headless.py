"""The core never imports Qt or the ui package (DESIGN.md §2; STYLE.md: core and UI apart)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

IMPORT_EVERY_CORE_MODULE = """
import tests.headless
import importlib, pkgutil, sys
import app
modules = pkgutil.walk_packages(app.__path__, "app.")
names = [m.name for m in modules if not m.name.endswith("__main__")]
for name in names:
    importlib.import_module(name)
assert not {"PySide6", "shiboken6", "ui"} & set(sys.modules), "Qt was imported"
print(len(names))
"""


def test_every_core_module_imports_with_qt_blocked():
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERY_CORE_MODULE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 10  # the walk really found the core's modules


def test_the_blocker_blocks():
    result = subprocess.run(
        [sys.executable, "-c", "import tests.headless; import PySide6"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "is blocked" in result.stderr


RUN_THE_CLI_WITH_QT_AND_UI_BLOCKED = """
import sys
import tests.headless
from app.cli.__main__ import main
code = main(sys.argv[1:])
assert not {"PySide6", "shiboken6", "ui"} & set(sys.modules), "Qt or ui/ was imported"
sys.exit(code)
"""


def run_headless(*args: str, home: Path) -> subprocess.CompletedProcess:
    """The `fieldscribe` entry point, as `pip install .` without the desktop extra gives it."""
    return subprocess.run(
        [sys.executable, "-c", RUN_THE_CLI_WITH_QT_AND_UI_BLOCKED, "--home", str(home), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def test_the_command_line_works_with_qt_and_ui_unimportable(tmp_path, passphrase_file):
    home = tmp_path / "home"
    secret = ("--passphrase-file", str(passphrase_file))
    created = run_headless(*secret, "init", home=home)
    assert created.returncode == 0, created.stderr

    note = tmp_path / "note.txt"
    note.write_text("Roof inspected 03/05/2025: two slipped tiles above the porch.\n")
    digitized = run_headless(*secret, "digitize", str(note), "--json", home=home)
    assert digitized.returncode == 0, digitized.stderr
    (document,) = json.loads(digitized.stdout)["documents"]
    assert "two slipped tiles" in document["text"]

    models = run_headless(*secret, "models", "list", "--json", home=home)
    assert models.returncode == 0, models.stderr
    assert json.loads(models.stdout)["active"] == "SmolLM2-135M-Instruct"
    found = run_headless(*secret, "search", "slipped", home=home)
    assert found.returncode == 0 and "note.txt" in found.stdout

    # Without a command the desktop app is wanted: one sentence says it is not installed.
    no_window = run_headless(home=home)
    assert no_window.returncode == 1
    first_line = no_window.stderr.strip().splitlines()[0]
    assert first_line.startswith("fieldscribe: The desktop app is not installed")
    assert "fieldscribe[desktop]" in first_line and "Traceback" not in no_window.stderr
