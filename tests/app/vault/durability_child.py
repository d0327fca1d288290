"""Child process for test_durability: commits documents and acknowledges each commit.

python -m tests.app.vault.durability_child HOME PASSPHRASE_FILE FIRST_NUMBER
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.paths import Home
from app.vault import Vault
from app.vault.documents import store_document
from tests.helpers import TextPage


def document_text(number: int) -> str:
    # Sizes vary from a line to several database pages, so kills land mid-page-write too.
    return f"durable document {number} " + "pressure reading 142/91 " * (number * 37 % 900)


def main() -> None:
    home, passphrase_file, first = sys.argv[1], sys.argv[2], int(sys.argv[3])
    secret = Path(passphrase_file).read_text(encoding="utf-8").rstrip("\n")
    vault = Vault.unlock(Home(Path(home)), secret)
    number = first
    while True:
        text = document_text(number)
        with vault.transaction() as tx:
            store_document(
                tx,
                name=f"{number}.txt",
                media_type="text/plain",
                content=text.encode(),
                pages=[TextPage(1, text), TextPage(2, text[::-1])],
            )
        print(f"ack {number}", flush=True)
        number += 1


if __name__ == "__main__":
    main()
