"""The `fieldscribe` executable: a command runs headless; no command starts the desktop app."""

from __future__ import annotations

import ctypes.util
import multiprocessing
import os
import sys

from app import cli


def display_problem() -> str | None:
    """Why Qt could not open a window here, in one sentence; None when it can."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return (
            "No display was found (DISPLAY and WAYLAND_DISPLAY are unset), so the desktop app "
            "cannot open; the command line works without one."
        )
    if os.environ.get("DISPLAY") and not ctypes.util.find_library("xcb-cursor"):
        return (
            "Qt needs the system library libxcb-cursor0 to open a window on X11: "
            "install it (sudo apt-get install libxcb-cursor0) and start Fieldscribe again."
        )
    return None


def main(argv: list[str] | None = None) -> int:
    multiprocessing.freeze_support()  # the model worker process, in a frozen bundle
    parser = cli.build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is not None:
        return cli.run(args)
    problem = display_problem()
    if problem:
        print(f"fieldscribe: {problem}\n", file=sys.stderr)
        parser.print_help()
        return 1
    from ui.app import run_app  # Qt is imported only when a window is wanted

    return run_app(args)
