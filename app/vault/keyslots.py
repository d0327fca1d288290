"""Key slots: the vault's data key, wrapped under secrets the user holds.

`keys.json` holds one slot per secret (the passphrase, the recovery code). Each slot wraps the
same random 32-byte data key with AES-256-GCM under a key derived from its secret by Argon2id.
A failed GCM tag means the secret is wrong; a slot whose checksum no longer matches means the
file itself is damaged. The two are reported differently and neither ever rewrites the file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.errors import VaultDamaged, WrongPassphrase
from app.fsutil import atomic_write_bytes

KEY_FILE_FORMAT = "fieldscribe-keys"
KEY_FILE_VERSION = 1
DATA_KEY_BYTES = 32
PASSPHRASE_SLOT = "passphrase"
RECOVERY_SLOT = "recovery"

# Crockford's base32: no I, L, O, U, so a printed code can't be misread.
_RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RECOVERY_CHARS = 30  # 150 bits
_RECOVERY_GROUP = 5


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. Stored per slot, so a later release can raise it slot by slot."""

    time_cost: int
    memory_kib: int
    parallelism: int


# 256 MiB, three passes: about 0.35 s on an idle 2-core laptop, under a second when it is busy
# (bench/vault.py prints the figure). Stronger than OWASP's minimum for Argon2id.
DEFAULT_KDF = KdfParams(time_cost=3, memory_kib=256 * 1024, parallelism=2)


def new_data_key() -> bytes:
    return secrets.token_bytes(DATA_KEY_BYTES)


def new_recovery_code() -> str:
    chars = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_CHARS))
    groups = [chars[i : i + _RECOVERY_GROUP] for i in range(0, _RECOVERY_CHARS, _RECOVERY_GROUP)]
    return "-".join(groups)


def normalize_recovery_code(text: str) -> str | None:
    """The code in canonical form, or None when `text` cannot be a recovery code."""
    cleaned = "".join(ch for ch in text.upper() if ch not in "- \t")
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    if len(cleaned) != _RECOVERY_CHARS or any(ch not in _RECOVERY_ALPHABET for ch in cleaned):
        return None
    return cleaned


def normalize_passphrase(passphrase: str) -> str:
    # The same passphrase typed on macOS (NFD) and Windows (NFC) must derive the same key.
    return unicodedata.normalize("NFC", passphrase)


def _derive(secret: str, salt: bytes, kdf: KdfParams) -> bytes:
    return hash_secret_raw(
        secret.encode("utf-8"),
        salt,
        time_cost=kdf.time_cost,
        memory_cost=kdf.memory_kib,
        parallelism=kdf.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _slot_checksum(slot: dict) -> str:
    body = {k: v for k, v in slot.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _aad(slot_id: str) -> bytes:
    return f"{KEY_FILE_FORMAT}:{KEY_FILE_VERSION}:{slot_id}".encode()


def make_slot(slot_id: str, secret: str, data_key: bytes, kdf: KdfParams) -> dict:
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    wrapped = AESGCM(_derive(secret, salt, kdf)).encrypt(nonce, data_key, _aad(slot_id))
    slot = {
        "id": slot_id,
        "kdf": {"name": "argon2id", **asdict(kdf)},
        "salt": _b64(salt),
        "nonce": _b64(nonce),
        "wrapped_key": _b64(wrapped),
    }
    slot["checksum"] = _slot_checksum(slot)
    return slot


def write_key_file(path: Path, slots: list[dict]) -> None:
    document = {"format": KEY_FILE_FORMAT, "version": KEY_FILE_VERSION, "slots": slots}
    atomic_write_bytes(path, (json.dumps(document, indent=2) + "\n").encode())


def read_slots(path: Path) -> list[dict]:
    """The slots of a key file, each checked against its checksum."""
    try:
        document = json.loads(path.read_bytes())
        if document.get("format") != KEY_FILE_FORMAT:
            raise ValueError("not a Fieldscribe key file")
        if document.get("version") != KEY_FILE_VERSION:
            raise ValueError(f"key file version {document.get('version')} is not supported")
        slots = document["slots"]
        for slot in slots:
            if slot.get("checksum") != _slot_checksum(slot):
                raise ValueError(f"slot {slot.get('id')!r} does not match its checksum")
        return slots
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise VaultDamaged(f"The vault's key file {path} is damaged ({exc}).") from exc


def _unwrap(slot: dict, secret: str) -> bytes:
    try:
        kdf_fields = dict(slot["kdf"])
        if kdf_fields.pop("name") != "argon2id":
            raise ValueError("unknown key derivation")
        kdf = KdfParams(**kdf_fields)
        salt = base64.b64decode(slot["salt"], validate=True)
        nonce = base64.b64decode(slot["nonce"], validate=True)
        wrapped = base64.b64decode(slot["wrapped_key"], validate=True)
    except (KeyError, TypeError, ValueError) as exc:
        raise VaultDamaged(f"Key slot {slot.get('id')!r} is damaged ({exc}).") from exc
    try:
        return AESGCM(_derive(secret, salt, kdf)).decrypt(nonce, wrapped, _aad(slot["id"]))
    except InvalidTag:
        raise WrongPassphrase() from None


def unwrap_data_key(path: Path, secret: str) -> tuple[bytes, str]:
    """The data key and the id of the slot that opened it; WrongPassphrase if none does.

    A secret shaped like a recovery code is tried on the recovery slot first. Anything else
    costs one key derivation, so a wrong passphrase is as slow as a right one and no slower.
    """
    slots = {slot["id"]: slot for slot in read_slots(path)}
    attempts: list[tuple[str, str]] = []
    recovery = normalize_recovery_code(secret)
    if recovery is not None and RECOVERY_SLOT in slots:
        attempts.append((RECOVERY_SLOT, recovery))
    if PASSPHRASE_SLOT in slots:
        attempts.append((PASSPHRASE_SLOT, normalize_passphrase(secret)))
    for slot_id, candidate in attempts:
        try:
            return _unwrap(slots[slot_id], candidate), slot_id
        except WrongPassphrase:
            continue
    raise WrongPassphrase()


def replace_slot(path: Path, new_slot: dict) -> None:
    """Rewrite one slot, keeping the others as they are."""
    slots = [slot for slot in read_slots(path) if slot["id"] != new_slot["id"]]
    write_key_file(path, [*slots, new_slot])
