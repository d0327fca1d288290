"""A vault from the first milestone (schema 2, an unbound version-1 keys.json, no log head, no
checkpoint chain) opens, is upgraded in place, and exports a log that checks."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets

import pyrage
from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.audit import exchange, log, merkle
from app.audit.checkpoint import Checkpoint
from app.vault import Vault, keyslots
from app.vault.vault import _open_connection
from tests.conftest import PASSPHRASE
from tests.helpers import add_text_documents

FAST = {"time_cost": 1, "memory_kib": 8 * 1024, "parallelism": 1}


def _v1_slot(slot_id: str, secret: str, data_key: bytes) -> dict:
    """A slot as the first milestone wrote it: associated data without the vault id."""
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    kek = hash_secret_raw(secret.encode(), salt, time_cost=1, memory_cost=8 * 1024,
                          parallelism=1, hash_len=32, type=Type.ID)  # fmt: skip
    wrapped = AESGCM(kek).encrypt(nonce, data_key, f"fieldscribe-keys:1:{slot_id}".encode())
    slot = {"id": slot_id, "kdf": {"name": "argon2id", **FAST},
            "salt": base64.b64encode(salt).decode(), "nonce": base64.b64encode(nonce).decode(),
            "wrapped_key": base64.b64encode(wrapped).decode()}  # fmt: skip
    body = json.dumps(slot, sort_keys=True).encode()
    return {**slot, "checksum": hashlib.sha256(body).hexdigest()}


def test_a_first_milestone_vault_is_upgraded_and_its_export_checks(tmp_path, vault_home):
    # Make the shared vault look as the first milestone left it.
    vault = Vault.unlock(vault_home, PASSPHRASE)
    add_text_documents(vault, 2)
    vault.rekey(PASSPHRASE, kdf=keyslots.KdfParams(**FAST))  # a data key this test knows ...
    vault.lock()
    key_file = keyslots.read_key_file(vault_home.key_slots)
    data_key, _ = keyslots.unwrap_data_key(key_file, PASSPHRASE)  # ... read back here
    conn = _open_connection(vault_home.vault_db, data_key)
    origin, signing_key = conn.execute("SELECT origin, signing_key FROM device").fetchone()
    leaves = [bytes(r[0]) for r in conn.execute("SELECT leaf_hash FROM audit_events ORDER BY seq")]
    old_note = Checkpoint(origin, len(leaves), merkle.root(leaves)).sign(
        Ed25519PrivateKey.from_private_bytes(signing_key)
    )  # signed the old way: no time, no link
    conn.executescript(
        "BEGIN; DROP TABLE checkpoints; ALTER TABLE device DROP COLUMN query_key;"
        " DELETE FROM settings WHERE key IN ('log_head_recorded', 'failed_unlocks_epoch');"
        " PRAGMA user_version = 2; COMMIT;"
    )
    conn.execute("UPDATE audit_state SET checkpoint = ?", (old_note,))
    conn.close()
    vault_home.log_head.unlink()
    vault_home.failed_unlocks.unlink()
    slots = [_v1_slot("passphrase", PASSPHRASE, data_key)]
    vault_home.key_slots.write_text(
        json.dumps({"format": "fieldscribe-keys", "version": 1, "slots": slots})
    )

    upgraded = Vault.unlock(vault_home, PASSPHRASE)
    try:
        assert upgraded.query("PRAGMA user_version") == [(3,)]
        assert log.verify(upgraded) == len(leaves) + 1  # and the unlock's event
        supervisor = pyrage.x25519.Identity.generate()
        out = log.export(upgraded, tmp_path / "x.fsaudit", recipient=str(supervisor.to_public()))
    finally:
        upgraded.lock()
    report = exchange.check_export_file(out.path, identity_text=str(supervisor))
    assert "intact" in report.text
    assert json.loads(vault_home.key_slots.read_text())["vault_id"]  # bound from now on
    assert vault_home.log_head.exists()
    Vault.unlock(vault_home, PASSPHRASE).lock()  # and the head recorded on upgrade holds
