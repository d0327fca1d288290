"""What `make` says when the system lacks something: one sentence and the command to run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from app import system_check

ROOT = Path(__file__).resolve().parents[2]


def test_this_machine_has_what_the_commands_need():
    result = subprocess.run(
        [sys.executable, str(ROOT / "app" / "system_check.py"), "--qt"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_what_is_missing_is_one_sentence_with_its_install_command(monkeypatch):
    # Whatever this machine has: every tool and library present but CMake and one of Qt's.
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "cmake" else f"/bin/{name}")
    monkeypatch.setattr(
        system_check.ctypes.util,
        "find_library",
        lambda name: None if name == "xcb-cursor" else f"lib{name}.so",
    )
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(system_check.sys, "platform", "linux")
    missing = system_check.build_tools_missing() + system_check.window_libraries_missing()
    assert system_check.sentence(missing, "debian") == (
        "Fieldscribe needs CMake and Qt's X11 libraries for the window: install with "
        "`sudo apt-get install cmake libxcb-cursor0`."
    )
    assert system_check.install_command(missing, "fedora") == (
        "sudo dnf install cmake xcb-util-cursor"
    )
    assert system_check.install_command(missing, "macos") == "brew install cmake"
