"""Vault and audit-log figures against the foundation issue's targets. Prints; asserts nothing.

.venv/bin/python bench/vault.py
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyrage  # noqa: E402

from app.audit import log  # noqa: E402
from app.paths import Home  # noqa: E402
from app.vault import (
    Vault,  # noqa: E402
    log_head,  # noqa: E402
)
from app.vault.documents import search, store_document  # noqa: E402
from tests.helpers import TextPage  # noqa: E402

PASSPHRASE = "bench passphrase"  # 8 characters or more: the core checks
# fmt: off
WORDS = [
    "pump", "valve", "boiler", "crack", "moisture", "damp", "roof", "gutter", "wiring",
    "breaker", "smoke", "alarm", "ladder", "stair", "railing", "asbestos", "mould", "window",
    "insulation", "frame", "door", "lintel", "beam", "joist", "slab", "patient", "wound",
    "dressing", "insulin", "metformin", "dose", "pressure", "pulse", "fever", "cough", "pain",
    "fall", "mobility", "diet", "fluid", "catheter", "oxygen", "inhaler", "nebulizer",
    "referral", "follow", "review",
]
# fmt: on


def line(label: str, value: str, target: str) -> None:
    print(f"{label:<44} {value:>14}   target {target}")


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        home = Home(Path(tmp) / "home")
        vault, _ = Vault.create(home, PASSPHRASE)
        vault.lock()
        unlocks = [timed(lambda: Vault.unlock(home, PASSPHRASE).lock()) for _ in range(5)]
        line(
            "unlock (Argon2id + open), median of 5", f"{statistics.median(unlocks):.2f} s", "≤ 1 s"
        )

        vault = Vault.unlock(home, PASSPHRASE)

        def import_small_documents() -> None:
            for n in range(1000):
                text = f"note {n}: " + " ".join(rng.choices(WORDS, k=60))
                with vault.transaction() as tx:
                    store_document(tx, name=f"{n}.txt", media_type="text/plain",
                                   content=text.encode(), pages=[TextPage(1, text)])  # fmt: skip

        line("import 1,000 small documents", f"{timed(import_small_documents):.2f} s", "≤ 10 s")

        # The log head: written (atomically, fsynced) after every commit that wrote events.
        key, root = log_head.derive_key(b"k" * 32, "log-head"), b"r" * 32
        writes = [timed(lambda n=n: log_head.write(home.log_head, key, vault.vault_id, n, root))
                  for n in range(300)]  # fmt: skip
        line("log head per commit, median of 300", f"{statistics.median(writes) * 1e3:.2f} ms",
             "< 1 ms")  # fmt: skip
        line("log head per commit, p95", f"{sorted(writes)[284] * 1e3:.2f} ms", "< 1 ms")

        def one_view_per_commit() -> None:
            for n in range(200):
                with vault.transaction() as tx:
                    tx.audit("document.view", "document", n + 1)

        per_commit = timed(one_view_per_commit) / 200
        line("a commit with one audit event, all in", f"{per_commit * 1e3:.2f} ms", "")
        steps: list[tuple[float, str]] = []

        def rekey() -> None:
            vault.rekey(PASSPHRASE, progress=lambda d, t, m: steps.append((time.perf_counter(), m)))

        seconds = timed(rekey)
        line("rekey of a vault with 1,000 documents", f"{seconds:.2f} s", "")
        for (start, message), (end, _) in zip(steps, steps[1:], strict=False):
            line(f"  {message}", f"{end - start:.2f} s", "")

        for batch in range(9):  # 9,000 more pages: 10,000 in all
            with vault.transaction() as tx:
                for n in range(100):
                    pages = [TextPage(p, " ".join(rng.choices(WORDS, k=120))) for p in range(1, 11)]
                    store_document(tx, name=f"b{batch}-{n}.txt", media_type="text/plain",
                                   content=f"{batch}-{n}".encode(), pages=pages)  # fmt: skip
        (pages,) = vault.query("SELECT count(*) FROM pages")[0]
        queries = [" ".join(rng.sample(WORDS, rng.choice([1, 2, 3]))) for _ in range(300)]
        latencies = sorted(timed(lambda q=q: search(vault, q)) for q in queries)
        p95 = latencies[int(len(latencies) * 0.95)]
        line(f"FTS search p95 over {pages:,} pages", f"{p95 * 1000:.1f} ms", "≤ 50 ms")

        (events,) = vault.query("SELECT count(*) FROM audit_events")[0]
        for start in range(events, 100_000, 5000):
            with vault.transaction() as tx:
                for n in range(start, min(start + 5000, 100_000)):
                    tx.audit("document.view", "document", n % 1000 + 1, {"page": 1})
        (events,) = vault.query("SELECT count(*) FROM audit_events")[0]
        line(f"audit verify of {events:,} events", f"{timed(lambda: log.verify(vault)):.2f} s",
             "≤ 3 s")  # fmt: skip
        supervisor = pyrage.x25519.Identity.generate()
        out = Path(tmp) / "log.fsaudit"
        seconds = timed(lambda: log.export(vault, out, recipient=str(supervisor.to_public())))
        line(f"export of {events:,} events (age, x25519)", f"{seconds:.2f} s", "≤ 5 s")
        vault.lock()


if __name__ == "__main__":
    main()
