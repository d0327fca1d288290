"""Signed checkpoints in the C2SP `tlog-checkpoint` shape, as C2SP `signed-note`s (Ed25519).

    <origin>
    <tree size>
    <base64 root hash>
    [extension lines]

    — <key name> <base64(key id ‖ signature)>

Every checkpoint the device signs carries two extension lines: `time <UTC>` and, except the
first, `previous <base64 SHA-256 of the previous signed note>`. The notes form a chain the vault
keeps; an export carries the whole chain, so a verifier can tell an export that descends from an
earlier one from a replayed, rolled-back or forked one.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space
_ED25519 = b"\x01"
TIME_EXTENSION = "time "
PREVIOUS_EXTENSION = "previous "


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + _ED25519 + public_key).digest()[:4]


def fingerprint(public_key: bytes) -> str:
    """What a supervisor compares by eye: SHA-256 of the device's public key."""
    return "SHA256:" + hashlib.sha256(public_key).hexdigest()


def same_fingerprint(a: str, b: str) -> bool:
    """Fingerprints compared as a person types them: case, spaces, colons and the prefix aside."""

    def bare(text: str) -> str:
        text = "".join(text.split()).lower().removeprefix("sha256:")
        return text.replace(":", "")

    return bare(a) == bare(b)


def note_hash(note: str) -> bytes:
    """What the next checkpoint's `previous` line names."""
    return hashlib.sha256(note.encode()).digest()


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def extension(self, prefix: str) -> str | None:
        for line in self.extensions:
            if line.startswith(prefix):
                return line[len(prefix) :]
        return None

    @property
    def time_utc(self) -> str | None:
        return self.extension(TIME_EXTENSION)

    @property
    def previous(self) -> bytes | None:
        """The hash of the checkpoint signed before this one; None on the first of a chain."""
        text = self.extension(PREVIOUS_EXTENSION)
        if text is None:
            return None
        try:
            return base64.b64decode(text, validate=True)
        except ValueError:
            return b""  # present but unreadable: matches no note

    def chained(self, time_utc: str, previous_note: str | None) -> Checkpoint:
        """This checkpoint with its time and the link to the previous signed note."""
        links = [TIME_EXTENSION + time_utc]
        if previous_note is not None:
            links.append(PREVIOUS_EXTENSION + base64.b64encode(note_hash(previous_note)).decode())
        return Checkpoint(self.origin, self.tree_size, self.root_hash, (*self.extensions, *links))

    def body(self) -> str:
        lines = [self.origin, str(self.tree_size), base64.b64encode(self.root_hash).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    def sign(self, signing_key: Ed25519PrivateKey) -> str:
        """The signed note; the key's name is the log's origin."""
        body = self.body()
        public = signing_key.public_key().public_bytes_raw()
        signature = signing_key.sign(body.encode())
        blob = base64.b64encode(key_id(self.origin, public) + signature).decode()
        return f"{body}\n{_SIGNATURE_PREFIX}{self.origin} {blob}\n"


class CheckpointError(ValueError):
    """The note is malformed or its signature does not verify."""


def _strict_b64(text: str) -> bytes:
    """Decode base64 that is in its one canonical form: the unused bits of the last character
    could otherwise change the note's bytes (and its hash) without changing what it says."""
    data = base64.b64decode(text, validate=True)
    if base64.b64encode(data).decode() != text:
        raise ValueError("not canonical base64")
    return data


def open_signed(note: str, public_key: bytes) -> Checkpoint:
    """Parse a signed checkpoint and verify its signature by `public_key`."""
    body, sep, signatures = note.partition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise CheckpointError("the checkpoint is not a signed note")
    body += "\n"
    lines = body.splitlines()
    if len(lines) < 3:
        raise CheckpointError("the checkpoint has fewer than three lines")
    origin, size_text, root_text, *extensions = lines
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise CheckpointError("the checkpoint's tree size is not a number")
    try:
        root_hash = _strict_b64(root_text)
    except ValueError as exc:
        raise CheckpointError("the checkpoint's root hash is not base64") from exc
    expected_id = key_id(origin, public_key)
    verifier = Ed25519PublicKey.from_public_bytes(public_key)
    for line in signatures.splitlines():
        if not line.startswith(_SIGNATURE_PREFIX):
            raise CheckpointError("the checkpoint has a malformed signature line")
        name, _, blob_text = line[len(_SIGNATURE_PREFIX) :].partition(" ")
        try:
            blob = _strict_b64(blob_text)
        except ValueError as exc:
            raise CheckpointError("the checkpoint's signature is not base64") from exc
        if name != origin or blob[:4] != expected_id:
            continue
        try:
            verifier.verify(blob[4:], body.encode())
        except InvalidSignature:
            raise CheckpointError("bad signature") from None
        return Checkpoint(origin, int(size_text), root_hash, tuple(extensions))
    raise CheckpointError("bad signature: not signed by the device key")
