"""The session's vault-level operations, as both front ends call them: creating and unlocking,
the key slots (passphrase, recovery code, rekey) and the audit log. Real SQLCipher vaults with
the real key derivation; each operation's audit event is read back from the log."""

from __future__ import annotations

import shutil

import pytest
from pyrage import x25519

from app.audit.exchange import Tampered
from app.errors import BadInput, ForeignKeyFile, VaultExists, WrongPassphrase
from app.paths import Home
from app.session import (
    MIN_PASSPHRASE_LENGTH,
    Session,
    check_audit_export,
    check_new_passphrase,
    vault_exists,
)
from tests.conftest import PASSPHRASE

NEW_PASSPHRASE = "a new and rather long passphrase"


def actions_since(session: Session, seq: int) -> list[str]:
    return [event.action for event in session.audit_events() if event.seq > seq]


def opens_with(home: Home, secret: str) -> str:
    """The key slot the secret opened, or WrongPassphrase."""
    with Session.unlock(home, secret) as session:
        return session.audit_events()[-1].details["key_slot"]


def test_create_then_unlock_with_the_passphrase_or_the_recovery_code(tmp_path):
    home = Home(tmp_path / "home")
    assert not vault_exists(home)
    session, recovery_code = Session.create(home, PASSPHRASE)
    with session:
        assert [event.action for event in session.audit_events()] == ["vault.create"]
    assert vault_exists(home)
    before = home.vault_db.read_bytes()
    with pytest.raises(VaultExists):
        Session.create(home, NEW_PASSPHRASE)
    assert home.vault_db.read_bytes() == before  # refused untouched
    assert opens_with(home, recovery_code) == "recovery"
    assert opens_with(home, PASSPHRASE) == "passphrase"


def test_a_too_short_passphrase_is_refused_by_the_core_policy(tmp_path, session):
    short = "x" * (MIN_PASSPHRASE_LENGTH - 1)
    with pytest.raises(BadInput, match=str(MIN_PASSPHRASE_LENGTH)):
        check_new_passphrase(short)
    home = Home(tmp_path / "new")
    with pytest.raises(BadInput, match=str(MIN_PASSPHRASE_LENGTH)):
        Session.create(home, short)
    assert not vault_exists(home)
    size = session.audit_log_size()
    with pytest.raises(BadInput, match=str(MIN_PASSPHRASE_LENGTH)):
        session.change_passphrase(PASSPHRASE, short)
    assert session.audit_log_size() == size  # nothing changed, nothing recorded


def test_change_passphrase_then_unlock_with_the_new_one(session, vault_home, recovery_code):
    start = session.audit_events()[-1].seq
    with pytest.raises(WrongPassphrase):
        session.change_passphrase("not the passphrase", NEW_PASSPHRASE)
    session.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)
    assert actions_since(session, start) == ["vault.passphrase_change"]
    session.close()
    with pytest.raises(WrongPassphrase):
        Session.unlock(vault_home, PASSPHRASE)
    assert opens_with(vault_home, NEW_PASSPHRASE) == "passphrase"
    assert opens_with(vault_home, recovery_code) == "recovery"  # the code still works


def test_rekey_retires_old_key_files_and_the_old_recovery_code(
    session, vault_home, recovery_code, tmp_path
):
    old_keys = tmp_path / "keys.json.old"
    shutil.copy(vault_home.key_slots, old_keys)
    with pytest.raises(BadInput, match="passphrase, not the recovery code"):
        session.rekey(recovery_code)
    steps: list[tuple[int, int, str]] = []
    new_code = session.rekey(PASSPHRASE, progress=lambda *step: steps.append(step))
    assert steps[-1][:2] == (6, 6)
    assert session.audit_events()[-1].action == "vault.rekey"
    assert session.verify_audit_log() == session.audit_log_size() - 1  # before its own event
    session.close()
    with pytest.raises(WrongPassphrase):
        Session.unlock(vault_home, recovery_code)
    assert opens_with(vault_home, new_code) == "recovery"
    assert opens_with(vault_home, PASSPHRASE) == "passphrase"  # the passphrase is unchanged
    shutil.copy(old_keys, vault_home.key_slots)  # an attacker's copy from before the rekey
    with pytest.raises(ForeignKeyFile):
        Session.unlock(vault_home, PASSPHRASE)


def test_new_recovery_code_retires_the_old_one(session, vault_home, recovery_code):
    start = session.audit_events()[-1].seq
    new_code = session.new_recovery_code(PASSPHRASE)
    assert new_code != recovery_code
    assert actions_since(session, start) == ["vault.recovery_reissue"]
    session.close()
    with pytest.raises(WrongPassphrase):
        Session.unlock(vault_home, recovery_code)
    assert opens_with(vault_home, new_code) == "recovery"


def test_failed_unlocks_are_counted_at_the_next_unlock(vault_home):
    for _ in range(2):
        with pytest.raises(WrongPassphrase):
            Session.unlock(vault_home, "not the passphrase")
    with Session.unlock(vault_home, PASSPHRASE) as session:
        assert session.failed_unlocks_before_last_unlock() == 2
        assert session.audit_log_size() == len(session.audit_events())


def test_export_then_check_the_audit_log_offline(session, tmp_path):
    assert session.verify_audit_log() == session.audit_log_size() - 1  # before its own event
    assert session.audit_events()[-1].action == "audit.verify"
    supervisor = x25519.Identity.generate()  # an age key: quicker than a passphrase's scrypt
    key = str(supervisor)
    out = tmp_path / "log.fsaudit"
    report = session.export_audit_log(out, recipient=str(supervisor.to_public()))
    assert report.path == out and len(report.sha256) == 64
    assert session.audit_events()[-1].action == "audit.export"
    fingerprint = session.device_fingerprint()
    checked = check_audit_export(out, identity_text=key, expected_fingerprint=fingerprint)
    assert f"intact — {report.events} events" in checked.text
    assert checked.caution is None  # pinned: no caution about the key inside the export

    later = tmp_path / "later.fsaudit"
    session.export_audit_log(later, recipient=str(supervisor.to_public()))
    assert "It extends" in check_audit_export(
        later, identity_text=key, previous=out, expected_fingerprint=fingerprint
    ).text
    # A supervisor pinning another device's key: the export is refused as not this device's.
    other = "SHA256:" + "0" * 64
    with pytest.raises(Tampered, match="unknown device key"):
        check_audit_export(out, identity_text=key, expected_fingerprint=other)
    with pytest.raises(BadInput):  # another supervisor's key does not decrypt it
        check_audit_export(out, identity_text=str(x25519.Identity.generate()))
