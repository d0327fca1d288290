"""The vault: one SQLCipher database opened with a data key from a key slot.

Every change goes through `Vault.transaction()`, and every audit event is written in the same
transaction as the change it records, together with the new signed checkpoint.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlcipher3
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.audit import merkle
from app.audit.checkpoint import Checkpoint, fingerprint
from app.audit.events import ACTIONS, AuditEvent, utc_now
from app.errors import (
    StorageError,
    VaultDamaged,
    VaultExists,
    VaultLocked,
    VaultNotFound,
    WrongPassphrase,
)
from app.paths import Home
from app.vault import failed_unlocks, keyslots
from app.vault.schema import MIGRATIONS, SCHEMA_VERSION

# How SQLite words the errors that mean "the bytes on disk are not what was written".
_DAMAGE_MESSAGES = ("file is not a database", "malformed", "corrupt")


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (e.g. a container without a passwd entry)
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"


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


def _open_connection(home: Home, data_key: bytes) -> sqlcipher3.Connection:
    conn = sqlcipher3.connect(str(home.vault_db), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA cipher_log_level = NONE")
    # A raw key: hex digits only ever reach the SQL text, never a passphrase.
    conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        # The key came out of a slot whose GCM tag verified, so it is the right key:
        # a database that won't open with it is damaged, never "wrong passphrase".
        problems = _damage_found(conn) or [str(exc)]
        conn.close()
        raise _damaged(home.vault_db, problems) from exc
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA temp_store = MEMORY")  # no temporary files on disk
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")  # deleted content is overwritten, not left behind
    return conn


class Transaction:
    """One write transaction. Audit events added here commit or roll back with the change."""

    def __init__(self, conn: sqlcipher3.Connection, actor: str) -> None:
        self._conn = conn
        self._actor = actor
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

    def audit(
        self,
        action: str,
        object_type: str,
        object_id: str | int,
        details: dict[str, Any] | None = None,
        outcome: str = "ok",
    ) -> int:
        """Append an event; `details` holds ids and hashes, never document content."""
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        if self._next_seq is None:
            (last,) = self._conn.execute(
                "SELECT coalesce(max(seq), 0) FROM audit_events"
            ).fetchone()
            self._next_seq = last + 1
        event = AuditEvent(
            seq=self._next_seq,
            ts_utc=utc_now(),
            actor=self._actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            outcome=outcome,
            details=details or {},
        )
        leaf = merkle.leaf_hash(event.canonical())
        self._conn.execute(
            "INSERT INTO audit_events (seq, ts_utc, actor, action, object_type, object_id,"
            " outcome, details_json, leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.seq,
                event.ts_utc,
                event.actor,
                event.action,
                event.object_type,
                event.object_id,
                event.outcome,
                json.dumps(event.details),
                leaf,
            ),
        )
        self.new_leaves.append(leaf)
        self._next_seq += 1
        return event.seq


class Vault:
    """An unlocked vault. Thread-safe: one connection, one lock."""

    def __init__(self, home: Home, conn: sqlcipher3.Connection) -> None:
        self.home = home
        self._conn: sqlcipher3.Connection | None = conn
        self._lock = threading.RLock()
        self._actor = _actor()
        self._signing_key: Ed25519PrivateKey | None = None
        self.origin = ""

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
        if not passphrase:
            raise WrongPassphrase("The passphrase must not be empty.")
        home.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        data_key = keyslots.new_data_key()
        recovery_code = keyslots.new_recovery_code()
        normalized_code = keyslots.normalize_recovery_code(recovery_code)
        assert normalized_code is not None
        passphrase = keyslots.normalize_passphrase(passphrase)
        keyslots.write_key_file(
            home.key_slots,
            [
                keyslots.make_slot(keyslots.PASSPHRASE_SLOT, passphrase, data_key, kdf),
                keyslots.make_slot(keyslots.RECOVERY_SLOT, normalized_code, data_key, kdf),
            ],
        )
        vault = cls(home, _open_connection(home, data_key))
        home.vault_db.chmod(0o600)  # the WAL and SHM files inherit this
        vault._migrate()
        signing_key = Ed25519PrivateKey.generate()
        public_key = signing_key.public_key().public_bytes_raw()
        origin = f"fieldscribe/{fingerprint(public_key)[7:23]}"
        with vault._locked_connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO device (id, origin, signing_key, public_key) VALUES (1, ?, ?, ?)",
                (origin, signing_key.private_bytes_raw(), public_key),
            )
            empty = Checkpoint(origin, 0, merkle.EMPTY_ROOT).sign(signing_key)
            conn.execute(
                "INSERT INTO audit_state (id, tree_size, frontier_json, checkpoint)"
                " VALUES (1, 0, '[]', ?)",
                (empty,),
            )
            conn.execute("COMMIT")
        vault._load_device()
        with vault.transaction() as tx:
            tx.audit(
                "vault.create",
                "vault",
                origin,
                {"device_key": fingerprint(public_key), "schema_version": SCHEMA_VERSION},
            )
        return vault, recovery_code

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
        try:
            data_key, slot_id = keyslots.unwrap_data_key(home.key_slots, secret)
        except WrongPassphrase:
            failed_unlocks.record(home)
            raise
        vault = cls(home, _open_connection(home, data_key))
        try:
            if check_pages and (problems := vault.integrity_problems()):
                raise _damaged(home.vault_db, problems)
            vault._migrate()
            vault._load_device()
            failed_timestamps, failed_count = failed_unlocks.read(home)
            with vault.transaction() as tx:
                for attempted in failed_timestamps:
                    tx.audit(
                        "vault.unlock_failed",
                        "vault",
                        vault.origin,
                        {"attempted_utc": attempted},
                        outcome="denied",
                    )
                unrecorded = failed_count - len(failed_timestamps)
                if unrecorded:
                    tx.audit(
                        "vault.unlock_failed",
                        "vault",
                        vault.origin,
                        {"attempts_without_time": unrecorded},
                        outcome="denied",
                    )
                tx.audit("vault.unlock", "vault", vault.origin, {"key_slot": slot_id})
        except BaseException:
            vault._close()
            raise
        failed_unlocks.clear(home)
        return vault

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
                self._signing_key = None

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
            conn.execute("BEGIN IMMEDIATE")
            tx = Transaction(conn, self._actor)
            try:
                yield tx
                if tx.new_leaves:
                    self._advance_checkpoint(conn, tx.new_leaves)
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlcipher3.DatabaseError):
                    conn.execute("ROLLBACK")
                raise

    def query(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        with self._locked_connection() as conn:
            return conn.execute(sql, params).fetchall()

    def get_setting(self, key: str, default: Any = None) -> Any:
        rows = self.query("SELECT value_json FROM settings WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    # -- keys ------------------------------------------------------------------------------

    def change_passphrase(
        self,
        current_secret: str,
        new_passphrase: str,
        kdf: keyslots.KdfParams = keyslots.DEFAULT_KDF,
    ) -> None:
        """Rewrap the data key under a new passphrase: one slot rewritten, the database untouched.

        The current passphrase (or the recovery code) is asked again so that an unlocked,
        unattended laptop is not enough to take the vault over.
        """
        if not new_passphrase:
            raise WrongPassphrase("The passphrase must not be empty.")
        data_key, _ = keyslots.unwrap_data_key(self.home.key_slots, current_secret)
        new_slot = keyslots.make_slot(
            keyslots.PASSPHRASE_SLOT, keyslots.normalize_passphrase(new_passphrase), data_key, kdf
        )
        with self.transaction() as tx:
            tx.audit("vault.passphrase_change", "vault", self.origin, {"key_slot": new_slot["id"]})
            keyslots.replace_slot(self.home.key_slots, new_slot)

    # -- audit -----------------------------------------------------------------------------

    def _load_device(self) -> None:
        with self._locked_connection() as conn:
            origin, signing_key = conn.execute(
                "SELECT origin, signing_key FROM device WHERE id = 1"
            ).fetchone()
        self.origin = origin
        self._signing_key = Ed25519PrivateKey.from_private_bytes(signing_key)

    @property
    def device_public_key(self) -> bytes:
        if self._signing_key is None:
            raise VaultLocked()
        return self._signing_key.public_key().public_bytes_raw()

    def sign(self, checkpoint: Checkpoint) -> str:
        if self._signing_key is None:
            raise VaultLocked()
        return checkpoint.sign(self._signing_key)

    def _advance_checkpoint(self, conn: sqlcipher3.Connection, new_leaves: list[bytes]) -> None:
        tree_size, frontier_json = conn.execute(
            "SELECT tree_size, frontier_json FROM audit_state WHERE id = 1"
        ).fetchone()
        frontier = [(size, bytes.fromhex(h)) for size, h in json.loads(frontier_json)]
        for leaf in new_leaves:
            merkle.frontier_append(frontier, leaf)
        tree_size += len(new_leaves)
        checkpoint = self.sign(Checkpoint(self.origin, tree_size, merkle.frontier_root(frontier)))
        conn.execute(
            "UPDATE audit_state SET tree_size = ?, frontier_json = ?, checkpoint = ? WHERE id = 1",
            (tree_size, json.dumps([[size, h.hex()] for size, h in frontier]), checkpoint),
        )

    # -- schema and checks -----------------------------------------------------------------

    def _migrate(self) -> None:
        with self._locked_connection() as conn:
            (version,) = conn.execute("PRAGMA user_version").fetchone()
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
