"""The `.fsaudit` export format and its offline check (what a supervisor runs).

The plaintext is JSON Lines, every line in canonical form:
  1. a header: format, version, origin, the device's public key;
  2. one line per event, in `seq` order (the Merkle leaves hash these exact bytes);
  3. the signed checkpoint over all event lines, with the header's SHA-256 as an extension line.
So every byte is covered: events by the root hash, the header by its hash, the last line by the
signature and by being canonical. The whole is age-encrypted to a recipient or a passphrase.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pyrage

from app.audit import merkle
from app.audit.checkpoint import Checkpoint, CheckpointError, fingerprint, open_signed
from app.audit.events import AuditEvent, canonical_json
from app.errors import BadInput

EXPORT_FORMAT = "fieldscribe-audit-export"
EXPORT_VERSION = 1
_HEADER_EXTENSION = "header-sha256 "


class Tampered(Exception):
    """The export decrypted but is not intact; the message says where it broke."""


@dataclass(frozen=True)
class CheckedExport:
    origin: str
    public_key: bytes
    tree_size: int
    root_hash: bytes
    leaves: list[bytes]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


def build_plaintext(
    origin: str, public_key: bytes, event_lines: list[bytes], sign, exported_utc: str
) -> bytes:
    """The export's plaintext; `sign(Checkpoint) -> str` signs with the device key."""
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
    trailer = canonical_json({"checkpoint": sign(checkpoint)})
    return b"\n".join([header, *event_lines, trailer]) + b"\n"


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


def check_plaintext(plaintext: bytes) -> CheckedExport:
    """Verify a decrypted export; Tampered with the reason when anything does not hold."""
    if not plaintext.endswith(b"\n"):
        raise Tampered("the export does not end with a complete line (truncated?)")
    lines = plaintext[:-1].split(b"\n")
    if len(lines) < 2:
        raise Tampered("the export has no signed checkpoint (truncated?)")
    header_line, event_lines, trailer_line = lines[0], lines[1:-1], lines[-1]

    header = _canonical_object(header_line, "header")
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
    return CheckedExport(origin, public_key, checkpoint.tree_size, checkpoint.root_hash, leaves)


def check_extends(new: CheckedExport, old: CheckedExport) -> None:
    """Prove with an RFC 6962 consistency proof that `new` extends `old`; Tampered if not."""
    if new.public_key != old.public_key:
        raise Tampered("not an extension of the previous export: a different device key signed it")
    if old.tree_size > new.tree_size:
        raise Tampered(
            f"not an extension of the previous export: it has {new.tree_size} events, "
            f"the previous one {old.tree_size}"
        )
    proof = merkle.consistency_proof(new.leaves, old.tree_size)
    if not merkle.verify_consistency(
        old.tree_size, new.tree_size, old.root_hash, new.root_hash, proof
    ):
        raise Tampered(
            f"not an extension of the previous export: its first {old.tree_size} events differ"
        )


def check_export_file(
    path: Path,
    *,
    identity_text: str | None = None,
    passphrase: str | None = None,
    previous: Path | None = None,
) -> str:
    """Decrypt and verify an export file, and that it extends `previous` when given.

    Returns the report in a sentence or two; raises BadInput when a file can't be read or
    decrypted, and Tampered, naming the file, when it is not intact.
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
            return check_plaintext(plaintext)
        except Tampered as exc:
            raise Tampered(f"{file}: TAMPERED: {exc}.") from exc

    new = checked(path)
    report = (
        f"{path}: intact — {new.tree_size} events from {new.origin}, device key {new.fingerprint}."
    )
    if previous is None:
        return report
    old = checked(previous)
    try:
        check_extends(new, old)
    except Tampered as exc:
        raise Tampered(f"{path}: TAMPERED: {exc} ({previous}).") from exc
    return (
        f"{report}\nIt extends {previous} ({old.tree_size} events): nothing was removed or "
        "rewritten since."
    )
