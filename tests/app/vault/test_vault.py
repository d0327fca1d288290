"""The vault on real SQLCipher files: keys, slots, damage, append-only tables."""

from __future__ import annotations

import contextlib
import json
import random
import shutil

import pytest
import sqlcipher3

from app.audit.log import failed_unlocks_before_last_unlock, read_events
from app.errors import VaultDamaged, VaultExists, VaultNotFound, WrongPassphrase
from app.paths import Home
from app.vault import Vault, keyslots
from app.vault.documents import store_document
from tests.conftest import PASSPHRASE
from tests.helpers import FAST_KDF, TextPage


def file_bytes(home: Home) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in (home.vault_db, home.key_slots)}


@pytest.mark.parametrize(
    "passphrase",
    [
        "it's \"quoted\" and 'single' -- x'00' ; DROP TABLE settings;",
        "back\\slash\\\\es \\x00 \\n",
        "emoji 🙂🔐👩‍⚕️ and accents é ñ ü",
        "a" * 199 + "🙂",
    ],
    ids=["quotes", "backslashes", "emoji", "200-chars"],
)
def test_any_passphrase_creates_and_unlocks(tmp_path, passphrase):
    home = Home(tmp_path / "home")
    vault, _ = Vault.create(home, passphrase, kdf=FAST_KDF)
    vault.lock()
    reopened = Vault.unlock(home, passphrase)
    assert reopened.get_setting("missing", "default") == "default"
    reopened.lock()
    with pytest.raises(WrongPassphrase):
        Vault.unlock(home, passphrase[:-1])


def test_passphrase_typed_in_another_unicode_form_unlocks(tmp_path):
    home = Home(tmp_path / "home")
    composed, decomposed = "caf\u00e9 au lait", "cafe\u0301 au lait"
    vault, _ = Vault.create(home, composed, kdf=FAST_KDF)
    vault.lock()
    Vault.unlock(home, decomposed).lock()


def test_real_kdf_parameters_are_stored_per_slot(vault_home):
    slots = json.loads(vault_home.key_slots.read_text())["slots"]
    assert {slot["id"] for slot in slots} == {"passphrase", "recovery"}
    for slot in slots:
        assert slot["kdf"]["name"] == "argon2id"
        assert slot["kdf"]["memory_kib"] == keyslots.DEFAULT_KDF.memory_kib
        assert slot["kdf"]["time_cost"] == keyslots.DEFAULT_KDF.time_cost


def test_wrong_passphrase_changes_nothing_and_is_audited_later(vault_home):
    before = file_bytes(vault_home)
    for _ in range(2):
        with pytest.raises(WrongPassphrase, match="Wrong passphrase."):
            Vault.unlock(vault_home, "not the passphrase")
    assert file_bytes(vault_home) == before
    sidecar = json.loads(vault_home.failed_unlocks.read_text())
    assert sidecar["count"] == 2
    assert PASSPHRASE not in vault_home.failed_unlocks.read_text()

    vault = Vault.unlock(vault_home, PASSPHRASE)
    events = read_events(vault)
    assert failed_unlocks_before_last_unlock(vault) == 2  # what the window says after unlock
    vault.lock()
    failed = [e for e in events if e.action == "vault.unlock_failed"]
    assert [e.outcome for e in failed] == ["denied", "denied"]
    assert failed[0].seq < events[-1].seq
    assert events[-1].action == "vault.unlock"
    assert json.loads(vault_home.failed_unlocks.read_text())["count"] == 0  # a new epoch
    vault = Vault.unlock(vault_home, PASSPHRASE)
    assert failed_unlocks_before_last_unlock(vault) == 0  # counted once, not at every unlock
    vault.lock()


def test_recovery_code_opens_the_vault_in_any_spelling(vault_home, recovery_code):
    spelled = recovery_code.lower().replace("-", " ")
    vault = Vault.unlock(vault_home, spelled)
    assert read_events(vault)[-1].details == {"key_slot": "recovery"}
    vault.lock()


def test_changing_the_passphrase_rewrites_only_its_slot(vault_home, recovery_code):
    slots_before = {s["id"]: s for s in json.loads(vault_home.key_slots.read_text())["slots"]}
    vault = Vault.unlock(vault_home, PASSPHRASE)
    with pytest.raises(WrongPassphrase):
        vault.change_passphrase("not the current one", "brand new passphrase")
    vault.change_passphrase(PASSPHRASE, "brand new passphrase", kdf=FAST_KDF)
    assert read_events(vault)[-1].action == "vault.passphrase_change"
    vault.lock()

    slots_after = {s["id"]: s for s in json.loads(vault_home.key_slots.read_text())["slots"]}
    assert slots_after["recovery"] == slots_before["recovery"]
    assert slots_after["passphrase"] != slots_before["passphrase"]
    with pytest.raises(WrongPassphrase):
        Vault.unlock(vault_home, PASSPHRASE)
    Vault.unlock(vault_home, "brand new passphrase").lock()
    Vault.unlock(vault_home, recovery_code).lock()


def test_create_never_overwrites(vault_home):
    before = file_bytes(vault_home)
    with pytest.raises(VaultExists):
        Vault.create(vault_home, "another passphrase")
    assert file_bytes(vault_home) == before


def test_missing_vault_is_reported(tmp_path):
    with pytest.raises(VaultNotFound, match="fieldscribe init"):
        Vault.unlock(Home(tmp_path / "nothing"), PASSPHRASE)


def test_damaged_key_file_is_damage_not_a_wrong_passphrase(vault_home):
    document = json.loads(vault_home.key_slots.read_text())
    wrapped = document["slots"][0]["wrapped_key"]
    document["slots"][0]["wrapped_key"] = ("A" if wrapped[0] != "A" else "B") + wrapped[1:]
    vault_home.key_slots.write_text(json.dumps(document))
    before = file_bytes(vault_home)
    with pytest.raises(VaultDamaged, match="key file"):
        Vault.unlock(vault_home, PASSPHRASE)
    assert file_bytes(vault_home) == before


def _read_everything(vault: Vault, up_to_seq: int) -> list[tuple]:
    """Every stored row, and the audit events that existed before this unlock added its own."""
    return [
        *vault.query("SELECT id, name, content FROM documents ORDER BY id"),
        *vault.query("SELECT document_id, number, text FROM pages ORDER BY id"),
        *vault.query(
            "SELECT seq, details_json, leaf_hash FROM audit_events WHERE seq <= ? ORDER BY seq",
            (up_to_seq,),
        ),
    ]


@pytest.mark.slow
def test_flipped_bytes_are_damage_never_wrong_passphrase_never_read_silently(tmp_path):
    home = Home(tmp_path / "original")
    vault, _ = Vault.create(home, PASSPHRASE, kdf=FAST_KDF)
    rng = random.Random(7)
    for n in range(40):
        text = f"note {n} " + " ".join(
            rng.choice(["pump", "valve", "5 mg", "BP"]) for _ in range(300)
        )
        with vault.transaction() as tx:
            store_document(
                tx,
                name=f"n{n}.txt",
                media_type="text/plain",
                content=text.encode(),
                pages=[TextPage(1, text)],
            )
    (events,) = vault.query("SELECT count(*) FROM audit_events")[0]
    original_rows = _read_everything(vault, events)
    vault.lock()
    page_size = 4096
    pages = home.vault_db.stat().st_size // page_size
    assert pages > 20

    for page in range(pages):
        offset = page * page_size + rng.randrange(page_size)
        damaged = Home(tmp_path / f"flip-{page}")
        shutil.copytree(home.root, damaged.root)
        data = bytearray(damaged.vault_db.read_bytes())
        data[offset] ^= 1 << rng.randrange(8)
        damaged.vault_db.write_bytes(bytes(data))
        flipped = file_bytes(damaged)

        # Reading never returns altered content: it fails as damage, or the page was unused.
        try:
            opened = Vault.unlock(damaged, PASSPHRASE)
        except VaultDamaged:
            pass
        else:
            with contextlib.suppress(VaultDamaged):
                assert _read_everything(opened, events) == original_rows
            with contextlib.suppress(VaultDamaged):
                opened.lock()
        # A full check always finds it, as damage, and writes nothing.
        shutil.rmtree(damaged.root)
        shutil.copytree(home.root, damaged.root)
        damaged.vault_db.write_bytes(flipped["vault.db"])
        with pytest.raises(VaultDamaged, match="damaged"):
            Vault.unlock(damaged, PASSPHRASE, check_pages=True)
        assert file_bytes(damaged) == flipped, f"a failed open modified the vault (page {page})"
        shutil.rmtree(damaged.root)


def test_audit_events_and_revisions_are_append_only(vault):
    with vault.transaction() as tx:
        doc_id, _ = store_document(
            tx, name="a.txt", media_type="text/plain", content=b"abc", pages=[TextPage(1, "abc")]
        )
        result_id = tx.execute(
            "INSERT INTO results (document_id, kind, provenance_json, created_utc)"
            " VALUES (?, 'digitize', '{}', 'now')",
            (doc_id,),
        ).lastrowid
        tx.execute(
            "INSERT INTO result_revisions (result_id, revision, content_json, author, created_utc)"
            " VALUES (?, 1, '{}', 'job', 'now')",
            (result_id,),
        )
    for statement in (
        "UPDATE audit_events SET outcome = 'ok' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 1",
        "UPDATE result_revisions SET content_json = '{\"x\": 1}'",
    ):
        with pytest.raises(sqlcipher3.IntegrityError), vault.transaction() as tx:
            tx.execute(statement)


def test_documents_are_stored_once_and_imports_audited(vault):
    with vault.transaction() as tx:
        first, created = store_document(
            tx, name="a.txt", media_type="text/plain", content=b"same", pages=[TextPage(1, "same")]
        )
    assert created
    with vault.transaction() as tx:
        again, created_again = store_document(
            tx,
            name="copy.txt",
            media_type="text/plain",
            content=b"same",
            pages=[TextPage(1, "same")],
        )
    assert (again, created_again) == (first, False)
    imports = [e for e in read_events(vault) if e.action == "document.import"]
    assert len(imports) == 1
    assert "a.txt" not in json.dumps(imports[0].details)  # names can identify people


def test_a_failed_transaction_leaves_no_trace(vault):
    events_before = len(read_events(vault))
    with pytest.raises(RuntimeError), vault.transaction() as tx:
        store_document(tx, name="a.txt", media_type="text/plain", content=b"x", pages=[])
        raise RuntimeError("the job failed after storing")
    assert vault.query("SELECT count(*) FROM documents") == [(0,)]
    assert len(read_events(vault)) == events_before


def test_schema_is_migrated_and_journal_is_wal(vault):
    from app.vault.schema import SCHEMA_VERSION

    assert vault.query("PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert vault.query("PRAGMA journal_mode") == [("wal",)]
    assert vault.query("PRAGMA synchronous") == [(2,)]  # FULL
    assert vault.query("PRAGMA cipher_log_level") == [("NONE",)]
