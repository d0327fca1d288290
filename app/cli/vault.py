"""`fieldscribe init`, `unlock-test`, `change-passphrase`."""

from __future__ import annotations

import argparse

from app.cli import common
from app.errors import VaultExists
from app.vault import Vault


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


def cmd_init(args: argparse.Namespace) -> int:
    home = common.home_of(args)
    if Vault.exists(home):
        raise VaultExists(f"A vault already exists at {home.root}; it was left untouched.")
    passphrase = common.new_passphrase(
        common.passphrase_file_of(args), prompt="Passphrase for the new vault: "
    )
    vault, recovery_code = Vault.create(home, passphrase)
    vault.lock(reason="command finished")
    print(f"Created the vault at {home.root}.")
    print()
    print("Recovery code — it opens the vault if the passphrase is lost. It is shown only now:")
    print("write it down and keep it apart from this computer.")
    print()
    print(f"    {recovery_code}")
    print()
    return 0


def cmd_unlock_test(args: argparse.Namespace) -> int:
    with common.unlocked_vault(args, check_pages=True) as vault:
        (events,) = vault.query("SELECT count(*) FROM audit_events")[0]
    print(f"Unlocked; every page of the vault verifies ({events} audit events).")
    return 0


def cmd_change_passphrase(args: argparse.Namespace) -> int:
    current = common.vault_passphrase(args)
    with common.unlocked_vault(args, current) as vault:
        vault.change_passphrase(current, common.new_passphrase(args.new_passphrase_file))
    print("The passphrase was changed; the recovery code still works.")
    return 0
