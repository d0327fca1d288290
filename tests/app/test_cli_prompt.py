"""The interactive passphrase prompts, through a real pseudo-terminal."""

from __future__ import annotations

import os
import pty
import select
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Terminal:
    """A child process on a pseudo-terminal, driven like a person at a keyboard."""

    def __init__(self, *args: str) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: becomes the CLI
            os.chdir(ROOT)
            os.execv(sys.executable, [sys.executable, "-m", "app.cli", *args])
        self.screen = ""

    def expect(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"never saw {text!r}; screen: {self.screen!r}"
            if select.select([self.fd], [], [], remaining)[0]:
                try:
                    self.screen += os.read(self.fd, 4096).decode(errors="replace")
                except OSError:  # the child closed the terminal
                    break

    def type(self, line: str) -> None:
        os.write(self.fd, (line + "\n").encode())

    def exit_code(self) -> int:
        self.expect_eof()
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)

    def expect_eof(self) -> None:
        while True:
            if not select.select([self.fd], [], [], 30)[0]:
                raise AssertionError("the child did not finish")
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            self.screen += chunk.decode(errors="replace")


def test_init_asks_twice_and_unlock_asks_once(tmp_path):
    home = str(tmp_path / "home")
    init = Terminal("--home", home, "init")
    init.expect("Passphrase for the new vault: ")
    init.type("typed at the keyboard")
    init.expect("Repeat it: ")
    init.type("typed at the keyboard")
    assert init.exit_code() == 0
    assert "Recovery code" in init.screen
    assert "typed at the keyboard" not in init.screen  # nothing echoed

    unlock = Terminal("--home", home, "unlock-test")
    unlock.expect("Vault passphrase: ")
    unlock.type("typed at the keyboard")
    assert unlock.exit_code() == 0


def test_two_different_entries_change_nothing(tmp_path):
    home = tmp_path / "home"
    init = Terminal("--home", str(home), "init")
    init.expect("Passphrase for the new vault: ")
    init.type("first version")
    init.expect("Repeat it: ")
    init.type("second version")
    assert init.exit_code() == 2
    assert "differ" in init.screen
    assert not home.exists()
