"""The threat model, attack by attack. Each test performs the attack and shows it fails.

The attacker is a thief holding the laptop or its disk, or the device's own holder wanting to
hide something from a supervisor. What each defence proves, and where it stops, is written in
the README's "Security model, in plain words"; the numbers follow issue 12.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import sqlite3
import stat
from pathlib import Path

import pyrage
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.audit import exchange, log, merkle
from app.audit.checkpoint import Checkpoint
from app.audit.events import canonical_json
from app.errors import (
    BadInput,
    ForeignKeyFile,
    VaultDamaged,
    VaultRolledBack,
    WrongPassphrase,
)
from app.jobs import digitize, export_result
from app.jobs.runner import JobRunner
from app.paths import Home
from app.vault import Vault
from app.vault.documents import record_view, search
from tests.app.test_cli import fieldscribe, one_line_error
from tests.conftest import PASSPHRASE
from tests.helpers import FAST_KDF, add_text_documents

# Key derivation is not what these tests are about where a second vault is made.


@pytest.fixture(scope="module")
def supervisor() -> pyrage.x25519.Identity:
    return pyrage.x25519.Identity.generate()


@pytest.fixture
def identity_file(tmp_path, supervisor) -> Path:
    path = tmp_path / "supervisor.key"
    path.write_text(str(supervisor))
    return path


def export_of(vault: Vault, path: Path, supervisor) -> Path:
    return log.export(vault, path, recipient=str(supervisor.to_public())).path


def check(path: Path, supervisor, **options) -> exchange.CheckReport:
    return exchange.check_export_file(path, identity_text=str(supervisor), **options)


def home_bytes(home: Home) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(home.root.iterdir()) if p.is_file()}


def with_checksum(slot: dict) -> dict:
    """What anyone can do to a slot: its checksum is a plain hash, not a MAC."""
    body = {k: v for k, v in slot.items() if k != "checksum"}
    return {
        **body,
        "checksum": hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest(),
    }


def edit_slot(home: Home, slot_id: str, edit) -> None:
    document = json.loads(home.key_slots.read_text())
    document["slots"] = [
        with_checksum(edit(dict(slot))) if slot["id"] == slot_id else slot
        for slot in document["slots"]
    ]
    home.key_slots.write_text(json.dumps(document))


# -- 1. A forged export: anyone can sign a self-consistent log with a fresh key ------------------


@pytest.mark.slow
def test_1_an_export_signed_by_another_key_fails_against_the_pinned_fingerprint(
    vault_home, passphrase_file, tmp_path, supervisor, identity_file
):
    printed = fieldscribe("--passphrase-file", passphrase_file, "audit", "fingerprint",
                          home=vault_home.root)  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    pinned = printed.stdout.strip()  # what the supervisor records when the laptop is issued
    assert re.fullmatch(r"SHA256:[0-9a-f]{64}", pinned)

    # The forger makes a vault of their own (a fresh device key) and exports its log.
    forger, _ = Vault.create(Home(tmp_path / "forger"), PASSPHRASE, kdf=FAST_KDF)
    add_text_documents(forger, 3)
    forged = export_of(forger, tmp_path / "forged.fsaudit", supervisor)
    forger_fingerprint = forger.fingerprint
    forger.lock()

    unpinned = fieldscribe("audit", "check", forged, "--identity", identity_file)
    assert unpinned.returncode == 0  # intact, relative to the key inside it ...
    assert "relative to the key inside it" in unpinned.stderr  # ... and it says so
    assert forger_fingerprint in unpinned.stderr and pinned not in unpinned.stdout

    refused = fieldscribe("audit", "check", forged, "--identity", identity_file,
                          "--expect-fingerprint", pinned)  # fmt: skip
    assert refused.returncode == 1
    assert "signed by an unknown device key" in one_line_error(refused)

    vault = Vault.unlock(vault_home, PASSPHRASE)
    genuine = export_of(vault, tmp_path / "genuine.fsaudit", supervisor)
    vault.lock()
    typed = pinned.removeprefix("SHA256:").upper()  # as a person may write it down
    accepted = fieldscribe("audit", "check", genuine, "--identity", identity_file,
                           "--expect-fingerprint", typed)  # fmt: skip
    assert accepted.returncode == 0, accepted.stderr
    assert pinned in accepted.stdout and accepted.stderr == ""


# -- 2. History rewritten or replayed between two exports ----------------------------------------


def test_2_replayed_rolled_back_and_forked_exports_are_rejected(vault_home, tmp_path, supervisor):
    vault = Vault.unlock(vault_home, PASSPHRASE)
    add_text_documents(vault, 3)
    vault.lock()
    early_copy = shutil.copytree(vault_home.root, tmp_path / "early-copy")  # the holder's backup

    vault = Vault.unlock(vault_home, PASSPHRASE)
    add_text_documents(vault, 3, start=3)
    old = export_of(vault, tmp_path / "old.fsaudit", supervisor)  # handed to the supervisor
    add_text_documents(vault, 2, start=6)
    new = export_of(vault, tmp_path / "new.fsaudit", supervisor)
    device_key = Ed25519PrivateKey.from_private_bytes(
        vault.query("SELECT signing_key FROM device")[0][0]
    )
    vault.lock()
    assert "It extends" in check(new, supervisor, previous=old).text

    # Replayed: the old export handed in again as the new one, or an older one than that.
    with pytest.raises(exchange.Tampered, match="replayed: it is the previous export again"):
        check(old, supervisor, previous=old)
    with pytest.raises(exchange.Tampered, match="replayed: it is an older export"):
        check(old, supervisor, previous=new)

    # Rolled back: the vault restored from the backup made before the old export.
    restored = Vault.unlock(Home(early_copy), PASSPHRASE)
    rolled_back = export_of(restored, tmp_path / "rolled-back.fsaudit", supervisor)
    with pytest.raises(exchange.Tampered, match="rolled back"):
        check(rolled_back, supervisor, previous=old)
    # Forked: the restored vault given more events than the old export had, then exported.
    add_text_documents(restored, 12, start=100)
    restored_fork = export_of(restored, tmp_path / "fork.fsaudit", supervisor)
    restored.lock()
    with pytest.raises(exchange.Tampered, match="forked"):
        check(restored_fork, supervisor, previous=old)

    # Rewritten with the device key itself: event 2 edited, the whole chain signed afresh.
    lines = pyrage.decrypt(new.read_bytes(), [supervisor]).split(b"\n")[:-1]
    header = json.loads(lines[0])
    events = lines[1:-2]
    edited = json.loads(events[1])
    edited["outcome"] = "denied"
    events[1] = canonical_json(edited)
    origin = header["origin"]
    chain: list[str] = []
    for size in (0, len(events)):  # a short chain, each link signed by the real device key
        root = merkle.root([merkle.leaf_hash(line) for line in events[:size]])
        previous = chain[-1] if chain else None
        chain.append(Checkpoint(origin, size, root).chained("2030-01-01T00:00:00Z", previous)
                     .sign(device_key))  # fmt: skip
    rewritten = exchange.build_plaintext(
        origin, device_key.public_key().public_bytes_raw(), events, chain,
        lambda cp: cp.chained("2030-01-01T00:00:01Z", chain[-1]).sign(device_key),
        "2030-01-01T00:00:02Z",
    )  # fmt: skip
    exchange.check_plaintext(rewritten)  # self-consistent on its own ...
    forged = tmp_path / "rewritten.fsaudit"
    forged.write_bytes(exchange.encrypt(rewritten, recipient=str(supervisor.to_public())))
    with pytest.raises(exchange.Tampered, match="forked"):  # ... but not a descendant of OLD
        check(forged, supervisor, previous=old)


# -- 3. Committed events silently lost with the write-ahead log ---------------------------------


def _crash_copy(vault_home: Home, tmp_path: Path, documents: int) -> tuple[Path, int]:
    """A copy of the home as a crash leaves it (commits still in vault.db-wal), and how many
    events those commits wrote."""
    vault = Vault.unlock(vault_home, PASSPHRASE)
    (before,) = vault.query("SELECT count(*) FROM audit_events")[0]
    add_text_documents(vault, documents)
    (after,) = vault.query("SELECT count(*) FROM audit_events")[0]
    crashed = shutil.copytree(vault_home.root, tmp_path / "crashed")
    vault.lock()
    return crashed, after - before + 1  # and the unlock event, also in the WAL


@pytest.mark.slow
def test_3_a_lost_write_ahead_log_is_a_rollback_never_silently_continued(
    vault_home, passphrase_file, tmp_path
):
    crashed, in_wal = _crash_copy(vault_home, tmp_path, 4)
    assert (crashed / "vault.db-wal").stat().st_size > 0
    (crashed / "vault.db-wal").unlink()  # lost in the crash, or deleted on purpose
    before = home_bytes(Home(crashed))

    result = fieldscribe("unlock-test", "--passphrase-file", passphrase_file, home=crashed)
    assert result.returncode == 1
    assert f"the vault has lost {in_wal} recorded events (rolled back)" in (
        one_line_error(result).lower()
    )
    after = home_bytes(Home(crashed))
    assert after["vault.db"] == before["vault.db"] and after["keys.json"] == before["keys.json"]

    # Covering the tracks: delete the head too. The vault knows it had one.
    (crashed / "log-head.json").unlink()
    with pytest.raises(VaultDamaged, match="log head .* is missing"):
        Vault.unlock(Home(crashed), PASSPHRASE)


def test_3_a_corrupted_write_ahead_log_or_a_forged_head_is_refused(vault_home, tmp_path):
    crashed, _ = _crash_copy(vault_home, tmp_path, 3)
    wal = crashed / "vault.db-wal"
    data = bytearray(wal.read_bytes())
    data[len(data) - 100] ^= 0x40  # the last frame's checksum fails: SQLite drops that commit
    wal.write_bytes(bytes(data))
    with pytest.raises(VaultRolledBack, match="lost 1 recorded events"):
        Vault.unlock(Home(crashed), PASSPHRASE)

    # A head edited to match the shorter log fails its MAC (the key comes from the data key).
    head = json.loads((crashed / "log-head.json").read_text())
    head["tree_size"] -= 1
    (crashed / "log-head.json").write_text(json.dumps(head))
    with pytest.raises(VaultDamaged, match="log head .* was altered"):
        Vault.unlock(Home(crashed), PASSPHRASE)


# -- 4. A key file from another vault, or with edited parameters --------------------------------


@pytest.mark.slow
def test_4_a_key_file_from_another_vault_is_told_apart(vault_home, passphrase_file, tmp_path):
    other = Home(tmp_path / "other")
    Vault.create(other, PASSPHRASE, kdf=FAST_KDF)[0].lock()  # even with the same passphrase
    shutil.copyfile(other.key_slots, vault_home.key_slots)
    before = home_bytes(vault_home)
    result = fieldscribe("unlock-test", "--passphrase-file", passphrase_file,
                         home=vault_home.root)  # fmt: skip
    assert result.returncode == 2
    assert "belong to another vault" in one_line_error(result)
    assert home_bytes(vault_home) == before


def test_4_edited_kdf_parameters_fail_authentication(vault_home):
    # Lowering the cost would make guessing cheaper: the parameters are in the GCM data.
    edit_slot(vault_home, "passphrase", lambda s: {**s, "kdf": {**s["kdf"], "time_cost": 1}})
    with pytest.raises(WrongPassphrase):
        Vault.unlock(vault_home, PASSPHRASE)


def test_4_kdf_parameters_beyond_bounds_are_refused_before_deriving(vault_home):
    # 64 GiB of Argon2 memory would exhaust the machine before any tag could fail.
    edit_slot(vault_home, "passphrase",
              lambda s: {**s, "kdf": {**s["kdf"], "memory_kib": 64 * 1024 * 1024}})  # fmt: skip
    with pytest.raises(VaultDamaged, match="memory_kib .* is outside"):
        Vault.unlock(vault_home, PASSPHRASE)


# -- 5. The old passphrase (with an old keys.json) still opens the vault ------------------------


@pytest.mark.slow
def test_5_after_rekey_no_old_key_file_or_secret_opens_the_vault(
    vault_home, passphrase_file, recovery_code, tmp_path
):
    old_keys = vault_home.key_slots.read_bytes()
    new_passphrase = tmp_path / "new.txt"
    new_passphrase.write_text("a brand new passphrase\n")
    changed = fieldscribe(
        "change-passphrase", "--passphrase-file", passphrase_file,
        "--new-passphrase-file", new_passphrase, home=vault_home.root,
    )  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert "rekey" in changed.stderr  # it says what a passphrase change does not do

    # The attack: the keys.json copied before the change, with the old passphrase.
    current_keys = vault_home.key_slots.read_bytes()
    vault_home.key_slots.write_bytes(old_keys)
    Vault.unlock(vault_home, PASSPHRASE).lock()  # a change of passphrase alone does not stop it
    vault_home.key_slots.write_bytes(current_keys)

    rekeyed = fieldscribe("rekey", "--passphrase-file", new_passphrase, home=vault_home.root)
    assert rekeyed.returncode == 0, rekeyed.stderr
    new_code = re.search(r"^    (\S+)$", rekeyed.stdout, re.MULTILINE).group(1)

    rekeyed_keys = vault_home.key_slots.read_bytes()
    for stale_keys, secret in ((old_keys, PASSPHRASE), (current_keys, "a brand new passphrase"),
                               (current_keys, recovery_code)):  # fmt: skip
        vault_home.key_slots.write_bytes(stale_keys)
        with pytest.raises(ForeignKeyFile, match="belong to another vault"):
            Vault.unlock(vault_home, secret)
    vault_home.key_slots.write_bytes(rekeyed_keys)
    with pytest.raises(WrongPassphrase):
        Vault.unlock(vault_home, recovery_code)
    Vault.unlock(vault_home, new_code).lock()
    vault = Vault.unlock(vault_home, "a brand new passphrase", check_pages=True)
    try:
        assert log.verify(vault) > 0  # the same log, extended, under the new key
        assert "vault.rekey" in [event.action for event in log.read_events(vault)]
    finally:
        vault.lock()


def test_5_recovery_code_new_retires_the_old_one(vault_home, passphrase_file, recovery_code):
    result = fieldscribe("recovery-code", "--new", "--passphrase-file", passphrase_file,
                         home=vault_home.root)  # fmt: skip
    assert result.returncode == 0, result.stderr
    new_code = re.search(r"^    (\S+)$", result.stdout, re.MULTILINE).group(1)
    with pytest.raises(WrongPassphrase):
        Vault.unlock(vault_home, recovery_code)
    vault = Vault.unlock(vault_home, new_code)
    actions = [event.action for event in log.read_events(vault)]
    vault.lock()
    assert "vault.recovery_reissue" in actions


# -- 6. An empty or foreign vault.db is written to ----------------------------------------------


def _plain_sqlite(path: Path) -> bytes:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (text)")
    db.commit()
    db.close()
    return path.read_bytes()


@pytest.mark.parametrize("kind", ["empty", "plain sqlite", "text"])
def test_6_an_empty_or_foreign_vault_db_is_refused_untouched(vault_home, passphrase_file,
                                                             tmp_path, kind):  # fmt: skip
    content = {
        "empty": b"",
        "plain sqlite": _plain_sqlite(tmp_path / "other.sqlite"),
        "text": b"meeting notes\n" * 600,
    }[kind]
    vault_home.vault_db.write_bytes(content)
    result = fieldscribe("unlock-test", "--passphrase-file", passphrase_file,
                         home=vault_home.root)  # fmt: skip
    assert result.returncode == 1
    assert "damaged" in one_line_error(result)
    assert vault_home.vault_db.read_bytes() == content
    assert not Path(f"{vault_home.vault_db}-wal").exists()


# -- 7. Reads of personal data leave no trace ---------------------------------------------------


def test_7_views_searches_and_exports_are_audited_without_the_words(vault, tmp_path, supervisor):
    document_id, _ = add_text_documents(vault, 2, words="insulin glargine 20 units")
    record_view(vault, document_id)
    assert search(vault, "Insulin  glargine")
    search(vault, "insulin glargine")
    result = digitize(vault, document_id)
    export_result(vault, result.result_id, tmp_path / "result.json", "json")

    events = log.read_events(vault)
    views = [e for e in events if e.action == "document.view"]
    searches = [e for e in events if e.action == "search.run"]
    exports = [e for e in events if e.action == "result.export"]
    assert [e.object_id for e in views] == [str(document_id)]
    assert len(searches) == 2 and searches[0].details == searches[1].details  # the same words
    assert searches[0].details["hits"] >= 1
    assert len(exports) == 1 and len(exports[0].details["sha256"]) == 64
    assert all(e.actor.startswith("os-user:") for e in events)
    plaintext = pyrage.decrypt(export_of(vault, tmp_path / "x.fsaudit", supervisor).read_bytes(),
                               [supervisor])  # fmt: skip
    assert b"insulin" not in plaintext.lower() and b"glargine" not in plaintext.lower()


# -- 8. File names in the log, files others can read, a failed-unlock record reset --------------


def test_8_the_home_is_private_again_when_opened(vault_home):
    (vault_home.logs).mkdir()
    (vault_home.logs / "fieldscribe.log").write_text("")
    vault_home.root.chmod(0o755)
    for path in vault_home.root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    Vault.unlock(vault_home, PASSPHRASE).lock()
    assert stat.S_IMODE(vault_home.root.stat().st_mode) == 0o700
    for path in vault_home.root.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path


def test_8_a_failing_job_logs_its_id_and_error_class_not_its_title(caplog):
    runner = JobRunner()
    file_name = "-".join(["site", "visit", "Jane", "Doe.pdf"])  # not in any source line

    def fails(progress, cancel):
        raise KeyError(file_name)  # a bug whose message names the file

    with caplog.at_level(logging.ERROR):
        runner.submit(f"Digitize {file_name}", fails)
        assert runner.wait_until_idle(timeout=30)
    runner.shutdown()
    assert "KeyError" in caplog.text
    assert "Jane" not in caplog.text


def test_8_a_deleted_or_replaced_failed_unlock_record_is_noticed(vault_home):
    stale_copy = vault_home.failed_unlocks.read_bytes()  # from before the next unlock
    Vault.unlock(vault_home, PASSPHRASE).lock()
    for _ in range(3):  # the thief guesses ...
        with pytest.raises(WrongPassphrase):
            Vault.unlock(vault_home, "guess 1234")
    vault_home.failed_unlocks.unlink()  # ... and deletes the record
    vault = Vault.unlock(vault_home, PASSPHRASE)
    assert log.read_events(vault)[-2].details == {"record": "missing"}
    vault.lock()
    vault_home.failed_unlocks.write_bytes(stale_copy)  # or puts back an older copy
    vault = Vault.unlock(vault_home, PASSPHRASE)
    assert log.read_events(vault)[-2].details == {"record": "replaced"}
    vault.lock()


# -- 9. Small ones ------------------------------------------------------------------------------


@pytest.mark.slow
def test_9_a_flipped_page_is_damage_not_bad_input(vault_home, passphrase_file):
    data = bytearray(vault_home.vault_db.read_bytes())
    data[2 * 4096 + 700] ^= 0x10  # inside a page's ciphertext
    vault_home.vault_db.write_bytes(bytes(data))
    for command in (["unlock-test"], ["audit", "log"], ["audit", "verify"]):
        result = fieldscribe(*command, "--passphrase-file", passphrase_file, home=vault_home.root)
        assert result.returncode == 1, (command, result.stderr)
        assert "damaged" in one_line_error(result)


def test_9_an_empty_earlier_export_gets_a_sentence(vault, tmp_path, supervisor, identity_file):
    signer = Ed25519PrivateKey.generate()  # an export with no events at all
    empty = exchange.build_plaintext(
        vault.origin, vault.device_public_key, [], [],
        lambda cp: cp.chained("2030-01-01T00:00:00Z", None).sign(signer), "2030-01-01T00:00:00Z",
    )  # fmt: skip
    (tmp_path / "empty.fsaudit").write_bytes(
        exchange.encrypt(empty, recipient=str(supervisor.to_public()))
    )
    new = export_of(vault, tmp_path / "new.fsaudit", supervisor)
    result = fieldscribe("audit", "check", new, "--identity", identity_file,
                         "--previous", tmp_path / "empty.fsaudit")  # fmt: skip
    assert result.returncode == 1
    assert "internal error" not in one_line_error(result)


def test_9_the_passphrase_policy_is_the_core_s(tmp_path, vault):
    with pytest.raises(BadInput, match="at least 8 characters"):
        Vault.create(Home(tmp_path / "new"), "short", kdf=FAST_KDF)
    assert not (tmp_path / "new").exists()
    with pytest.raises(BadInput, match="at least 8 characters"):
        vault.change_passphrase(PASSPHRASE, "short", kdf=FAST_KDF)


def test_9_sqlcipher_4_settings_are_explicit(vault):
    assert vault.query("PRAGMA cipher_hmac_algorithm") == [("HMAC_SHA512",)]
    assert vault.query("PRAGMA cipher_page_size") == [("4096",)]
