"""Signed checkpoints in the C2SP `tlog-checkpoint` shape, as C2SP `signed-note`s (Ed25519).

    <origin>
    <tree size>
    <base64 root hash>
    [extension lines]

    — <key name> <base64(key id ‖ signature)>
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space
_ED25519 = b"\x01"


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + _ED25519 + public_key).digest()[:4]


def fingerprint(public_key: bytes) -> str:
    """What a supervisor compares by eye: SHA-256 of the device's public key."""
    return "SHA256:" + hashlib.sha256(public_key).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

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
        root_hash = base64.b64decode(root_text, validate=True)
    except ValueError as exc:
        raise CheckpointError("the checkpoint's root hash is not base64") from exc
    expected_id = key_id(origin, public_key)
    verifier = Ed25519PublicKey.from_public_bytes(public_key)
    for line in signatures.splitlines():
        if not line.startswith(_SIGNATURE_PREFIX):
            raise CheckpointError("the checkpoint has a malformed signature line")
        name, _, blob_text = line[len(_SIGNATURE_PREFIX) :].partition(" ")
        try:
            blob = base64.b64decode(blob_text, validate=True)
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
