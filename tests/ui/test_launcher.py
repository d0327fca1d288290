"""The `fieldscribe` executable: headless commands, the window, and no display."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.paths import Home
from ui.main_window import MainWindow

EXECUTABLE = Path(sys.executable).with_name("fieldscribe")


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(EXECUTABLE), *args], env=env, capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_without_a_display_it_says_so_in_one_sentence_and_shows_the_cli(tmp_path):
    env = {
        k: v for k, v in os.environ.items()
        if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}
    }  # fmt: skip
    env["FIELDSCRIBE_HOME"] = str(tmp_path)
    result = run(env=env)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("fieldscribe: No display was found")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert "unlock-test" in result.stdout and "audit" in result.stdout


def test_a_command_runs_headless_through_the_same_executable():
    result = run("--version", env=dict(os.environ))
    assert result.returncode == 0
    assert result.stdout.startswith("fieldscribe ")


def test_the_main_window_opens_on_the_create_screen_without_a_vault(qtbot, tmp_path):
    window = MainWindow(Home(tmp_path / "home"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.objectName() == "mainWindow"
    assert window.windowTitle() == "Fieldscribe"
    assert window.pages.currentWidget().objectName() == "createPage"


def test_the_main_window_opens_on_the_unlock_screen_with_a_vault(window):
    assert window.pages.currentWidget().objectName() == "unlockPage"
    assert window.unlock_page.passphrase.hasFocus() or not window.isActiveWindow()


def test_the_installed_package_registers_the_desktop_app_for_the_core_to_start():
    # app/ never names ui/: the console script finds the window through the package's entry point.
    from app.cli.__main__ import registered_desktop
    from ui.app import run_app

    assert registered_desktop() is run_app
