"""Known errors: things the environment or the user's input did, shown as one sentence.

Anything else that escapes is a bug and is logged with its traceback. `exit_code` follows
DESIGN.md §7: 1 = the job failed or a check found damage/tampering, 2 = bad usage or bad input.
"""

from __future__ import annotations


class FieldscribeError(Exception):
    """An expected failure with a sentence fit to show a user."""

    exit_code = 1


class BadInput(FieldscribeError):
    exit_code = 2


class VaultNotFound(FieldscribeError):
    exit_code = 2


class VaultExists(FieldscribeError):
    exit_code = 2


class WrongPassphrase(FieldscribeError):
    exit_code = 2

    def __init__(self, message: str = "Wrong passphrase.") -> None:
        super().__init__(message)


class VaultDamaged(FieldscribeError):
    exit_code = 1


class VaultRolledBack(VaultDamaged):
    """The log is shorter than, or differs from, the head recorded at its last commit."""


class ForeignKeyFile(FieldscribeError):
    """keys.json belongs to another vault than vault.db."""

    exit_code = 2


class VaultLocked(FieldscribeError):
    exit_code = 2

    def __init__(self, message: str = "The vault is locked.") -> None:
        super().__init__(message)


class VaultInUse(FieldscribeError):
    """Another Fieldscribe process holds the vault in a way this action cannot share."""

    exit_code = 1


class StorageError(FieldscribeError):
    """The disk refused a write (full, read-only); nothing of the change was saved."""

    exit_code = 1


class Cancelled(Exception):
    """The user cancelled. Not an error: callers stop quietly."""
