"""Makes Qt and the ui package unimportable, so that the core proves it runs without them.

Used as a pytest plugin for the core's tests (`pytest -p tests.headless -p no:pytest-qt
tests/app`, as `make test` does) and imported by test_headless.py's child process.
"""

from __future__ import annotations

import importlib.abc
import sys

BLOCKED = frozenset({"PySide6", "shiboken6", "PyQt5", "PyQt6", "ui"})


class _BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in BLOCKED:
            raise ImportError(f"{fullname} is blocked: app/ must run without Qt and ui/")
        return None


if not any(isinstance(finder, _BlockQt) for finder in sys.meta_path):
    sys.meta_path.insert(0, _BlockQt())


def pytest_addoption(parser):
    # pytest-qt is left out of the headless run (-p no:pytest-qt); declare its ini options so
    # the shared pyproject configuration is still valid here.
    parser.addini("qt_api", "used by pytest-qt in the ui run")
    parser.addini("qt_log_level_fail", "used by pytest-qt in the ui run")
    parser.addini("qt_log_ignore", "used by pytest-qt in the ui run", type="linelist")
