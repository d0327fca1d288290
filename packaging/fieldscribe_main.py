"""Entry point of the frozen bundle: the same as the `fieldscribe` console script. A bundle has
no installed package metadata to find the desktop app by, so it is handed over here."""

import sys

from app.cli.__main__ import main


def start_desktop(args) -> int:
    from ui.app import run_app  # Qt is imported only when a window is wanted

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main(start_desktop=start_desktop))
