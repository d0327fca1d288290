"""The vault's own audit log: reading, verifying against the signed checkpoint, exporting."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from app.audit import exchange, merkle
from app.audit.checkpoint import CheckpointError, open_signed
from app.audit.events import AuditEvent, utc_now
from app.errors import FieldscribeError
from app.fsutil import atomic_write_bytes
from app.vault import Vault


class LogTampered(FieldscribeError):
    """The local log does not match its signed checkpoint (exit code 1)."""


@dataclass(frozen=True)
class ExportReport:
    path: Path
    events: int
    sha256: str


def read_events(vault: Vault) -> list[AuditEvent]:
    rows = vault.query(
        "SELECT seq, ts_utc, actor, action, object_type, object_id, outcome, details_json"
        " FROM audit_events ORDER BY seq"
    )
    return [AuditEvent(*row[:7], details=json.loads(row[7])) for row in rows]


def _verified_event_lines(vault: Vault) -> list[bytes]:
    """Every event's canonical line, after checking the log against the signed checkpoint."""
    rows = vault.query(
        "SELECT seq, ts_utc, actor, action, object_type, object_id, outcome, details_json,"
        " leaf_hash FROM audit_events ORDER BY seq"
    )
    lines: list[bytes] = []
    leaves: list[bytes] = []
    for expected_seq, row in enumerate(rows, start=1):
        event = AuditEvent(*row[:7], details=json.loads(row[7]))
        if event.seq != expected_seq:
            raise LogTampered(f"The audit log is not intact: gap at seq {expected_seq}.")
        line = event.canonical()
        leaf = merkle.leaf_hash(line)
        if leaf != row[8]:
            raise LogTampered(f"The audit log is not intact: event {event.seq} was changed.")
        lines.append(line)
        leaves.append(leaf)
    (note,) = vault.query("SELECT checkpoint FROM audit_state WHERE id = 1")[0]
    try:
        checkpoint = open_signed(note, vault.device_public_key)
    except CheckpointError as exc:
        raise LogTampered(f"The audit log is not intact: checkpoint {exc}.") from exc
    if checkpoint.tree_size != len(leaves):
        raise LogTampered(
            f"The audit log is not intact: the checkpoint covers {checkpoint.tree_size} events,"
            f" the log holds {len(leaves)}."
        )
    if merkle.root(leaves) != checkpoint.root_hash:
        raise LogTampered("The audit log is not intact: root mismatch.")
    return lines


def verify(vault: Vault) -> int:
    """Recompute the tree and check it against the signed checkpoint; the number of events.

    The outcome is itself recorded as an `audit.verify` event.
    """
    try:
        size = len(_verified_event_lines(vault))
    except LogTampered as exc:
        with vault.transaction() as tx:
            tx.audit("audit.verify", "audit_log", vault.origin, {"reason": str(exc)}, "failed")
        raise
    with vault.transaction() as tx:
        tx.audit("audit.verify", "audit_log", vault.origin, {"tree_size": size})
    return size


def export(
    vault: Vault, out: Path, *, recipient: str | None = None, passphrase: str | None = None
) -> ExportReport:
    """Write an age-encrypted `.fsaudit` file. A log that does not verify is never exported:
    a fresh signature over a tampered log would launder the tampering."""
    lines = _verified_event_lines(vault)
    plaintext = exchange.build_plaintext(
        vault.origin, vault.device_public_key, lines, vault.sign, utc_now()
    )
    ciphertext = exchange.encrypt(plaintext, recipient=recipient, passphrase=passphrase)
    atomic_write_bytes(out, ciphertext)
    sha256 = hashlib.sha256(ciphertext).hexdigest()
    with vault.transaction() as tx:
        tx.audit(
            "audit.export",
            "audit_log",
            vault.origin,
            {
                "tree_size": len(lines),
                "sha256": sha256,
                "encrypted_to": "age-recipient" if recipient else "passphrase",
            },
        )
    return ExportReport(out, len(lines), sha256)
