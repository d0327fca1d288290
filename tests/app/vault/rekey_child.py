"""Child process for test_rekey: rekeys a vault, announcing each step before it starts.

python -m tests.app.vault.rekey_child HOME PASSPHRASE_FILE
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.paths import Home
from app.vault import Vault
from tests.helpers import FAST_KDF


def main() -> None:
    home, passphrase_file = Home(Path(sys.argv[1])), sys.argv[2]
    passphrase = Path(passphrase_file).read_text(encoding="utf-8").rstrip("\n")
    vault = Vault.unlock(home, passphrase)
    code = vault.rekey(
        passphrase,
        kdf=FAST_KDF,
        progress=lambda done, total, message: print(f"step {done}", flush=True),
    )
    print(f"code {code}", flush=True)
    vault.lock()


if __name__ == "__main__":
    main()
