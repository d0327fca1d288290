"""The core never imports Qt or the ui package (DESIGN.md §2; STYLE.md: core and UI apart)."""

from __future__ import annotations

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
