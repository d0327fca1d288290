"""Failed unlock attempts, counted outside the vault (it can't be opened without the secret).

The sidecar holds timestamps only. At the next successful unlock they become
`vault.unlock_failed` audit events and the sidecar is emptied.
"""

from __future__ import annotations

import json

from app.audit.events import utc_now
from app.fsutil import atomic_write_bytes
from app.paths import Home

# Enough to show a brute-force attempt without letting the file grow without bound.
_MAX_RECORDED = 1000


def read(home: Home) -> tuple[list[str], int]:
    """The recorded timestamps and how many attempts there were in all."""
    try:
        document = json.loads(home.failed_unlocks.read_bytes())
        timestamps = [str(ts) for ts in document["attempts_utc"]]
        return timestamps, max(int(document["count"]), len(timestamps))
    except FileNotFoundError:
        return [], 0
    except (OSError, ValueError, KeyError, TypeError):
        # A damaged sidecar still tells us that something failed.
        return [], 1


def record(home: Home) -> None:
    timestamps, count = read(home)
    if len(timestamps) < _MAX_RECORDED:
        timestamps.append(utc_now())
    document = {"count": count + 1, "attempts_utc": timestamps}
    atomic_write_bytes(home.failed_unlocks, json.dumps(document).encode())


def clear(home: Home) -> None:
    home.failed_unlocks.unlink(missing_ok=True)
