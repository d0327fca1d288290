"""`fieldscribe init`, `unlock-test`, `change-passphrase`, `rekey`, `recovery-code --new`."""

from __future__ import annotations

import argparse
import sys

from app.cli import common
from app.errors import VaultExists
from app.session import Session, vault_exists


def register(commands: argparse._SubParsersAction) -> None:
    common.add_command(
        commands,
        "init",
        cmd_init,
        "create a vault (the passphrase from --passphrase-file, or typed twice)",
    )
    common.add_command(
        commands,
        "unlock-test",
        cmd_unlock_test,
        "check a passphrase or recovery code, and every page of the vault",
    )
    change = common.add_command(
        commands,
        "change-passphrase",
        cmd_change_passphrase,
        "set a new passphrase (the current one or the recovery code is asked first)",
    )
    change.add_argument(
        "--new-passphrase-file",
        metavar="FILE",
        help="read the new passphrase from FILE instead of asking twice",
    )
    common.add_command(
        commands,
        "rekey",
        cmd_rekey,
        "re-encrypt the vault under a new data key (old copies of keys.json stop working) and "
        "issue a new recovery code; the passphrase is asked again",
    )
    recovery = common.add_command(
        commands,
        "recovery-code",
        cmd_recovery_code,
        "issue a new recovery code and retire the old one (the passphrase is asked again)",
    )
    recovery.add_argument("--new", action="store_true", required=True, help="issue a new code")


def cmd_init(args: argparse.Namespace) -> int:
    home = common.home_of(args)
    if vault_exists(home):
        raise VaultExists(f"A vault already exists at {home.root}; it was left untouched.")
    passphrase = common.new_passphrase(
        common.passphrase_file_of(args), prompt="Passphrase for the new vault: "
    )
    session, recovery_code = Session.create(home, passphrase)
    session.close("command finished")
    print(f"Created the vault at {home.root}.")
    print()
    _print_recovery_code(recovery_code)
    return 0


def _print_recovery_code(recovery_code: str) -> None:
    print("Recovery code — it opens the vault if the passphrase is lost. It is shown only now:")
    print("write it down and keep it apart from this computer.")
    print()
    print(f"    {recovery_code}")
    print()


def cmd_unlock_test(args: argparse.Namespace) -> int:
    with common.open_session(args, check_pages=True) as session:
        events = session.audit_log_size()
    print(f"Unlocked; every page of the vault verifies ({events} audit events).")
    return 0


def cmd_change_passphrase(args: argparse.Namespace) -> int:
    current = common.vault_passphrase(args)
    with common.open_session(args, current) as session:
        session.change_passphrase(current, common.new_passphrase(args.new_passphrase_file))
    print("The passphrase was changed; the recovery code still works.")
    print(
        "An old copy of keys.json still opens the vault with the old passphrase: run "
        "`fieldscribe rekey` to re-encrypt the vault so that no old copy does.",
        file=sys.stderr,
    )
    return 0


def _show_progress(done: int, total: int, message: str) -> None:
    if sys.stderr.isatty():
        print(f"\r[{done}/{total}] {message}…\033[K", end="", file=sys.stderr, flush=True)


def cmd_rekey(args: argparse.Namespace) -> int:
    passphrase = common.vault_passphrase(args)
    with common.open_session(args, passphrase) as session:
        recovery_code = session.rekey(passphrase, progress=_show_progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print("The vault was re-encrypted under a new data key: old copies of keys.json no longer")
    print("open it. The passphrase is unchanged; the old recovery code no longer works.")
    print()
    _print_recovery_code(recovery_code)
    return 0


def cmd_recovery_code(args: argparse.Namespace) -> int:
    secret = common.vault_passphrase(args)
    with common.open_session(args, secret) as session:
        recovery_code = session.new_recovery_code(secret)
    print("A new recovery code was issued; the old one no longer opens this vault's keys.json.")
    print()
    _print_recovery_code(recovery_code)
    return 0
