"""The vault: one SQLCipher database opened with a data key from a key slot.

Every change goes through `Vault.transaction()`, and every audit event is written in the same
transaction as the change it records, together with the next signed checkpoint (app/audit's log
writer writes into the connection the vault gives it). After each commit that wrote events, the
log's head is recorded outside the database (app/vault/log_head.py).
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlcipher3

from app.audit.checkpoint import Checkpoint
from app.audit.writer import LogHead, LogWriter, head, root_of_first
from app.errors import (
    BadInput,
    ForeignKeyFile,
    StorageError,
    VaultDamaged,
    VaultExists,
    VaultInUse,
    VaultLocked,
    VaultNotFound,
    WrongPassphrase,
)
from app.fsutil import fsync_directory
from app.paths import Home
from app.vault import failed_unlocks, keyslots, log_head
from app.vault.open_lock import OPEN_ELSEWHERE, OpenLock
from app.vault.permissions import secure_home
from app.vault.schema import MIGRATIONS, SCHEMA_VERSION

# How SQLite words the errors that mean "the bytes on disk are not what was written".
_DAMAGE_MESSAGES = ("file is not a database", "malformed", "corrupt")
_PAGE_SIZE = 4096  # SQLCipher 4's default, which the vault uses
_PLAIN_SQLITE = b"SQLite format 3\x00"
_REKEY_SUFFIX = ".rekey"
# An encrypted page looks random: 4,096 random bytes take about 256 distinct values, text or an
# unencrypted page far fewer. Below this, the file is not a vault, whatever its keys say.
_MIN_DISTINCT_BYTES = 200  # the re-encrypted copy, beside vault.db until it is swapped in

Progress = Callable[[int, int, str], None]


def _actor() -> str:
    """The OS account running Fieldscribe, labelled as such: it is not an authenticated user."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no login name (e.g. a container without a passwd entry)
        name = f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return f"os-user:{name}"


def _damage_found(conn: sqlcipher3.Connection) -> list[str]:
    """What every page's HMAC check and SQLite's structure check find wrong; empty if nothing."""
    problems: list[str] = []
    try:
        problems += [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check")]
        problems += [str(r[0]) for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
    except sqlcipher3.DatabaseError as exc:
        problems.append(str(exc))
    return problems


def _damaged(path: Path, problems: list[str], limit: int = 3) -> VaultDamaged:
    shown = "; ".join(problems[:limit])
    more = f" (and {len(problems) - limit} more)" if len(problems) > limit else ""
    return VaultDamaged(f"The vault {path} is damaged: {shown}{more}.")


def database_vault_id(db_path: Path) -> str:
    """The vault id: SQLCipher's random salt, the first 16 bytes of the file, in hex.

    A file that cannot be an encrypted vault (empty, too short, a plain SQLite database) is
    damage, refused before anything opens it, so nothing is ever written into it."""
    try:
        with open(db_path, "rb") as db:
            first = db.read(_PAGE_SIZE)
        size = db_path.stat().st_size
    except OSError as exc:
        raise VaultDamaged(f"The vault {db_path} cannot be read ({exc.strerror}).") from exc
    if size == 0:
        raise VaultDamaged(f"The vault {db_path} is damaged: the file is empty; it was left as is.")
    if first.startswith(_PLAIN_SQLITE):
        raise VaultDamaged(
            f"The vault {db_path} is damaged: it is a plain SQLite database, not an encrypted "
            "vault; it was left as is."
        )
    if len(set(first)) < _MIN_DISTINCT_BYTES:
        raise VaultDamaged(
            f"The vault {db_path} is damaged: it is not an encrypted database (its first page "
            "is not ciphertext); it was left as is."
        )
    if size < _PAGE_SIZE or size % _PAGE_SIZE:
        raise VaultDamaged(
            f"The vault {db_path} is damaged: {size} bytes is not a whole number of pages; "
            "it was left as is."
        )
    return first[: keyslots.VAULT_ID_BYTES].hex()


def _open_connection(db_path: Path, data_key: bytes) -> sqlcipher3.Connection:
    conn = sqlcipher3.connect(str(db_path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA cipher_log_level = NONE")
    # A raw key: hex digits only ever reach the SQL text, never a passphrase.
    conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
    conn.execute("PRAGMA cipher_compatibility = 4")  # explicit: a newer SQLCipher keeps reading
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        # The key came out of a slot whose GCM tag verified, so it is the right key:
        # a database that won't open with it is damaged, never "wrong passphrase".
        problems = _damage_found(conn) or [str(exc)]
        conn.close()
        raise _damaged(db_path, problems) from exc
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA temp_store = MEMORY")  # no temporary files on disk
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")  # deleted content is overwritten, not left behind
    return conn


def _remove_rekey_leftovers(home: Home) -> None:
    copy = home.vault_db.with_name(home.vault_db.name + _REKEY_SUFFIX)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    _new_head_path(home).unlink(missing_ok=True)


def _new_head_path(home: Home) -> Path:
    return home.log_head.with_name(home.log_head.name + ".new")


def finish_interrupted_rekey(home: Home) -> None:
    """Complete or undo a rekey that was stopped; the vault on disk decides which.

    keys.json names both vaults while a rekey swaps them: if vault.db is already the new one,
    the new head and slots are kept; if it is still the old one, the old slots are put back.
    Either way the vault that is whole on disk opens with the keys that belong to it."""
    key_file = keyslots.read_key_file(home.key_slots)
    if key_file.previous is None:
        _remove_rekey_leftovers(home)
        return
    on_disk = database_vault_id(home.vault_db)
    if on_disk == key_file.vault_id:  # swapped: finish
        new_head = _new_head_path(home)
        if new_head.exists():
            os.replace(new_head, home.log_head)
        keyslots.write_key_file(home.key_slots, keyslots.KeyFile(key_file.vault_id, key_file.slots))
    elif on_disk == key_file.previous.vault_id:  # not swapped: undo
        keyslots.write_key_file(home.key_slots, key_file.previous)
        _remove_rekey_leftovers(home)


class Transaction:
    """One write transaction. Audit events added here commit or roll back with the change."""

    def __init__(self, conn: sqlcipher3.Connection, actor: str, log: LogWriter) -> None:
        self._conn = conn
        self._actor = actor
        self._log = log
        self._next_seq: int | None = None
        self.new_leaves: list[bytes] = []

    def execute(self, sql: str, params: tuple | dict = ()) -> sqlcipher3.Cursor:
        return self._conn.execute(sql, params)

    def set_setting(self, key: str, value: Any) -> None:
        self._conn.execute(
            "INSERT INTO settings (key, value_json) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json",
            (key, json.dumps(value)),
        )

    def setting(self, key: str, default: Any = None) -> Any:
        row = self._conn.execute("SELECT value_json FROM settings WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def audit(
        self,
        action: str,
        object_type: str,
        object_id: str | int,
        details: dict[str, Any] | None = None,
        outcome: str = "ok",
    ) -> int:
        """Append an event; `details` holds ids and hashes, never document content."""
        if self._next_seq is None:
            self._next_seq = self._log.next_seq(self._conn)
        seq = self._next_seq
        leaf = self._log.append(
            self._conn, seq, self._actor, action, object_type, object_id, details or {}, outcome
        )
        self.new_leaves.append(leaf)
        self._next_seq += 1
        return seq

    def keyed_hash(self, text: str) -> str:
        """What stands for words the user typed (a search) in the log: a keyed hash."""
        return self._log.keyed_hash(text)

    def sign_in_chain(self, checkpoint: Checkpoint) -> str:
        """Sign `checkpoint` (an export's) as the next link of the device's checkpoint chain."""
        return self._log.sign_in_chain(self._conn, checkpoint)


class Vault:
    """An unlocked vault. Thread-safe: one connection, one lock."""

    def __init__(
        self, home: Home, hold: OpenLock, conn: sqlcipher3.Connection, data_key: bytes,
        vault_id: str,
    ) -> None:  # fmt: skip
        self.home = home
        self._hold = hold
        self._conn: sqlcipher3.Connection | None = conn
        self._lock = threading.RLock()
        self._actor = _actor()
        self._log: LogWriter | None = None
        self._use_key(data_key, vault_id)

    def _use_key(self, data_key: bytes, vault_id: str) -> None:
        """Keep what the vault needs from the data key: MAC keys, not the key itself."""
        self.vault_id = vault_id
        self._head_key = log_head.derive_key(data_key, "log-head")
        self._sidecar_key = log_head.derive_key(data_key, "failed-unlocks")

    # -- opening and closing ------------------------------------------------------------------

    @staticmethod
    def exists(home: Home) -> bool:
        return home.vault_db.exists() or home.key_slots.exists()

    @classmethod
    def create(
        cls, home: Home, passphrase: str, kdf: keyslots.KdfParams = keyslots.DEFAULT_KDF
    ) -> tuple[Vault, str]:
        """A new vault and its recovery code (shown once; it is stored nowhere in plain form)."""
        if cls.exists(home):
            raise VaultExists(f"A vault already exists at {home.root}; it was left untouched.")
        keyslots.check_new_passphrase(passphrase)
        home.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        secure_home(home)
        hold = OpenLock(home)
        data_key = keyslots.new_data_key()
        conn = _open_connection(home.vault_db, data_key)
        home.vault_db.chmod(0o600)  # the WAL and SHM files inherit this
        vault = cls(home, hold, conn, data_key, "")
        vault._migrate(creating=True)
        vault._use_key(data_key, database_vault_id(home.vault_db))
        with vault._locked_connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            vault._log = LogWriter.create(conn)
            conn.execute("COMMIT")
        recovery_code = keyslots.new_recovery_code()
        vault._write_slots(data_key, keyslots.normalize_passphrase(passphrase), recovery_code, kdf)
        with vault.transaction() as tx:
            tx.set_setting(log_head.RECORDED_SETTING, True)
            epoch = failed_unlocks.new_epoch()
            tx.set_setting(failed_unlocks.EPOCH_SETTING, epoch)
            tx.audit(
                "vault.create",
                "vault",
                vault.origin,
                {"device_key": vault.fingerprint, "schema_version": SCHEMA_VERSION},
            )
        failed_unlocks.start_epoch(home, vault._sidecar_key, epoch)
        return vault, recovery_code

    def _write_slots(
        self, data_key: bytes, passphrase: str, recovery_code: str, kdf: keyslots.KdfParams
    ) -> None:
        normalized_code = keyslots.normalize_recovery_code(recovery_code)
        assert normalized_code is not None
        key_file = self._new_key_file(data_key, passphrase, normalized_code, kdf)
        keyslots.write_key_file(self.home.key_slots, key_file)

    def _new_key_file(
        self, data_key: bytes, passphrase: str, normalized_code: str, kdf: keyslots.KdfParams,
        vault_id: str | None = None,
    ) -> keyslots.KeyFile:  # fmt: skip
        vault_id = vault_id or self.vault_id
        slots = [
            keyslots.make_slot(keyslots.PASSPHRASE_SLOT, passphrase, data_key, kdf, vault_id),
            keyslots.make_slot(keyslots.RECOVERY_SLOT, normalized_code, data_key, kdf, vault_id),
        ]
        return keyslots.KeyFile(vault_id, {slot["id"]: slot for slot in slots})

    @classmethod
    def unlock(cls, home: Home, secret: str, *, check_pages: bool = False) -> Vault:
        """Open with a passphrase or the recovery code. A vault it can't open is never modified.

        `check_pages` verifies every page's HMAC before anything is written (time grows with
        the vault's size); without it, damage is still caught when a damaged page is read.
        """
        if not home.vault_db.exists() or not home.key_slots.exists():
            raise VaultNotFound(
                f"No vault at {home.root}: create one with `fieldscribe init`."
                if not cls.exists(home)
                else f"The vault at {home.root} is incomplete (vault.db or keys.json is missing)."
            )
        secure_home(home)
        hold = OpenLock(home)  # before anything is read: a rekey elsewhere is refused here
        try:
            finish_interrupted_rekey(home)
            key_file = keyslots.read_key_file(home.key_slots)
            vault_id = database_vault_id(home.vault_db)
            if key_file.vault_id is not None and key_file.vault_id != vault_id:
                raise ForeignKeyFile(
                    f"The keys in {home.key_slots} belong to another vault than "
                    f"{home.vault_db}; nothing was changed."
                )
            try:
                data_key, slot_id = keyslots.unwrap_data_key(key_file, secret)
            except WrongPassphrase:
                failed_unlocks.record(home)
                raise
            conn = _open_connection(home.vault_db, data_key)
        except BaseException:
            hold.release()
            raise
        vault = cls(home, hold, conn, data_key, vault_id)
        try:
            if check_pages and (problems := vault.integrity_problems()):
                raise _damaged(home.vault_db, problems)
            vault._migrate(creating=False)
            vault._check_log_head()
            with vault._locked_connection() as conn:
                vault._log = LogWriter.load(conn)
            if key_file.vault_id is None:  # an unbound key file: bind it now (same slots)
                keyslots.write_key_file(home.key_slots, keyslots.KeyFile(vault_id, key_file.slots))
            epoch = vault._record_unlock(slot_id)
        except BaseException:
            vault._close()
            raise
        failed_unlocks.start_epoch(home, vault._sidecar_key, epoch)
        return vault

    def _record_unlock(self, slot_id: str) -> str:
        """The failed attempts since the last unlock, then the unlock; the sidecar's new epoch."""
        with self.transaction() as tx:
            failed = failed_unlocks.read(
                self.home, self._sidecar_key, tx.setting(failed_unlocks.EPOCH_SETTING)
            )
            for attempted in failed.timestamps:
                tx.audit("vault.unlock_failed", "vault", self.origin,
                         {"attempted_utc": attempted}, outcome="denied")  # fmt: skip
            unrecorded = failed.count - len(failed.timestamps)
            if unrecorded:
                tx.audit("vault.unlock_failed", "vault", self.origin,
                         {"attempts_without_time": unrecorded}, outcome="denied")  # fmt: skip
            if failed.problem:  # deleted or put back from an earlier time: the count is unknown
                tx.audit("vault.unlock_failed", "vault", self.origin,
                         {"record": failed.problem}, outcome="unknown")  # fmt: skip
            epoch = failed_unlocks.new_epoch()
            tx.set_setting(failed_unlocks.EPOCH_SETTING, epoch)
            tx.set_setting(log_head.RECORDED_SETTING, True)
            tx.audit("vault.unlock", "vault", self.origin, {"key_slot": slot_id})
        return epoch

    def lock(self, reason: str = "user") -> None:
        """Record the lock, then drop the connection and with it the key."""
        with self._lock:
            if self._conn is None:
                return
            try:
                with self.transaction() as tx:
                    tx.audit("vault.lock", "vault", self.origin, {"reason": reason})
            finally:
                self._close()

    def _close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
                self._log = None
                self._head_key = self._sidecar_key = b""
            self._hold.release()

    @property
    def is_locked(self) -> bool:
        return self._conn is None

    # -- reading and writing ------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked_connection(self) -> Iterator[sqlcipher3.Connection]:
        with self._lock:
            if self._conn is None:
                raise VaultLocked()
            try:
                yield self._conn
            except sqlcipher3.DatabaseError as exc:
                raise self._known_error(exc) from exc

    def _known_error(self, exc: sqlcipher3.DatabaseError) -> Exception:
        assert self._conn is not None
        message = str(exc).lower()
        where = self.home.vault_db
        if "disk is full" in message:
            return StorageError(f"The disk holding {where} is full; the change was not saved.")
        if "disk i/o error" in message:
            return StorageError(f"The disk reported an error on {where}; the change was not saved.")
        # SQLCipher reports some damaged pages as "readonly": look before blaming permissions.
        looks_damaged = any(marker in message for marker in _DAMAGE_MESSAGES)
        if looks_damaged or "readonly" in message:
            problems = _damage_found(self._conn)
            if problems or looks_damaged:
                return _damaged(where, problems or [str(exc)])
            return StorageError(f"The vault {where} is read-only; the change was not saved.")
        return exc  # anything else is a bug: keep its traceback

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._locked_connection() as conn:
            if self._log is None:
                raise VaultLocked()
            conn.execute("BEGIN IMMEDIATE")
            tx = Transaction(conn, self._actor, self._log)
            try:
                yield tx
                new_head = self._log.seal(conn, tx.new_leaves) if tx.new_leaves else None
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlcipher3.DatabaseError):
                    conn.execute("ROLLBACK")
                raise
            if new_head is not None:
                self._record_head(self.home.log_head, new_head)

    def _record_head(self, path: Path, new_head: LogHead) -> None:
        try:
            log_head.write(path, self._head_key, self.vault_id, new_head.tree_size,
                           new_head.root_hash)  # fmt: skip
        except OSError as exc:
            raise StorageError(
                f"The change was saved, but the log head {path} could not be written "
                f"({exc.strerror}): free some space before going on."
            ) from exc

    def query(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        with self._locked_connection() as conn:
            return conn.execute(sql, params).fetchall()

    def get_setting(self, key: str, default: Any = None) -> Any:
        rows = self.query("SELECT value_json FROM settings WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    # -- the log head --------------------------------------------------------------------------

    def _check_log_head(self) -> None:
        """Refuse a vault whose log is shorter than, or differs from, its recorded head."""
        with self._locked_connection() as conn:
            recorded = log_head.read(self.home.log_head, self._head_key, self.vault_id)
            expected = self.get_setting(log_head.RECORDED_SETTING, False)
            if recorded is None:
                if expected:
                    raise VaultDamaged(
                        f"The vault's log head {self.home.log_head} is missing, so a rollback "
                        "cannot be ruled out; nothing was changed."
                    )
                return  # a vault from before log heads: the first commit records one
            current = head(conn)
            if current.tree_size < recorded.tree_size:
                raise log_head.rolled_back(self.home.log_head, recorded, current.tree_size)
            if current.tree_size == recorded.tree_size:
                prefix_root = current.root_hash
            else:  # a crash between a commit and its head: the log may be ahead, never behind
                prefix_root = root_of_first(conn, recorded.tree_size)
            if prefix_root != recorded.root_hash:
                raise log_head.rolled_back(self.home.log_head, recorded, current.tree_size)

    # -- keys ------------------------------------------------------------------------------

    def _unwrap_current(self, secret: str) -> tuple[bytes, str]:
        return keyslots.unwrap_data_key(keyslots.read_key_file(self.home.key_slots), secret)

    def change_passphrase(
        self,
        current_secret: str,
        new_passphrase: str,
        kdf: keyslots.KdfParams = keyslots.DEFAULT_KDF,
    ) -> None:
        """Rewrap the data key under a new passphrase: one slot rewritten, the database untouched.

        The current passphrase (or the recovery code) is asked again so that an unlocked,
        unattended laptop is not enough to take the vault over. An old copy of keys.json still
        opens the vault with the old passphrase until `rekey` replaces the data key.
        """
        keyslots.check_new_passphrase(new_passphrase)
        data_key, _ = self._unwrap_current(current_secret)
        new_slot = keyslots.make_slot(
            keyslots.PASSPHRASE_SLOT, keyslots.normalize_passphrase(new_passphrase), data_key,
            kdf, self.vault_id,
        )  # fmt: skip
        with self.transaction() as tx:
            tx.audit("vault.passphrase_change", "vault", self.origin, {"key_slot": new_slot["id"]})
            keyslots.replace_slot(self.home.key_slots, new_slot)

    def new_recovery_code(
        self, current_secret: str, kdf: keyslots.KdfParams = keyslots.DEFAULT_KDF
    ) -> str:
        """Issue a new recovery code; the old one no longer opens this keys.json (an old copy of
        keys.json still opens the vault with it until `rekey`)."""
        data_key, _ = self._unwrap_current(current_secret)
        code = keyslots.new_recovery_code()
        normalized = keyslots.normalize_recovery_code(code)
        assert normalized is not None
        new_slot = keyslots.make_slot(keyslots.RECOVERY_SLOT, normalized, data_key, kdf,
                                      self.vault_id)  # fmt: skip
        with self.transaction() as tx:
            tx.audit("vault.recovery_reissue", "vault", self.origin, {"key_slot": new_slot["id"]})
            keyslots.replace_slot(self.home.key_slots, new_slot)
        return code

    def rekey(
        self,
        passphrase: str,
        *,
        progress: Progress | None = None,
        kdf: keyslots.KdfParams = keyslots.DEFAULT_KDF,
    ) -> str:
        """Re-encrypt the whole vault under a fresh data key; the new recovery code.

        Afterwards no old copy of keys.json opens the vault, with any old passphrase or recovery
        code. The passphrase stays the same. A consistent copy is made with `sqlcipher_export`
        under the new key, the `vault.rekey` event is written into it, and it is swapped in:
        keys.json names both vaults until the swap is done, so a kill at any moment leaves the
        old or the new vault whole, with the keys that open it (see finish_interrupted_rekey).
        """
        steps = 6

        def step(done: int, message: str) -> None:
            if progress is not None:
                progress(done, steps, message)

        step(0, "Checking the passphrase")
        data_key, slot_id = self._unwrap_current(passphrase)
        if slot_id != keyslots.PASSPHRASE_SLOT:
            raise BadInput(
                "Rekey needs the passphrase, not the recovery code (a new recovery code is "
                "issued); set a passphrase with change-passphrase first if it is lost."
            )
        with self._lock:
            if self._conn is None or self._log is None:
                raise VaultLocked()
            try:
                exclusive = self._hold.make_exclusive()
            except VaultInUse:
                self._close()  # another rekey is swapping the file under this connection
                raise
            if not exclusive:
                raise VaultInUse(OPEN_ELSEWHERE)
            try:
                return self._rekey(passphrase, step, kdf)
            finally:
                if self._conn is None:  # stopped between the swap and reopening it
                    self._close()
                else:
                    self._hold.make_shared()

    def _rekey(
        self, passphrase: str, step: Callable[[int, str], None], kdf: keyslots.KdfParams
    ) -> str:
        """rekey's steps 1 to 6, with the vault held exclusively."""
        home = self.home
        conn = self._conn
        assert conn is not None and self._log is not None
        _remove_rekey_leftovers(home)
        copy = home.vault_db.with_name(home.vault_db.name + _REKEY_SUFFIX)
        new_key = keyslots.new_data_key()
        step(1, "Copying the vault under a new key")
        with self._locked_connection() as conn:
            conn.execute(f"ATTACH DATABASE ? AS rekeyed KEY \"x'{new_key.hex()}'\"",
                         (str(copy),))  # fmt: skip
            try:
                conn.execute("BEGIN IMMEDIATE")  # no writer in between: a consistent copy
                conn.execute("SELECT sqlcipher_export('rekeyed')")
                (version,) = conn.execute("PRAGMA main.user_version").fetchone()
                conn.execute(f"PRAGMA rekeyed.user_version = {int(version)}")
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlcipher3.DatabaseError):
                    conn.execute("ROLLBACK")
                raise
            finally:
                conn.execute("DETACH DATABASE rekeyed")
        step(2, "Checking the copy and recording the rekey")
        new_id = database_vault_id(copy)
        copy_conn = _open_connection(copy, new_key)
        try:
            if problems := _damage_found(copy_conn):
                raise _damaged(copy, problems)
            copy_conn.execute("BEGIN IMMEDIATE")
            tx = Transaction(copy_conn, self._actor, self._log)
            slots = [keyslots.PASSPHRASE_SLOT, keyslots.RECOVERY_SLOT]
            tx.audit("vault.rekey", "vault", self.origin, {"key_slots": slots})
            epoch = failed_unlocks.new_epoch()
            tx.set_setting(failed_unlocks.EPOCH_SETTING, epoch)
            new_head = self._log.seal(copy_conn, tx.new_leaves)
            copy_conn.execute("COMMIT")
            copy_conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            copy_conn.close()
        _fsync_file(copy)
        step(3, "Wrapping the new key")
        recovery_code = keyslots.new_recovery_code()
        normalized = keyslots.normalize_recovery_code(recovery_code)
        assert normalized is not None
        new_slots = self._new_key_file(new_key, keyslots.normalize_passphrase(passphrase),
                                       normalized, kdf, vault_id=new_id)  # fmt: skip
        old_slots = keyslots.read_key_file(home.key_slots)
        new_head_key = log_head.derive_key(new_key, "log-head")
        log_head.write(_new_head_path(home), new_head_key, new_id, new_head.tree_size,
                       new_head.root_hash, durable=True)  # fmt: skip
        # From here keys.json opens both: whichever vault.db is on disk after a kill.
        previous = keyslots.KeyFile(old_slots.vault_id, old_slots.slots)
        keyslots.write_key_file(home.key_slots, keyslots.KeyFile(new_id, new_slots.slots, previous))
        step(4, "Swapping in the re-encrypted vault")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        self._conn = None
        for leftover in (Path(f"{home.vault_db}-wal"), Path(f"{home.vault_db}-shm")):
            leftover.unlink(missing_ok=True)  # empty after the checkpoint; not the copy's
        os.replace(copy, home.vault_db)
        fsync_directory(home.root)
        step(5, "Retiring the old keys")
        finish_interrupted_rekey(home)
        self._conn = _open_connection(home.vault_db, new_key)
        self._use_key(new_key, new_id)
        failed_unlocks.start_epoch(home, self._sidecar_key, epoch)
        step(6, "Done")
        return recovery_code

    # -- audit -----------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        if self._log is None:
            raise VaultLocked()
        return self._log.origin

    @property
    def device_public_key(self) -> bytes:
        if self._log is None:
            raise VaultLocked()
        return self._log.public_key

    @property
    def fingerprint(self) -> str:
        """The device key's fingerprint, as `audit fingerprint` and `audit check` print it."""
        if self._log is None:
            raise VaultLocked()
        return self._log.fingerprint

    # -- schema and checks -----------------------------------------------------------------

    def _migrate(self, *, creating: bool) -> None:
        with self._locked_connection() as conn:
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version == 0 and not creating:  # only `init` ever writes a schema
                raise VaultDamaged(
                    f"The vault {self.home.vault_db} is damaged: it holds no Fieldscribe schema; "
                    "it was left as is."
                )
            if version > SCHEMA_VERSION:
                raise VaultDamaged(
                    f"The vault {self.home.vault_db} was written by a newer Fieldscribe"
                    f" (schema {version}); this version knows schema {SCHEMA_VERSION}."
                )
            for number in range(version, SCHEMA_VERSION):
                try:
                    conn.executescript(
                        f"BEGIN IMMEDIATE; {MIGRATIONS[number]};"
                        f" PRAGMA user_version = {number + 1}; COMMIT;"
                    )
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise

    def integrity_problems(self) -> list[str]:
        """Every page's HMAC, then SQLite's own structure check; empty when all is well."""
        with self._locked_connection() as conn:
            return _damage_found(conn)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
