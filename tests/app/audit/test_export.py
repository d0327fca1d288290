"""Exports and their offline check: every kind of tampering is found and named."""

from __future__ import annotations

import base64
import json
import random

import pyrage
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.audit import exchange, log
from app.audit.checkpoint import fingerprint
from app.errors import BadInput
from tests.helpers import add_text_documents


@pytest.fixture(scope="module")
def supervisor():
    return pyrage.x25519.Identity.generate()


def _plaintext(vault, tmp_path, supervisor, name="export.fsaudit") -> bytes:
    report = log.export(vault, tmp_path / name, recipient=str(supervisor.to_public()))
    return pyrage.decrypt(report.path.read_bytes(), [supervisor])


@pytest.fixture
def export_plaintext(vault, tmp_path, supervisor) -> bytes:
    add_text_documents(vault, 5)
    return _plaintext(vault, tmp_path, supervisor)


def test_an_untouched_export_checks_out(vault, export_plaintext):
    checked = exchange.check_plaintext(export_plaintext)
    lines = export_plaintext.splitlines()
    assert checked.tree_size == len(lines) - 3  # a header, the chain and the checkpoint
    assert checked.fingerprint == fingerprint(vault.device_public_key) == vault.fingerprint
    assert json.loads(lines[0])["format"] == "fieldscribe-audit-export"
    assert all(json.loads(line)["seq"] == i for i, line in enumerate(lines[1:-2], start=1))
    chain = json.loads(lines[-2])["chain"]
    assert len(checked.chain) == len(chain) + 1  # every commit's checkpoint, then the export's


def test_every_single_byte_change_is_detected(export_plaintext):
    rng = random.Random(1)
    for position in range(len(export_plaintext)):
        tampered = bytearray(export_plaintext)
        tampered[position] ^= 1 << rng.randrange(8)
        with pytest.raises(exchange.Tampered):
            exchange.check_plaintext(bytes(tampered))


def _lines(plaintext: bytes) -> list[bytes]:
    return plaintext.split(b"\n")[:-1]


def _join(lines: list[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n"


def test_a_deleted_line_is_a_gap(export_plaintext):
    lines = _lines(export_plaintext)
    for index in range(1, len(lines) - 3):
        with pytest.raises(exchange.Tampered, match=f"gap at seq {index}"):
            exchange.check_plaintext(_join(lines[:index] + lines[index + 1 :]))
    with pytest.raises(exchange.Tampered, match="checkpoint covers"):
        exchange.check_plaintext(_join(lines[:-3] + lines[-2:]))


def test_swapped_lines_are_out_of_order(export_plaintext):
    lines = _lines(export_plaintext)
    lines[3], lines[4] = lines[4], lines[3]
    with pytest.raises(exchange.Tampered, match="gap at seq 3|out of order"):
        exchange.check_plaintext(_join(lines))


def test_a_truncated_tail_is_detected(export_plaintext):
    for cut in (1, 2, 40, len(export_plaintext) // 2, len(export_plaintext) - 1):
        with pytest.raises(exchange.Tampered):
            exchange.check_plaintext(export_plaintext[:-cut])
    lines = _lines(export_plaintext)
    with pytest.raises(exchange.Tampered, match="no signed checkpoint"):
        exchange.check_plaintext(_join(lines[:-1]))
    with pytest.raises(exchange.Tampered):
        exchange.check_plaintext(_join(lines[:-2] + lines[-1:]))  # the chain cut out


def _resign(lines: list[bytes], key: Ed25519PrivateKey, *, replace_header_key: bool) -> bytes:
    header = json.loads(lines[0])
    if replace_header_key:
        header["device_public_key"] = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    chain = json.loads(lines[-2])["chain"]
    return exchange.build_plaintext(
        header["origin"],
        base64.b64decode(header["device_public_key"]),
        lines[1:-2],
        chain,
        lambda checkpoint: checkpoint.chained("2030-01-01T00:00:00Z", chain[-1]).sign(key),
        header["exported_utc"],
    )


def test_a_checkpoint_re_signed_with_another_key_is_detected(export_plaintext):
    lines = _lines(export_plaintext)
    forger = Ed25519PrivateKey.generate()
    with pytest.raises(exchange.Tampered, match="signature"):
        exchange.check_plaintext(_resign(lines, forger, replace_header_key=False))
    with pytest.raises(exchange.Tampered, match="key other than the one the vault was created"):
        exchange.check_plaintext(_resign(lines, forger, replace_header_key=True))


def test_the_old_export_given_as_the_new_one_is_a_replay(vault, tmp_path, supervisor):
    add_text_documents(vault, 3)
    old = exchange.check_plaintext(_plaintext(vault, tmp_path, supervisor, "old.fsaudit"))
    add_text_documents(vault, 3, start=3)
    new = exchange.check_plaintext(_plaintext(vault, tmp_path, supervisor, "new.fsaudit"))
    exchange.check_extends(new, old)
    with pytest.raises(exchange.Tampered, match="replayed: it is an older export"):
        exchange.check_extends(old, new)
    with pytest.raises(exchange.Tampered, match="replayed: it is the previous export again"):
        exchange.check_extends(old, old)


def test_a_local_edit_fails_verify_and_is_never_exported(vault, tmp_path, supervisor):
    add_text_documents(vault, 2)
    assert log.verify(vault) > 0
    with vault.transaction() as tx:
        tx.execute("DROP TRIGGER audit_events_are_never_updated")
        tx.execute("UPDATE audit_events SET outcome = 'denied' WHERE seq = 2")
    with pytest.raises(log.LogTampered, match="event 2 was changed"):
        log.verify(vault)
    with pytest.raises(log.LogTampered):
        log.export(vault, tmp_path / "x.fsaudit", recipient=str(supervisor.to_public()))
    assert not (tmp_path / "x.fsaudit").exists()
    assert log.read_events(vault)[-1].outcome == "failed"  # the failed verify is itself audited


def test_a_wrong_key_or_a_non_age_file_is_unusable_input(export_plaintext, supervisor):
    ciphertext = exchange.encrypt(export_plaintext, recipient=str(supervisor.to_public()))
    other = pyrage.x25519.Identity.generate()
    with pytest.raises(BadInput, match="cannot decrypt"):
        exchange.decrypt(ciphertext, "x.fsaudit", identity_text=str(other))
    with pytest.raises(BadInput, match="cannot decrypt"):
        exchange.decrypt(export_plaintext, "x.fsaudit", identity_text=str(supervisor))
    with pytest.raises(BadInput, match="not an age public key"):
        exchange.encrypt(export_plaintext, recipient="age1notakey")
