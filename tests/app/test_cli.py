"""The `fieldscribe` command line as scripts use it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest

from tests.conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]


def fieldscribe(
    *args: str | Path,
    env: dict[str, str] | None = None,
    home: Path | None = None,
    timeout: float = 120,
):
    command = [sys.executable, "-m", "app.cli"]
    if home is not None:
        command += ["--home", str(home)]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FIELDSCRIBE_")}
    environment.update(env or {})
    return subprocess.run(
        [*command, *map(str, args)],
        cwd=ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_init_prints_the_recovery_code_once_and_never_overwrites(tmp_path, passphrase_file):
    home = tmp_path / "home"
    created = fieldscribe("--passphrase-file", passphrase_file, "init", home=home)
    assert created.returncode == 0, created.stderr
    code = created.stdout.split("\n\n")[2].strip()
    assert len(code.replace("-", "")) == 30
    assert code not in (home / "keys.json").read_text()

    again = fieldscribe("--passphrase-file", passphrase_file, "init", home=home)
    assert again.returncode == 2
    assert "already exists" in one_line_error(again)

    recovery_file = tmp_path / "code.txt"
    recovery_file.write_text(code)
    opened = fieldscribe("unlock-test", "--passphrase-file", recovery_file, home=home)
    assert opened.returncode == 0, opened.stderr


def test_init_refuses_a_short_passphrase(tmp_path):
    short = tmp_path / "short.txt"
    short.write_text("abc\n")
    result = fieldscribe("--passphrase-file", short, "init", home=tmp_path / "home")
    assert result.returncode == 2
    assert "at least 8 characters" in one_line_error(result)
    assert not (tmp_path / "home").exists()


def test_unlock_test_right_wrong_and_damaged(vault_home, passphrase_file, tmp_path):
    ok = fieldscribe("unlock-test", "--passphrase-file", passphrase_file, home=vault_home.root)
    assert ok.returncode == 0, ok.stderr

    wrong_file = tmp_path / "wrong.txt"
    wrong_file.write_text(PASSPHRASE + "x")
    wrong = fieldscribe("unlock-test", "--passphrase-file", wrong_file, home=vault_home.root)
    assert wrong.returncode == 2
    assert one_line_error(wrong) == "fieldscribe: Wrong passphrase."

    data = bytearray(vault_home.vault_db.read_bytes())
    data[len(data) // 2] ^= 0x40
    vault_home.vault_db.write_bytes(bytes(data))
    damaged = fieldscribe("unlock-test", "--passphrase-file", passphrase_file, home=vault_home.root)
    assert damaged.returncode == 1
    message = one_line_error(damaged)
    assert "is damaged" in message and "Wrong passphrase" not in message
    assert vault_home.vault_db.read_bytes() == bytes(data)


def test_passphrase_from_the_environment_and_none_without_a_terminal(vault_home, passphrase_file):
    env = {
        "FIELDSCRIBE_PASSPHRASE_FILE": str(passphrase_file),
        "FIELDSCRIBE_HOME": str(vault_home.root),
    }
    assert fieldscribe("unlock-test", env=env).returncode == 0

    no_secret = fieldscribe("unlock-test", home=vault_home.root)
    assert no_secret.returncode == 2
    assert "--passphrase-file" in one_line_error(no_secret)


def test_missing_vault_and_missing_passphrase_file(tmp_path, passphrase_file):
    missing = fieldscribe(
        "unlock-test", "--passphrase-file", passphrase_file, home=tmp_path / "none"
    )
    assert missing.returncode == 2
    assert "fieldscribe init" in one_line_error(missing)
    no_file = fieldscribe("unlock-test", "--passphrase-file", tmp_path / "nope.txt", home=tmp_path)
    assert no_file.returncode == 2
    assert "nope.txt" in one_line_error(no_file)


def test_audit_log_json_and_verify(vault_home, passphrase_file):
    shown = fieldscribe(
        "--passphrase-file", passphrase_file, "audit", "log", "--json", home=vault_home.root
    )
    assert shown.returncode == 0, shown.stderr
    events = json.loads(shown.stdout)["events"]
    assert events[0]["action"] == "vault.create"
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert set(events[0]) == {
        "seq",
        "ts_utc",
        "actor",
        "action",
        "object_type",
        "object_id",
        "outcome",
        "details",
    }

    verified = fieldscribe(
        "audit", "verify", "--passphrase-file", passphrase_file, home=vault_home.root
    )
    assert verified.returncode == 0, verified.stderr
    assert "intact" in verified.stdout


def test_export_and_check_with_an_age_key(vault_home, passphrase_file, tmp_path):
    supervisor = pyrage.x25519.Identity.generate()
    identity_file = tmp_path / "supervisor.key"
    identity_file.write_text(
        f"# created: by age-keygen\n# public key: {supervisor.to_public()}\n{supervisor}\n"
    )

    def export(name: str) -> Path:
        out = tmp_path / name
        result = fieldscribe(
            "--passphrase-file",
            passphrase_file,
            "audit",
            "export",
            "--out",
            out,
            "--recipient",
            str(supervisor.to_public()),
            home=vault_home.root,
        )
        assert result.returncode == 0, result.stderr
        return out

    old = export("old.fsaudit")
    new = export("new.fsaudit")
    checked = fieldscribe("audit", "check", new, "--identity", identity_file, "--previous", old)
    assert checked.returncode == 0, checked.stderr
    assert "extends" in checked.stdout

    swapped = fieldscribe("audit", "check", old, "--identity", identity_file, "--previous", new)
    assert swapped.returncode == 1
    assert "not an extension" in one_line_error(swapped)

    plaintext = bytearray(pyrage.decrypt(new.read_bytes(), [supervisor]))
    plaintext[len(plaintext) // 2] ^= 0x01
    tampered = tmp_path / "tampered.fsaudit"
    tampered.write_bytes(pyrage.encrypt(bytes(plaintext), [supervisor.to_public()]))
    found = fieldscribe("audit", "check", tampered, "--identity", identity_file)
    assert found.returncode == 1
    assert "TAMPERED" in one_line_error(found)

    stranger = tmp_path / "stranger.key"
    stranger.write_text(str(pyrage.x25519.Identity.generate()))
    unusable = fieldscribe("audit", "check", new, "--identity", stranger)
    assert unusable.returncode == 2
    assert "cannot decrypt" in one_line_error(unusable)


@pytest.mark.slow
def test_export_and_check_with_a_passphrase(vault_home, passphrase_file, tmp_path):
    export_passphrase = tmp_path / "export-pass.txt"
    export_passphrase.write_text("supervisor's passphrase\n")
    out = tmp_path / "log.fsaudit"
    exported = fieldscribe(
        "--passphrase-file",
        passphrase_file,
        "audit",
        "export",
        "--out",
        out,
        "--passphrase-file",
        export_passphrase,
        home=vault_home.root,
    )
    assert exported.returncode == 0, exported.stderr
    checked = fieldscribe("audit", "check", out, "--passphrase-file", export_passphrase)
    assert checked.returncode == 0, checked.stderr


def test_change_passphrase(vault_home, passphrase_file, tmp_path):
    new_file = tmp_path / "new.txt"
    new_file.write_text("a new passphrase for the vault\n")
    changed = fieldscribe(
        "change-passphrase",
        "--passphrase-file",
        passphrase_file,
        "--new-passphrase-file",
        new_file,
        home=vault_home.root,
    )
    assert changed.returncode == 0, changed.stderr
    assert (
        fieldscribe("unlock-test", "--passphrase-file", new_file, home=vault_home.root).returncode
        == 0
    )
    assert (
        fieldscribe(
            "unlock-test", "--passphrase-file", passphrase_file, home=vault_home.root
        ).returncode
        == 2
    )


def test_bad_usage_exits_2(tmp_path):
    result = fieldscribe("audit", "export", home=tmp_path)
    assert result.returncode == 2
