"""The `.fsaudit` export format and its offline check (what a supervisor runs).

The plaintext is JSON Lines, every line in canonical form:
  1. a header: format, version, origin, the device's public key;
  2. one line per event, in `seq` order (the Merkle leaves hash these exact bytes);
  3. the chain: every checkpoint the device signed before this export, oldest first, each
     naming the hash of the one before it;
  4. the signed checkpoint over all event lines, with the header's SHA-256 as an extension line,
     its time, and the hash of the chain's last checkpoint.
So every byte is covered: events by the root hash, the header by its hash, the chain by its
signatures and links, the last line by the signature and by being canonical. The whole is
age-encrypted to a recipient or a passphrase.

What a check proves, and what it does not, is said in the README's security model: the key
inside an export proves nothing about which device made it unless its fingerprint is pinned
(`expected_fingerprint`); `previous` proves the new export descends from the earlier one.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pyrage

from app.audit import merkle
from app.audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    fingerprint,
    note_hash,
    open_signed,
    same_fingerprint,
)
from app.audit.events import AuditEvent, canonical_json
from app.errors import BadInput

EXPORT_FORMAT = "fieldscribe-audit-export"
EXPORT_VERSION = 2
_HEADER_EXTENSION = "header-sha256 "
_NOT_AN_EXTENSION = "not an extension of the previous export: "


class Tampered(Exception):
    """The export decrypted but is not intact; the message says where it broke."""


@dataclass(frozen=True)
class CheckedExport:
    origin: str
    public_key: bytes
    tree_size: int
    root_hash: bytes
    leaves: list[bytes]
    chain: list[bytes]  # the hash of every checkpoint in the chain, oldest first; last = this
    signed_utc: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


@dataclass(frozen=True)
class CheckReport:
    """What `audit check` prints: the verdict, and a caution when no fingerprint was pinned."""

    text: str
    fingerprint: str
    caution: str | None


def unpinned_caution(fingerprint_seen: str) -> str:
    return (
        "No fingerprint was given, so this only shows the file is intact relative to the key "
        f"inside it: compare {fingerprint_seen} with the one recorded for this device "
        "(or pass --expect-fingerprint)."
    )


def build_plaintext(
    origin: str,
    public_key: bytes,
    event_lines: list[bytes],
    chain: list[str],
    sign,
    exported_utc: str,
) -> bytes:
    """The export's plaintext. `chain` holds the device's signed checkpoints so far, oldest
    first; `sign(Checkpoint) -> str` signs the export's checkpoint as the chain's next link."""
    header = canonical_json(
        {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "origin": origin,
            "device_public_key": base64.b64encode(public_key).decode(),
            "exported_utc": exported_utc,
        }
    )
    root = merkle.root([merkle.leaf_hash(line) for line in event_lines])
    header_hash = base64.b64encode(hashlib.sha256(header).digest()).decode()
    checkpoint = Checkpoint(origin, len(event_lines), root, (_HEADER_EXTENSION + header_hash,))
    chain_line = canonical_json({"chain": chain})
    trailer = canonical_json({"checkpoint": sign(checkpoint)})
    return b"\n".join([header, *event_lines, chain_line, trailer]) + b"\n"


def encrypt(
    plaintext: bytes, *, recipient: str | None = None, passphrase: str | None = None
) -> bytes:
    if recipient is not None:
        try:
            return pyrage.encrypt(plaintext, [pyrage.x25519.Recipient.from_str(recipient.strip())])
        except pyrage.RecipientError as exc:
            raise BadInput(f"{recipient.strip()!r} is not an age public key ({exc}).") from exc
    if not passphrase:
        raise BadInput("An export needs a recipient's age public key or a passphrase.")
    return pyrage.passphrase.encrypt(plaintext, passphrase)


def decrypt(
    ciphertext: bytes,
    source: str,
    *,
    identity_text: str | None = None,
    passphrase: str | None = None,
) -> bytes:
    """Decrypt with an age identity file's text or a passphrase; BadInput when that fails."""
    try:
        if identity_text is not None:
            identities = [
                pyrage.x25519.Identity.from_str(line.strip())
                for line in identity_text.splitlines()
                if line.strip() and not line.lstrip().startswith("#")
            ]
            if not identities:
                raise BadInput("The identity file holds no age secret key.")
            return pyrage.decrypt(ciphertext, identities)
        return pyrage.passphrase.decrypt(ciphertext, passphrase or "")
    except pyrage.IdentityError as exc:
        raise BadInput(f"The identity file is not an age secret key ({exc}).") from exc
    except pyrage.DecryptError as exc:
        raise BadInput(
            f"{source}: cannot decrypt (wrong key or passphrase, or not an age file)."
        ) from exc


def _canonical_object(line: bytes, what: str) -> dict:
    try:
        value = json.loads(line)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Tampered(f"the {what} line is not valid JSON") from exc
    if not isinstance(value, dict) or canonical_json(value) != line:
        raise Tampered(f"the {what} line was altered (not in canonical form)")
    return value


def _check_chain(
    notes: list[str], final_note: str, public_key: bytes, origin: str, leaves: list[bytes]
) -> list[bytes]:
    """Every checkpoint of the chain signed by the key, linked to the one before it, and over a
    prefix of these very events; the hashes of the chain's notes, the final one last."""
    hashes: list[bytes] = []
    frontier: merkle.Frontier = []
    appended = 0
    for index, note in enumerate([*notes, final_note]):
        if not isinstance(note, str):
            raise Tampered(f"checkpoint {index + 1} of the chain is not a signed note")
        try:
            checkpoint = open_signed(note, public_key)
        except CheckpointError as exc:
            raise Tampered(f"checkpoint {index + 1} of the chain: {exc}") from exc
        if checkpoint.origin != origin:
            raise Tampered(f"checkpoint {index + 1} of the chain names another origin")
        expected_previous = hashes[-1] if hashes else None
        if checkpoint.previous != expected_previous:
            raise Tampered(
                "the chain does not start at the device's first checkpoint"
                if index == 0
                else f"checkpoint {index + 1} of the chain does not follow the one before it"
            )
        if not appended <= checkpoint.tree_size <= len(leaves):
            raise Tampered(f"checkpoint {index + 1} of the chain covers events not in the file")
        while appended < checkpoint.tree_size:
            merkle.frontier_append(frontier, leaves[appended])
            appended += 1
        if merkle.frontier_root(frontier) != checkpoint.root_hash:
            raise Tampered(
                f"checkpoint {index + 1} of the chain signed other events than these "
                f"(its first {checkpoint.tree_size} events differ)"
            )
        hashes.append(note_hash(note))
    return hashes


def check_plaintext(plaintext: bytes) -> CheckedExport:
    """Verify a decrypted export; Tampered with the reason when anything does not hold."""
    if not plaintext.endswith(b"\n"):
        raise Tampered("the export does not end with a complete line (truncated?)")
    lines = plaintext[:-1].split(b"\n")
    if len(lines) < 3:
        raise Tampered("the export has no signed checkpoint (truncated?)")
    header_line, event_lines, chain_line, trailer_line = lines[0], lines[1:-2], lines[-2], lines[-1]

    header = _canonical_object(header_line, "header")
    if header.get("format") == EXPORT_FORMAT and header.get("version") == 1:
        raise BadInput(
            "This export was written by an earlier Fieldscribe (format 1, without a checkpoint "
            "chain): export the log again with this version."
        )
    if header.get("format") != EXPORT_FORMAT or header.get("version") != EXPORT_VERSION:
        raise Tampered("the header does not name this export format and version")
    try:
        public_key = base64.b64decode(header["device_public_key"], validate=True)
        origin = header["origin"]
    except (KeyError, TypeError, ValueError) as exc:
        raise Tampered("the header's device key is unreadable") from exc
    if len(public_key) != 32:
        raise Tampered("the header's device key is not an Ed25519 key")

    try:
        trailer = json.loads(trailer_line)
    except (UnicodeDecodeError, ValueError):
        raise Tampered("the export has no signed checkpoint at its end (truncated?)") from None
    if not isinstance(trailer, dict) or "checkpoint" not in trailer:
        raise Tampered("the export has no signed checkpoint at its end (truncated?)")
    trailer = _canonical_object(trailer_line, "checkpoint")
    try:
        checkpoint = open_signed(str(trailer["checkpoint"]), public_key)
    except CheckpointError as exc:
        raise Tampered(str(exc)) from exc
    if checkpoint.origin != origin:
        raise Tampered("the checkpoint's origin differs from the header's")
    header_hash = base64.b64encode(hashlib.sha256(header_line).digest()).decode()
    if _HEADER_EXTENSION + header_hash not in checkpoint.extensions:
        raise Tampered("the header was changed after it was signed")
    chain = _canonical_object(chain_line, "chain").get("chain")
    if not isinstance(chain, list):
        raise Tampered("the checkpoint chain is missing (truncated?)")

    for index, line in enumerate(event_lines):
        expected_seq = index + 1
        try:
            event = AuditEvent.from_json(json.loads(line))
        except (UnicodeDecodeError, ValueError, TypeError):
            raise Tampered(f"line {index + 2} is not a valid event") from None
        if event.seq > expected_seq:
            raise Tampered(f"gap at seq {expected_seq}")
        if event.seq < expected_seq:
            raise Tampered(f"events out of order at line {index + 2} (seq {event.seq})")
        if expected_seq == 1 and (
            event.action != "vault.create"
            or event.details.get("device_key") != fingerprint(public_key)
        ):
            raise Tampered("it is signed by a key other than the one the vault was created with")
    if len(event_lines) != checkpoint.tree_size:
        raise Tampered(
            f"the checkpoint covers {checkpoint.tree_size} events but the file has "
            f"{len(event_lines)} (gap at seq {min(len(event_lines), checkpoint.tree_size) + 1})"
        )
    leaves = [merkle.leaf_hash(line) for line in event_lines]
    if merkle.root(leaves) != checkpoint.root_hash:
        raise Tampered("root mismatch: an event was changed after it was signed")
    hashes = _check_chain(chain, str(trailer["checkpoint"]), public_key, origin, leaves)
    return CheckedExport(
        origin, public_key, checkpoint.tree_size, checkpoint.root_hash, leaves, hashes,
        checkpoint.time_utc or "an unknown time",
    )  # fmt: skip


def check_extends(new: CheckedExport, old: CheckedExport) -> None:
    """That `new` descends from `old`: the same device key, `old`'s checkpoint in `new`'s chain,
    and (RFC 6962) `new`'s tree extends `old`'s. Tampered, saying replayed, rolled back or
    forked, if not."""
    if new.public_key != old.public_key:
        raise Tampered(f"{_NOT_AN_EXTENSION}a different device key signed it")
    old_head, new_head = old.chain[-1], new.chain[-1]
    if new_head == old_head:
        raise Tampered(f"{_NOT_AN_EXTENSION}replayed: it is the previous export again")
    if new_head in old.chain:
        raise Tampered(
            f"{_NOT_AN_EXTENSION}replayed: it is an older export (signed {new.signed_utc}) "
            f"than the previous one (signed {old.signed_utc})"
        )
    if old_head not in new.chain:
        if new.tree_size < old.tree_size:
            raise Tampered(
                f"{_NOT_AN_EXTENSION}rolled back: it has {new.tree_size} events, the previous "
                f"export {old.tree_size}, and its checkpoint chain does not pass through the "
                "previous one"
            )
        raise Tampered(
            f"{_NOT_AN_EXTENSION}forked: its checkpoint chain does not pass through the "
            "previous export's, so the device's history was rolled back and rewritten in "
            "between (a restored copy of the vault)"
        )
    if old.tree_size == 0:
        return  # nothing to be consistent with
    proof = merkle.consistency_proof(new.leaves, old.tree_size)
    if not merkle.verify_consistency(
        old.tree_size, new.tree_size, old.root_hash, new.root_hash, proof
    ):
        raise Tampered(f"{_NOT_AN_EXTENSION}its first {old.tree_size} events differ")


def check_export_file(
    path: Path,
    *,
    identity_text: str | None = None,
    passphrase: str | None = None,
    previous: Path | None = None,
    expected_fingerprint: str | None = None,
) -> CheckReport:
    """Decrypt and verify an export file, that its device key is the pinned one when
    `expected_fingerprint` is given, and that it descends from `previous` when given.

    Returns the report; raises BadInput when a file can't be read or decrypted, and Tampered,
    naming the file, when it is not intact or not signed by the expected key.
    """

    def checked(file: Path) -> CheckedExport:
        try:
            ciphertext = file.read_bytes()
        except OSError as exc:
            raise BadInput(f"{file}: cannot read the file ({exc.strerror}).") from None
        plaintext = decrypt(
            ciphertext, str(file), identity_text=identity_text, passphrase=passphrase
        )
        try:
            checked_export = check_plaintext(plaintext)
        except Tampered as exc:
            raise Tampered(f"{file}: TAMPERED: {exc}.") from exc
        if expected_fingerprint is not None and not same_fingerprint(
            checked_export.fingerprint, expected_fingerprint
        ):
            raise Tampered(
                f"{file}: TAMPERED: signed by an unknown device key ({checked_export.fingerprint}"
                f", not the expected {expected_fingerprint.strip()})."
            )
        return checked_export

    new = checked(path)
    text = (
        f"{path}: intact — {new.tree_size} events from {new.origin}, device key {new.fingerprint}"
        f"{' (the expected one)' if expected_fingerprint else ''}, signed {new.signed_utc}."
    )
    caution = None if expected_fingerprint else unpinned_caution(new.fingerprint)
    if previous is not None:
        old = checked(previous)
        try:
            check_extends(new, old)
        except Tampered as exc:
            raise Tampered(f"{path}: TAMPERED: {exc} ({previous}).") from exc
        text += (
            f"\nIt extends {previous} ({old.tree_size} events, signed {old.signed_utc}): "
            "those events are unchanged and none was removed since. Events after this export "
            "are only as safe as the device's holder is honest."
        )
    return CheckReport(text, new.fingerprint, caution)
