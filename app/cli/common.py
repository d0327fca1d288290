"""What every command shares: options, passphrases, opening the vault, printing."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.errors import BadInput
from app.paths import Home, resolve_home
from app.session import Session, check_new_passphrase

PASSPHRASE_FILE_ENV = "FIELDSCRIBE_PASSPHRASE_FILE"


def add_global_options(
    parser: argparse.ArgumentParser, *, on_subcommand: bool, vault_passphrase: bool = True
) -> None:
    """Options accepted before or after the command. On a subcommand the defaults are
    SUPPRESSed, so a value given before the command is not overwritten by the default."""
    default = argparse.SUPPRESS if on_subcommand else None
    parser.add_argument(
        "--home",
        metavar="DIR",
        default=default,
        help="the vault's directory (default: FIELDSCRIBE_HOME or the user data dir)",
    )
    if vault_passphrase:
        parser.add_argument(
            "--passphrase-file",
            metavar="FILE",
            default=default,
            help=f"read the vault passphrase from FILE (or set {PASSPHRASE_FILE_ENV})",
        )
    parser.add_argument(
        "--model",
        metavar="NAME",
        default=default,
        help="the model for this run (default: the vault's active model)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default or False,
        help="show the traceback of an internal error",
    )


def home_of(args: argparse.Namespace) -> Home:
    return resolve_home(getattr(args, "home", None))


def read_text_file(path: str | os.PathLike[str], what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"{path}: the {what} does not exist.") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read the {what} ({exc.strerror}).") from None
    except UnicodeDecodeError:
        raise BadInput(f"{path}: the {what} is not UTF-8 text.") from None


def read_secret_file(path: str | os.PathLike[str], what: str = "passphrase file") -> str:
    """The first line of a secret file, without its line ending."""
    first_line = read_text_file(path, what).split("\n", 1)[0].removesuffix("\r")
    if not first_line:
        raise BadInput(f"{path}: the {what} is empty.")
    return first_line


def _prompt(prompt: str) -> str:
    if not sys.stdin.isatty():
        raise BadInput(
            f"No passphrase given: use --passphrase-file FILE or set {PASSPHRASE_FILE_ENV}."
        )
    return getpass.getpass(prompt)


def passphrase_file_of(args: argparse.Namespace) -> str | None:
    return getattr(args, "passphrase_file", None) or os.environ.get(PASSPHRASE_FILE_ENV)


def vault_passphrase(args: argparse.Namespace) -> str:
    path = passphrase_file_of(args)
    return read_secret_file(path) if path else _prompt("Vault passphrase: ")


def new_passphrase(path: str | None, prompt: str = "New passphrase: ") -> str:
    """A passphrase for a new key slot: from a file, or typed twice."""
    if path:
        passphrase = read_secret_file(path)
    else:
        passphrase = _prompt(prompt)
        if _prompt("Repeat it: ") != passphrase:
            raise BadInput("The two passphrases differ; nothing was changed.")
    check_new_passphrase(passphrase)  # the policy lives in the core
    return passphrase


@contextmanager
def open_session(
    args: argparse.Namespace, secret: str | None = None, *, check_pages: bool = False
) -> Iterator[Session]:
    """A session for one command (the model `--model` names, if given), closed however the
    command ends: the model and the OCR process stopped, the vault locked. `secret` is the
    passphrase or recovery code when the command has read it already."""
    session = Session.unlock(
        home_of(args),
        secret or vault_passphrase(args),
        check_pages=check_pages,
        model=getattr(args, "model", None),
    )
    with session:
        yield session


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def add_command(
    commands: argparse._SubParsersAction,
    name: str,
    handler,
    help: str,
    *,
    vault_passphrase: bool = True,
) -> argparse.ArgumentParser:
    """A subcommand that accepts the global options too and runs `handler(args) -> int`."""
    parser = commands.add_parser(name, help=help, description=help)
    add_global_options(parser, on_subcommand=True, vault_passphrase=vault_passphrase)
    parser.set_defaults(func=handler)
    return parser
