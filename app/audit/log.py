"""The vault's own audit log: reading, verifying against the signed checkpoint, exporting.

These functions take the unlocked vault as the narrow `AuditedVault` below (app/audit never
imports app/vault: the vault uses the log writer, not the other way round).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from app.audit import exchange, fhir, merkle
from app.audit.checkpoint import Checkpoint, CheckpointError, open_signed
from app.audit.events import AuditEvent, utc_now
from app.errors import BadInput, FieldscribeError
from app.fsutil import atomic_write_bytes

FORMATS = ("jsonl", "fhir")


class AuditedVault(Protocol):
    """What the log needs of an unlocked vault (app.vault.Vault is one)."""

    origin: str
    device_public_key: bytes
    fingerprint: str

    def query(self, sql: str, params: tuple | dict = ...) -> list[tuple]: ...

    def transaction(self) -> contextlib.AbstractContextManager[Any]: ...


class LogTampered(FieldscribeError):
    """The local log does not match its signed checkpoint (exit code 1)."""


@dataclass(frozen=True)
class ExportReport:
    path: Path
    events: int
    sha256: str


def read_events(vault: AuditedVault) -> list[AuditEvent]:
    rows = vault.query(
        "SELECT seq, ts_utc, actor, action, object_type, object_id, outcome, details_json"
        " FROM audit_events ORDER BY seq"
    )
    return [AuditEvent(*row[:7], details=json.loads(row[7])) for row in rows]


def failed_unlocks_before_last_unlock(vault: AuditedVault) -> int:
    """How many unlock attempts failed between the previous unlock and the last one (their
    events are written by the last unlock, just before its own)."""
    rows = vault.query(
        "SELECT details_json FROM audit_events WHERE action = 'vault.unlock_failed' AND seq >"
        " (SELECT coalesce(max(seq), 0) FROM audit_events WHERE action = 'vault.unlock'"
        "  AND seq < (SELECT max(seq) FROM audit_events WHERE action = 'vault.unlock'))"
    )
    return sum(json.loads(details).get("attempts_without_time", 1) for (details,) in rows)


def fingerprint(vault: AuditedVault) -> str:
    """The device key's fingerprint, to record when the laptop is issued (`audit fingerprint`)."""
    return vault.fingerprint


def _verified_events(vault: AuditedVault) -> tuple[list[AuditEvent], list[bytes]]:
    """Every event and its canonical line, after checking the log against the signed
    checkpoint."""
    rows = vault.query(
        "SELECT seq, ts_utc, actor, action, object_type, object_id, outcome, details_json,"
        " leaf_hash FROM audit_events ORDER BY seq"
    )
    events: list[AuditEvent] = []
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
        events.append(event)
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
    return events, lines


def verify(vault: AuditedVault) -> int:
    """Recompute the tree and check it against the signed checkpoint; the number of events.

    The outcome is itself recorded as an `audit.verify` event.
    """
    try:
        size = len(_verified_events(vault)[1])
    except LogTampered as exc:
        with vault.transaction() as tx:
            tx.audit("audit.verify", "audit_log", vault.origin, {"reason": str(exc)}, "failed")
        raise
    with vault.transaction() as tx:
        tx.audit("audit.verify", "audit_log", vault.origin, {"tree_size": size})
    return size


def export(
    vault: AuditedVault,
    out: Path,
    *,
    recipient: str | None = None,
    passphrase: str | None = None,
    fmt: str = "jsonl",
) -> ExportReport:
    """Write an age-encrypted export: `jsonl` (the `.fsaudit` file `audit check` verifies) or
    `fhir` (an R4 Bundle of AuditEvent resources for a hospital's audit repository).

    A log that does not verify is never exported: a fresh signature over a tampered log would
    launder the tampering. The export's checkpoint joins the device's chain in the same
    transaction as the `audit.export` event; the file exists only if that commits."""
    if fmt not in FORMATS:
        raise BadInput(f"Unknown export format {fmt!r}: use one of {', '.join(FORMATS)}.")
    written = False
    try:
        with vault.transaction() as tx:
            events, lines = _verified_events(vault)
            sign: Callable[[Checkpoint], str] = tx.sign_in_chain
            if fmt == "fhir":
                plaintext = fhir.bundle(
                    vault.origin, vault.device_public_key, events, lines, sign, utc_now()
                )
            else:
                chain = [
                    note for (note,) in vault.query("SELECT note FROM checkpoints ORDER BY id")
                ]
                plaintext = exchange.build_plaintext(
                    vault.origin, vault.device_public_key, lines, chain, sign, utc_now()
                )
            ciphertext = exchange.encrypt(plaintext, recipient=recipient, passphrase=passphrase)
            sha256 = hashlib.sha256(ciphertext).hexdigest()
            tx.audit(
                "audit.export",
                "audit_log",
                vault.origin,
                {
                    "tree_size": len(lines),
                    "sha256": sha256,
                    "format": fmt,
                    "encrypted_to": "age-recipient" if recipient else "passphrase",
                },
            )
            atomic_write_bytes(out, ciphertext)
            written = True
    except BaseException:
        if written:  # the commit failed after the file was written: no export without its record
            out.unlink(missing_ok=True)
        raise
    return ExportReport(out, len(lines), sha256)
