"""Audit events and their one canonical byte form, which is what the Merkle leaves hash."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ACTIONS = frozenset(
    {
        "vault.create", "vault.unlock", "vault.lock", "vault.unlock_failed",
        "vault.passphrase_change", "vault.rekey", "vault.recovery_reissue",
        "search.run",
        "case.create", "case.update",
        "document.import", "document.view", "document.delete", "document.assign",
        "job.start", "job.finish", "job.cancel", "job.fail",
        "result.edit", "result.export", "result.restore",
        "template.create", "template.update", "template.delete",
        "model.import", "model.select", "model.remove",
        "audit.export", "audit.verify",
    }
)  # fmt: skip


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, ASCII only: one byte string for one value, on every platform."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    ts_utc: str
    actor: str
    action: str
    object_type: str
    object_id: str
    outcome: str
    details: dict[str, Any]

    def canonical(self) -> bytes:
        return canonical_json(
            {
                "seq": self.seq,
                "ts_utc": self.ts_utc,
                "actor": self.actor,
                "action": self.action,
                "object_type": self.object_type,
                "object_id": self.object_id,
                "outcome": self.outcome,
                "details": self.details,
            }
        )

    @classmethod
    def from_json(cls, value: Any) -> AuditEvent:
        """Parse one exported line's object; ValueError when it is not an event."""
        if not isinstance(value, dict) or set(value) != {
            "seq", "ts_utc", "actor", "action", "object_type", "object_id", "outcome", "details",
        }:  # fmt: skip
            raise ValueError("not an audit event")
        if not isinstance(value["seq"], int) or not isinstance(value["details"], dict):
            raise ValueError("not an audit event")
        return cls(**value)
