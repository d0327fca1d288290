"""Key slots: the vault's data key, wrapped under secrets the user holds.

`keys.json` holds one slot per secret (the passphrase, the recovery code). Each slot wraps the
same random 32-byte data key with AES-256-GCM under a key derived from its secret by Argon2id.
A failed GCM tag means the secret is wrong; a slot whose checksum no longer matches means the
file itself is damaged. The two are reported differently and neither ever rewrites the file.

The file names its vault: `vault_id` is the random salt SQLCipher keeps in the first 16 bytes of
`vault.db`, readable without the key. The vault id and the slot's KDF parameters are in each
slot's AES-GCM associated data, so a slot moved to another vault or with edited parameters fails
authentication, and a whole key file from another vault is told apart before any key derivation.
During a rekey the file also holds the previous vault's slots (`previous`) until the swap is done.
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

from app.errors import BadInput, VaultDamaged, WrongPassphrase
from app.fsutil import atomic_write_bytes

KEY_FILE_FORMAT = "fieldscribe-keys"
KEY_FILE_VERSION = 2
_UNBOUND_VERSION = 1  # before slots were bound to their vault: still read, rewritten by rekey
DATA_KEY_BYTES = 32
VAULT_ID_BYTES = 16  # SQLCipher's per-database salt
MIN_PASSPHRASE_LENGTH = 8
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
# What a key file may ask for: a crafted file must not make an unlock exhaust memory or time.
KDF_BOUNDS = {
    "time_cost": (1, 16),
    "memory_kib": (8 * 1024, 2 * 1024 * 1024),
    "parallelism": (1, 16),
}


def check_new_passphrase(passphrase: str) -> None:
    """The passphrase policy both front ends inherit; BadInput with the reason."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise BadInput(f"A passphrase needs at least {MIN_PASSPHRASE_LENGTH} characters.")


@dataclass(frozen=True)
class KeyFile:
    vault_id: str | None  # hex; None in an unbound (version 1) file
    slots: dict[str, dict]
    previous: KeyFile | None = None  # the vault before an unfinished rekey


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


def _aad(slot_id: str, vault_id: str | None, kdf: KdfParams) -> bytes:
    """A bound slot's associated data names its vault and its KDF cost; an unbound slot's (made
    before binding, read until rekey replaces it) only the file format and the slot."""
    if vault_id is None:
        return f"{KEY_FILE_FORMAT}:{_UNBOUND_VERSION}:{slot_id}".encode()
    bound = {"format": KEY_FILE_FORMAT, "version": KEY_FILE_VERSION, "slot": slot_id,
             "vault_id": vault_id, "kdf": asdict(kdf)}  # fmt: skip
    return json.dumps(bound, sort_keys=True, separators=(",", ":")).encode()


def make_slot(slot_id: str, secret: str, data_key: bytes, kdf: KdfParams, vault_id: str) -> dict:
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    wrapped = AESGCM(_derive(secret, salt, kdf)).encrypt(
        nonce, data_key, _aad(slot_id, vault_id, kdf)
    )
    slot = {
        "id": slot_id,
        "kdf": {"name": "argon2id", **asdict(kdf)},
        "salt": _b64(salt),
        "nonce": _b64(nonce),
        "wrapped_key": _b64(wrapped),
        "bound": True,
    }
    slot["checksum"] = _slot_checksum(slot)
    return slot


def _section(key_file: KeyFile) -> dict:
    return {"vault_id": key_file.vault_id, "slots": list(key_file.slots.values())}


def write_key_file(path: Path, key_file: KeyFile) -> None:
    document = {"format": KEY_FILE_FORMAT, "version": KEY_FILE_VERSION, **_section(key_file)}
    if key_file.previous is not None:
        document["previous"] = _section(key_file.previous)
    atomic_write_bytes(path, (json.dumps(document, indent=2) + "\n").encode())


def _read_section(section: dict, version: int) -> KeyFile:
    vault_id = None
    if version == KEY_FILE_VERSION:
        vault_id = section["vault_id"]
        if not isinstance(vault_id, str) or len(bytes.fromhex(vault_id)) != VAULT_ID_BYTES:
            raise ValueError("its vault id is malformed")
    slots = {}
    for slot in section["slots"]:
        if slot.get("checksum") != _slot_checksum(slot):
            raise ValueError(f"slot {slot.get('id')!r} does not match its checksum")
        slots[slot["id"]] = slot
    return KeyFile(vault_id, slots)


def read_key_file(path: Path) -> KeyFile:
    """The key file's vault id and slots, each slot checked against its checksum."""
    try:
        document = json.loads(path.read_bytes())
        if document.get("format") != KEY_FILE_FORMAT:
            raise ValueError("not a Fieldscribe key file")
        version = document.get("version")
        if version not in (KEY_FILE_VERSION, _UNBOUND_VERSION):
            raise ValueError(f"key file version {version} is not supported")
        key_file = _read_section(document, version)
        if "previous" in document:
            previous = _read_section(document["previous"], version)
            key_file = KeyFile(key_file.vault_id, key_file.slots, previous)
        return key_file
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise VaultDamaged(f"The vault's key file {path} is damaged ({exc}).") from exc


def _kdf_of(slot: dict) -> KdfParams:
    fields = dict(slot["kdf"])
    if fields.pop("name") != "argon2id":
        raise ValueError("unknown key derivation")
    kdf = KdfParams(**fields)
    for name, (low, high) in KDF_BOUNDS.items():
        value = getattr(kdf, name)
        if not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"its {name} {value!r} is outside {low}..{high}")
    return kdf


def _unwrap(slot: dict, secret: str, vault_id: str | None) -> bytes:
    try:
        kdf = _kdf_of(slot)
        salt = base64.b64decode(slot["salt"], validate=True)
        nonce = base64.b64decode(slot["nonce"], validate=True)
        wrapped = base64.b64decode(slot["wrapped_key"], validate=True)
    except (KeyError, TypeError, ValueError) as exc:
        raise VaultDamaged(f"Key slot {slot.get('id')!r} is damaged ({exc}).") from exc
    aad = _aad(slot["id"], vault_id if slot.get("bound") is True else None, kdf)
    try:
        return AESGCM(_derive(secret, salt, kdf)).decrypt(nonce, wrapped, aad)
    except InvalidTag:
        raise WrongPassphrase() from None


def unwrap_data_key(key_file: KeyFile, secret: str) -> tuple[bytes, str]:
    """The data key and the id of the slot that opened it; WrongPassphrase if none does.

    A secret shaped like a recovery code is tried on the recovery slot first. Anything else
    costs one key derivation, so a wrong passphrase is as slow as a right one and no slower.
    """
    slots = key_file.slots
    attempts: list[tuple[str, str]] = []
    recovery = normalize_recovery_code(secret)
    if recovery is not None and RECOVERY_SLOT in slots:
        attempts.append((RECOVERY_SLOT, recovery))
    if PASSPHRASE_SLOT in slots:
        attempts.append((PASSPHRASE_SLOT, normalize_passphrase(secret)))
    for slot_id, candidate in attempts:
        try:
            return _unwrap(slots[slot_id], candidate, key_file.vault_id), slot_id
        except WrongPassphrase:
            continue
    raise WrongPassphrase()


def replace_slot(path: Path, new_slot: dict) -> None:
    """Rewrite one slot, keeping the others as they are."""
    key_file = read_key_file(path)
    write_key_file(path, KeyFile(key_file.vault_id, {**key_file.slots, new_slot["id"]: new_slot}))
