"""The `fieldscribe` executable (the console script, `python -m app.cli`, the frozen bundle).

A command runs headless. Without one the desktop app starts: only then is ui/ (and Qt)
imported, so an install without the `desktop` extra is a complete command line. The core never
names the ui package: the installed package registers the desktop app's start function under
the entry-point group FRONT_ENDS, and the frozen bundle hands it to `main`.
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import os
import sys
from collections.abc import Callable
from importlib.metadata import entry_points

from app import cli, system_check

DESKTOP_EXTRA = "pip install 'fieldscribe[desktop]'"
FRONT_ENDS = "fieldscribe.front_ends"
NOT_INSTALLED = (
    f"The desktop app is not installed (it needs Qt: {DESKTOP_EXTRA}); the command line works "
    "without it."
)

DesktopStart = Callable[[argparse.Namespace], int]


def registered_desktop() -> DesktopStart | None:
    """The desktop app's start function as the installed package registers it, if it does."""
    for entry in entry_points(group=FRONT_ENDS, name="desktop"):
        return entry.load()
    return None


def _qt_installed() -> bool:
    try:
        return importlib.util.find_spec("PySide6") is not None
    except ImportError:  # an import hook that forbids it (the tests' headless run)
        return False


def desktop_problem() -> str | None:
    """Why the desktop app cannot open here, in one sentence; None when it can."""
    if not _qt_installed():
        return NOT_INSTALLED
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return (
            "No display was found (DISPLAY and WAYLAND_DISPLAY are unset), so the desktop app "
            "cannot open; the command line works without one."
        )
    missing = system_check.window_libraries_missing() if os.environ.get("DISPLAY") else []
    if missing:
        command = system_check.install_command(missing, system_check.system_family())
        return (
            f"Qt needs system libraries to open a window on X11: install them ({command}) "
            "and start Fieldscribe again."
        )
    return None


def main(argv: list[str] | None = None, start_desktop: DesktopStart | None = None) -> int:
    multiprocessing.freeze_support()  # the worker processes, in a frozen bundle
    parser = cli.build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is not None:
        return cli.run(args)
    problem = desktop_problem()
    start = None if problem else start_desktop or registered_desktop()
    if start is None:
        print(f"fieldscribe: {problem or NOT_INSTALLED}\n", file=sys.stderr)
        parser.print_help()
        return 1
    return start(args)


if __name__ == "__main__":
    sys.exit(main())
