"""The `fieldscribe` command line (DESIGN.md §7). Headless: it never imports Qt (the entry
point, `app.cli.__main__`, imports the desktop app only when no command is given).

Each area registers its commands from its own module; a command's handler takes the parsed
arguments and returns the exit code: 0 ok, 1 the job failed or a check found tampering,
2 bad usage or bad input. Known errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback

from app import __version__
from app.cli import audit, common, jobs, models, settings, vault
from app.errors import Cancelled, FieldscribeError

_AREAS = (vault, jobs, models, settings, audit)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldscribe",
        description="Offline document assistant with an encrypted vault and an audit log. "
        "Without a command, the desktop app starts.",
    )
    parser.add_argument("--version", action="version", version=f"fieldscribe {__version__}")
    common.add_global_options(parser, on_subcommand=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for area in _AREAS:
        area.register(commands)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run a parsed command, turning known errors into one line on stderr and an exit code."""
    logging.basicConfig(level=logging.WARNING, format="fieldscribe: %(message)s")
    try:
        return args.func(args)
    except Cancelled:
        print("fieldscribe: cancelled.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("fieldscribe: interrupted.", file=sys.stderr)
        return 130
    except FieldscribeError as exc:
        print(f"fieldscribe: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # a bug: say so in one line; the traceback only on request
        if args.debug:
            traceback.print_exc()
        print(
            f"fieldscribe: internal error ({type(exc).__name__}); nothing more was changed. "
            "Run again with --debug to see the details.",
            file=sys.stderr,
        )
        return 1
