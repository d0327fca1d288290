"""Failed unlock attempts, counted outside the vault (it can't be opened without the secret).

The sidecar holds timestamps only. At the next successful unlock they become
`vault.unlock_failed` audit events and the sidecar starts a new *epoch*: a random value stored
in the database and in the sidecar, MACed under a key derived from the data key. A sidecar that
was deleted, or replaced by a copy from an earlier epoch, is noticed at that unlock and recorded
(`{"record": "missing"}` or `"replaced"`). Its limit: someone who can write the home folder can
still empty the attempts of the current epoch, since a failed attempt has no key to MAC with.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from app.audit.events import utc_now
from app.fsutil import atomic_write_bytes
from app.paths import Home

EPOCH_SETTING = "failed_unlocks_epoch"
# Enough to show a brute-force attempt without letting the file grow without bound.
_MAX_RECORDED = 1000


@dataclass(frozen=True)
class FailedAttempts:
    timestamps: list[str]
    count: int  # in all, including those beyond _MAX_RECORDED or without a readable time
    problem: str | None  # "missing" or "replaced" when the record was not the one expected


def new_epoch() -> str:
    return secrets.token_hex(16)


def _mac(key: bytes, epoch: str) -> str:
    return hmac.new(key, f"failed-unlocks:{epoch}".encode(), hashlib.sha256).hexdigest()


def _load(home: Home) -> dict | None:
    try:
        document = json.loads(home.failed_unlocks.read_bytes())
        return document if isinstance(document, dict) else {}
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}  # damaged: still tells us something happened


def read(home: Home, key: bytes, expected_epoch: str | None) -> FailedAttempts:
    """What the sidecar holds, checked against the epoch the vault recorded at its last unlock
    (None for a vault from before epochs: nothing to check against)."""
    document = _load(home)
    if document is None:
        return FailedAttempts([], 0, "missing" if expected_epoch else None)
    try:
        timestamps = [str(ts) for ts in document.get("attempts_utc", [])]
        count = max(int(document.get("count", 0)), len(timestamps))
    except (TypeError, ValueError):
        timestamps, count = [], 1
    problem = None
    if expected_epoch is not None:
        epoch, mac = str(document.get("epoch", "")), str(document.get("mac", ""))
        if epoch != expected_epoch or not hmac.compare_digest(mac, _mac(key, epoch)):
            problem = "replaced"
    return FailedAttempts(timestamps, count, problem)


def record(home: Home) -> None:
    """One more failed attempt, appended to the current epoch's record."""
    document = _load(home) or {}
    timestamps = document.get("attempts_utc", [])
    if not isinstance(timestamps, list):
        timestamps = []
    try:
        count = int(document.get("count", 0))
    except (TypeError, ValueError):
        count = 0
    if len(timestamps) < _MAX_RECORDED:
        timestamps.append(utc_now())
    document.update({"count": count + 1, "attempts_utc": timestamps})
    atomic_write_bytes(home.failed_unlocks, json.dumps(document).encode())


def start_epoch(home: Home, key: bytes, epoch: str) -> None:
    """An empty record for the epoch the vault has just stored."""
    document = {"epoch": epoch, "mac": _mac(key, epoch), "count": 0, "attempts_utc": []}
    atomic_write_bytes(home.failed_unlocks, json.dumps(document).encode())
