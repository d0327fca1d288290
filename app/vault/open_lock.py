"""Which Fieldscribe processes have a vault open: an advisory lock on <home>/vault.lock.

Every process that has the vault unlocked holds a shared lock, so the desktop app and CLI
commands can use one vault at once (SQLite's WAL already serializes their writes, and the audit
log writer reads the log's state inside each transaction). Rekey swaps vault.db for a new file,
which another process would not see: it keeps writing into the old, unlinked file. So rekey
needs the lock exclusively, and an unlock waits for no rekey: it is refused while one runs.

POSIX flock(2): the lock goes with the process (also when it is killed). Windows has no flock
and no lock is taken there (not built or tested yet: LockFileEx would be its equivalent).
"""

from __future__ import annotations

import os
import sys

from app.errors import VaultInUse
from app.paths import Home

if sys.platform != "win32":
    import fcntl

OPEN_ELSEWHERE = (
    "The vault is open in another Fieldscribe window or command; close it there first, "
    "then try again."
)
REKEY_ELSEWHERE = (
    "The vault is being re-encrypted in another Fieldscribe window or command; open it again "
    "when that has finished."
)


class OpenLock:
    """This process's hold on a vault: shared while it is open, exclusive during a rekey."""

    def __init__(self, home: Home) -> None:
        self._fd: int | None = os.open(home.vault_lock, os.O_RDWR | os.O_CREAT, 0o600)
        if not self._try(_SHARED):
            self.release()
            raise VaultInUse(REKEY_ELSEWHERE)

    def make_exclusive(self) -> bool:
        """Hold the lock alone; False (still shared) if another process has the vault open."""
        if self._try(_EXCLUSIVE):
            return True
        # flock drops the shared lock before it tries the exclusive one: take it back. Only
        # another rekey that won this instant can hold it now, and then this vault is stale.
        if not self._try(_SHARED):
            raise VaultInUse(REKEY_ELSEWHERE)
        return False

    def make_shared(self) -> None:
        self._try(_SHARED)  # from exclusive to shared: nothing can conflict

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file releases its lock
            self._fd = None

    def _try(self, mode: int) -> bool:
        if sys.platform == "win32" or self._fd is None:
            return True
        try:
            fcntl.flock(self._fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


_SHARED = 0 if sys.platform == "win32" else fcntl.LOCK_SH
_EXCLUSIVE = 0 if sys.platform == "win32" else fcntl.LOCK_EX
