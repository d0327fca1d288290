"""Child process for test_two_processes: another Fieldscribe process using the same vault.

python -m tests.app.vault.holder_child HOME PASSPHRASE_FILE open
    unlocks, prints "open", stores a document for each "add N" line on stdin ("added N"),
    and locks the vault at the end of stdin.
python -m tests.app.vault.holder_child HOME PASSPHRASE_FILE rekey STEP
    unlocks and rekeys, stopping before STEP until a line arrives on stdin ("paused"); prints
    "code CODE" at the end, or the one sentence of a known error.
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.errors import FieldscribeError
from app.paths import Home
from app.vault import Vault
from tests.helpers import FAST_KDF, add_text_documents


def main() -> None:
    home, passphrase_file, mode = Home(Path(sys.argv[1])), sys.argv[2], sys.argv[3]
    passphrase = Path(passphrase_file).read_text(encoding="utf-8").rstrip("\n")
    try:
        vault = Vault.unlock(home, passphrase)
    except FieldscribeError as exc:
        print(f"error {exc}", flush=True)
        return
    if mode == "open":
        print("open", flush=True)
        for line in sys.stdin:
            number = int(line.split()[1])
            add_text_documents(vault, 1, start=number, words="written by the other process")
            print(f"added {number}", flush=True)
    else:
        pause_before = int(sys.argv[4])

        def progress(done: int, total: int, message: str) -> None:
            if done == pause_before:
                print("paused", flush=True)
                sys.stdin.readline()

        print(f"code {vault.rekey(passphrase, kdf=FAST_KDF, progress=progress)}", flush=True)
    vault.lock()


if __name__ == "__main__":
    main()
