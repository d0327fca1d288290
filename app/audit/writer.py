"""Writing the audit log: into the connection the vault gives it, inside the vault's transaction.

The vault opens and commits the transaction; this module appends events, advances the Merkle
tree's right edge and signs the next checkpoint of the chain in that same transaction. It never
imports the vault (the arrow runs one way: the vault uses the log writer).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.audit import merkle
from app.audit.checkpoint import Checkpoint, fingerprint
from app.audit.events import ACTIONS, AuditEvent, utc_now


class Connection(Protocol):
    """What the writer needs of a database connection (sqlcipher3's, here)."""

    def execute(self, sql: str, params: tuple | dict = ...) -> Any: ...


@dataclass(frozen=True)
class LogHead:
    """The log's size and Merkle root: what the vault records outside the database."""

    tree_size: int
    root_hash: bytes


class LogWriter:
    """The device's signing key and the rules for appending; one per unlocked vault."""

    def __init__(self, origin: str, signing_key: Ed25519PrivateKey, query_key: bytes) -> None:
        self.origin = origin
        self._signing_key = signing_key
        self._query_key = query_key

    @classmethod
    def create(cls, conn: Connection) -> LogWriter:
        """A new device key, and the empty log's first checkpoint (the chain's start)."""
        signing_key = Ed25519PrivateKey.generate()
        public_key = signing_key.public_key().public_bytes_raw()
        origin = f"fieldscribe/{fingerprint(public_key)[7:23]}"
        query_key = secrets.token_bytes(32)
        conn.execute(
            "INSERT INTO device (id, origin, signing_key, public_key, query_key)"
            " VALUES (1, ?, ?, ?, ?)",
            (origin, signing_key.private_bytes_raw(), public_key, query_key),
        )
        writer = cls(origin, signing_key, query_key)
        note = writer._sign_next(conn, Checkpoint(origin, 0, merkle.EMPTY_ROOT))
        conn.execute(
            "INSERT INTO audit_state (id, tree_size, frontier_json, checkpoint)"
            " VALUES (1, 0, '[]', ?)",
            (note,),
        )
        return writer

    @classmethod
    def load(cls, conn: Connection) -> LogWriter:
        origin, signing_key, query_key = conn.execute(
            "SELECT origin, signing_key, query_key FROM device WHERE id = 1"
        ).fetchone()
        return cls(origin, Ed25519PrivateKey.from_private_bytes(signing_key), query_key)

    @property
    def public_key(self) -> bytes:
        return self._signing_key.public_key().public_bytes_raw()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def keyed_hash(self, text: str) -> str:
        """HMAC-SHA256 of `text` under a key kept inside the vault: the same search shows as the
        same hash in the log, and an export's reader cannot guess the words back."""
        return hmac.new(self._query_key, text.encode(), hashlib.sha256).hexdigest()

    def append(
        self,
        conn: Connection,
        seq: int,
        actor: str,
        action: str,
        object_type: str,
        object_id: str | int,
        details: dict[str, Any],
        outcome: str,
    ) -> bytes:
        """Insert event `seq`; its leaf hash. `details` holds ids and hashes, never content."""
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        event = AuditEvent(
            seq=seq,
            ts_utc=utc_now(),
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            outcome=outcome,
            details=details,
        )
        leaf = merkle.leaf_hash(event.canonical())
        conn.execute(
            "INSERT INTO audit_events (seq, ts_utc, actor, action, object_type, object_id,"
            " outcome, details_json, leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (event.seq, event.ts_utc, event.actor, event.action, event.object_type,
             event.object_id, event.outcome, json.dumps(event.details), leaf),
        )  # fmt: skip
        return leaf

    @staticmethod
    def next_seq(conn: Connection) -> int:
        (last,) = conn.execute("SELECT coalesce(max(seq), 0) FROM audit_events").fetchone()
        return last + 1

    def seal(self, conn: Connection, new_leaves: list[bytes]) -> LogHead:
        """Add the transaction's leaves to the tree and sign the next checkpoint over it."""
        tree_size, frontier_json = conn.execute(
            "SELECT tree_size, frontier_json FROM audit_state WHERE id = 1"
        ).fetchone()
        frontier = [(size, bytes.fromhex(h)) for size, h in json.loads(frontier_json)]
        for leaf in new_leaves:
            merkle.frontier_append(frontier, leaf)
        tree_size += len(new_leaves)
        root = merkle.frontier_root(frontier)
        note = self._sign_next(conn, Checkpoint(self.origin, tree_size, root))
        conn.execute(
            "UPDATE audit_state SET tree_size = ?, frontier_json = ?, checkpoint = ? WHERE id = 1",
            (tree_size, json.dumps([[size, h.hex()] for size, h in frontier]), note),
        )
        return LogHead(tree_size, root)

    def sign_in_chain(self, conn: Connection, checkpoint: Checkpoint) -> str:
        """Sign a checkpoint of the current log (an export's) as the chain's next link."""
        return self._sign_next(conn, checkpoint)

    def _sign_next(self, conn: Connection, checkpoint: Checkpoint) -> str:
        row = conn.execute("SELECT note FROM checkpoints ORDER BY id DESC LIMIT 1").fetchone()
        note = checkpoint.chained(utc_now(), row[0] if row else None).sign(self._signing_key)
        conn.execute(
            "INSERT INTO checkpoints (tree_size, note) VALUES (?, ?)", (checkpoint.tree_size, note)
        )
        return note


def head(conn: Connection) -> LogHead:
    """The log's size and root as the database holds them now."""
    tree_size, frontier_json = conn.execute(
        "SELECT tree_size, frontier_json FROM audit_state WHERE id = 1"
    ).fetchone()
    frontier = [(size, bytes.fromhex(h)) for size, h in json.loads(frontier_json)]
    return LogHead(tree_size, merkle.frontier_root(frontier))


def root_of_first(conn: Connection, size: int) -> bytes:
    """The Merkle root over the first `size` events' stored leaf hashes."""
    rows = conn.execute(
        "SELECT leaf_hash FROM audit_events WHERE seq <= ? ORDER BY seq", (size,)
    ).fetchall()
    return merkle.root([bytes(row[0]) for row in rows])
