"""The audit log's head, recorded outside the database at every commit that writes events.

SQLite keeps recent commits in `vault.db-wal`; losing or replacing that file (a crash, a restore,
a deliberate delete) silently rolls the vault back. The head file holds the log's size and
Merkle root after the last such commit, MACed under a key derived from the data key and bound to
the vault id, so that it cannot be forged without the key. At unlock, a log shorter than the
head, or one whose first events differ from it, is refused: never silently continued.

The head is written after the commit it describes, so it is never ahead of what SQLite made
durable: a crash before the write, or before the OS flushed it, leaves it a commit or more
behind (a lower bound). That is why it needs no fsync of its own: it is one 512-byte record
overwritten in place (a single sector), about the cost of a system call per commit
(bench/vault.py). Deleting the head is itself noticed (the database says a head was
recorded); putting back an older copy of it is not, which is the limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.errors import VaultDamaged, VaultRolledBack

FORMAT = "fieldscribe-log-head"
_RECORD_BYTES = 512  # one sector: written whole or not at all
RECORDED_SETTING = "log_head_recorded"


def derive_key(data_key: bytes, purpose: str) -> bytes:
    """A MAC key for one purpose, derived from the data key (HKDF-SHA256)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"fieldscribe/{purpose}".encode()
    ).derive(data_key)


@dataclass(frozen=True)
class RecordedHead:
    tree_size: int
    root_hash: bytes


def _body(vault_id: str, tree_size: int, root_hash: bytes) -> dict:
    return {
        "format": FORMAT,
        "vault_id": vault_id,
        "tree_size": tree_size,
        "root": base64.b64encode(root_hash).decode(),
    }


def _mac(key: bytes, body: dict) -> str:
    message = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def encode(key: bytes, vault_id: str, tree_size: int, root_hash: bytes) -> bytes:
    body = _body(vault_id, tree_size, root_hash)
    return json.dumps({**body, "mac": _mac(key, body)}).encode()


def write(
    path: Path, key: bytes, vault_id: str, tree_size: int, root_hash: bytes, *, durable=False
) -> None:
    """Overwrite the head in place; `durable` also fsyncs it (for a file about to be renamed)."""
    record = encode(key, vault_id, tree_size, root_hash).ljust(_RECORD_BYTES)  # JSON + spaces
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
    try:
        os.write(fd, record)
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)


def read(path: Path, key: bytes, vault_id: str) -> RecordedHead | None:
    """The recorded head; None when there is no file; VaultDamaged when it does not verify."""
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise VaultDamaged(f"The vault's log head {path} is unreadable ({exc}).") from exc
    try:
        body = _body(
            document["vault_id"], document["tree_size"], base64.b64decode(document["root"])
        )
        authentic = hmac.compare_digest(_mac(key, body), str(document["mac"]))
    except (KeyError, TypeError, ValueError):
        authentic = False
    if not authentic or document["vault_id"] != vault_id:
        raise VaultDamaged(
            f"The vault's log head {path} was altered or belongs to another vault: the log "
            "cannot be checked for a rollback; nothing was changed."
        )
    return RecordedHead(int(document["tree_size"]), base64.b64decode(document["root"]))


def rolled_back(path: Path, recorded: RecordedHead, tree_size: int) -> VaultRolledBack:
    lost = recorded.tree_size - tree_size
    if lost > 0:
        return VaultRolledBack(
            f"The vault has lost {lost} recorded events (rolled back): its log holds {tree_size}"
            f" events, {path.name} recorded {recorded.tree_size}. The write-ahead log"
            " (vault.db-wal) was probably lost or replaced; nothing was changed."
        )
    return VaultRolledBack(
        f"The vault's first {recorded.tree_size} events differ from those {path.name} recorded"
        " (rolled back and rewritten, or replaced by another copy); nothing was changed."
    )
