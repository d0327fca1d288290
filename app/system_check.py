"""What the two commands need from the system, checked before anything is built.

`make run` and `make test` run this file with the system's Python before creating the venv
(`python3 app/system_check.py [--qt] [--window]`), so it uses the standard library only and
parses on old Pythons. The `fieldscribe` command asks it why a window cannot open. It prints
one sentence: what is missing and the command that installs it.
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import shutil
import sys

MIN_PYTHON = (3, 11)

# The shared libraries Qt 6 loads, as find_library names them, with the package that brings each
# on Debian/Ubuntu and on Fedora: any Qt GUI (the tests' offscreen windows too)...
QT_GUI_LIBRARIES = (
    ("EGL", "libegl1", "libglvnd-egl"),
    ("GL", "libgl1", "libglvnd-glx"),
    ("fontconfig", "libfontconfig1", "fontconfig"),
    ("xkbcommon", "libxkbcommon0", "libxkbcommon"),
    ("dbus-1", "libdbus-1-3", "dbus-libs"),
    ("glib-2.0", "libglib2.0-0", "glib2"),
)
# ...and a window on X11 (the xcb platform plugin).
QT_XCB_LIBRARIES = (
    ("xcb-cursor", "libxcb-cursor0", "xcb-util-cursor"),
    ("xcb-icccm", "libxcb-icccm4", "xcb-util-wm"),
    ("xcb-image", "libxcb-image0", "xcb-util-image"),
    ("xcb-keysyms", "libxcb-keysyms1", "xcb-util-keysyms"),
    ("xcb-randr", "libxcb-randr0", "libxcb"),
    ("xcb-render-util", "libxcb-render-util0", "xcb-util-renderutil"),
    ("xcb-shape", "libxcb-shape0", "libxcb"),
    ("xcb-xkb", "libxcb-xkb1", "libxcb"),
    ("xkbcommon-x11", "libxkbcommon-x11-0", "libxkbcommon-x11"),
)


def system_family() -> str:
    """ "debian" (Ubuntu too), "fedora" (and RHEL-likes), "macos", or "other"."""
    if sys.platform == "darwin":
        return "macos"
    try:
        with open("/etc/os-release", encoding="utf-8") as release:
            fields = dict(line.rstrip("\n").split("=", 1) for line in release if "=" in line)
    except OSError:
        return "other"
    names = (fields.get("ID", "") + " " + fields.get("ID_LIKE", "")).replace('"', "").split()
    if {"debian", "ubuntu"} & set(names):
        return "debian"
    if {"fedora", "rhel", "centos"} & set(names):
        return "fedora"
    return "other"


class Missing:
    """One missing thing: what it is, and the packages that bring it on each family."""

    def __init__(self, what: str, debian: list[str], fedora: list[str], macos: list[str]):
        self.what = what
        self.packages = {"debian": debian, "fedora": fedora, "macos": macos}


def python_missing() -> list[Missing]:
    version = ".".join(map(str, sys.version_info[:3]))
    wanted = ".".join(map(str, MIN_PYTHON))
    if sys.version_info[:2] < MIN_PYTHON:
        return [
            Missing(
                f"Python {wanted} or newer with venv (this is {version}; then run make with "
                f"PYTHON=python{wanted})",
                [f"python{wanted}", f"python{wanted}-venv"],
                [f"python{wanted}"],
                [f"python@{wanted}"],
            )
        ]
    if importlib.util.find_spec("ensurepip") is None:
        return [Missing("Python's venv module", ["python3-venv"], ["python3"], [])]
    return []


def build_tools_missing() -> list[Missing]:
    """llama-cpp-python compiles from source: a C and a C++ compiler and CMake."""
    missing = []
    if not any(shutil.which(c) for c in ("cc", "gcc", "clang")) or not any(
        shutil.which(c) for c in ("c++", "g++", "clang++")
    ):
        missing.append(Missing("a C/C++ compiler", ["build-essential"], ["gcc", "gcc-c++"], []))
    if not shutil.which("cmake"):
        missing.append(Missing("CMake", ["cmake"], ["cmake"], ["cmake"]))
    return missing


def _libraries_missing(what: str, libraries: tuple[tuple[str, str, str], ...]) -> list[Missing]:
    """On Linux only: macOS and Windows get what Qt needs with Qt's own wheel."""
    if not sys.platform.startswith("linux"):
        return []
    absent = [entry for entry in libraries if not ctypes.util.find_library(entry[0])]
    if not absent:
        return []
    debian = sorted({entry[1] for entry in absent})
    fedora = sorted({entry[2] for entry in absent})
    return [Missing(what, debian, fedora, [])]


def qt_libraries_missing() -> list[Missing]:
    return _libraries_missing("the system libraries Qt draws with", QT_GUI_LIBRARIES)


def window_libraries_missing() -> list[Missing]:
    """Qt's X11 libraries (an offscreen run needs none)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return []
    return _libraries_missing("Qt's X11 libraries for the window", QT_XCB_LIBRARIES)


def install_command(missing: list[Missing], family: str) -> str:
    packages = [p for m in missing for p in m.packages.get(family, [])]
    needs_compiler = family == "macos" and any(m.what == "a C/C++ compiler" for m in missing)
    if family == "debian":
        return "sudo apt-get install " + " ".join(packages)
    if family == "fedora":
        return "sudo dnf install " + " ".join(packages)
    if family == "macos":
        commands = ["xcode-select --install"] if needs_compiler else []
        if packages:
            commands.append("brew install " + " ".join(packages))
        return " && ".join(commands)
    return "your system's package manager (see the README)"


def sentence(missing: list[Missing], family: str) -> str:
    whats = [m.what for m in missing]
    listed = whats[0] if len(whats) == 1 else ", ".join(whats[:-1]) + " and " + whats[-1]
    return f"Fieldscribe needs {listed}: install with `{install_command(missing, family)}`."


def main(argv: list[str]) -> int:
    missing = python_missing() + build_tools_missing()
    if "--qt" in argv or "--window" in argv:
        missing += qt_libraries_missing()
    if "--window" in argv:
        missing += window_libraries_missing()
    if missing:
        print(sentence(missing, system_family()), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
