"""AES-256-GCM for secrets and content at rest.

A stored value is `j1e1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`: `j1e1` names the format,
the key id (derived from the key) says which key sealed it, and both are authenticated with the
ciphertext, so any change to a stored value makes it fail to decrypt.

Keys:

- `J1MSKY_DATA_KEY`: base64 of 32 bytes, the current key. New values are sealed with it.
- When it is absent, a key is generated once into `<J1MSKY_DATA_DIR>/data_key` (mode 0600) and
  used from then on. Back this file up with the database: without it nothing can be read back.
- `J1MSKY_DATA_KEYS_OLD`: earlier keys (base64, comma separated); they still open old values.

Rotation:

1. Make a key: `python -c "from security.crypto import data_key_generate as g; print(g())"`.
2. Set `J1MSKY_DATA_KEY` to it and put the previous key (the old variable's value, or the
   contents of `<J1MSKY_DATA_DIR>/data_key`) into `J1MSKY_DATA_KEYS_OLD`; restart every process.
   Old values still open; every new write uses the new key.
3. `python manage.py data_reencrypt` writes every sealed value (secrets, and the content of
   `j1msky.sealing`) again under the current key; it can be run again safely.
4. Remove the old key from `J1MSKY_DATA_KEYS_OLD`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

FORMAT = "j1e1"
KEY_BYTES = 32
NONCE_BYTES = 12
KEY_FILE_NAME = "data_key"


class DataKeyError(ImproperlyConfigured):
    """A data key is missing, malformed or ambiguous."""


class DecryptionError(ValueError):
    """A stored value is malformed, was altered, or was sealed with a key we do not hold."""


@dataclass(frozen=True)
class DataKey:
    key: bytes = field(repr=False)

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"j1msky data key id\0" + self.key).hexdigest()[:12]


@dataclass(frozen=True)
class Keyring:
    current: DataKey
    old: tuple[DataKey, ...] = ()

    def find(self, key_id: str) -> DataKey | None:
        return next((k for k in (self.current, *self.old) if k.key_id == key_id), None)


def data_key_generate() -> str:
    """A fresh key, as `J1MSKY_DATA_KEY` expects it (base64 of 32 random bytes)."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def data_encrypt(plaintext: str, *, keyring: Keyring | None = None) -> str:
    """Seal `plaintext` under the current key."""
    key = (keyring or keyring_get()).current
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(key.key).encrypt(nonce, plaintext.encode("utf-8"), _header(key.key_id))
    body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
    return f"{FORMAT}:{key.key_id}:{body}"


def data_decrypt(token: str, *, keyring: Keyring | None = None) -> str:
    """Open a value sealed by `data_encrypt` under the current or an old key."""
    key_id, blob = _token_parts(token)
    key = (keyring or keyring_get()).find(key_id)
    if key is None:
        raise DecryptionError(f"value was sealed with an unknown data key ({key_id})")
    try:
        plain = AESGCM(key.key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _header(key_id))
    except InvalidTag:
        raise DecryptionError("value does not authenticate (altered or wrong key)") from None
    return plain.decode("utf-8")


def data_reencrypt(token: str, *, keyring: Keyring | None = None) -> str:
    """The value sealed under the current key; unchanged when it already is."""
    ring = keyring or keyring_get()
    if _token_parts(token)[0] == ring.current.key_id:
        return token
    return data_encrypt(data_decrypt(token, keyring=ring), keyring=ring)


def looks_sealed(value: str) -> bool:
    """Whether a stored value is in the sealed format (it may still fail to open)."""
    return isinstance(value, str) and value.startswith(FORMAT + ":")


def token_key_id(token: str) -> str:
    """The id of the key that sealed `token`."""
    return _token_parts(token)[0]


def _header(key_id: str) -> bytes:
    return f"{FORMAT}:{key_id}".encode("ascii")


def _token_parts(token: str) -> tuple[str, bytes]:
    parts = token.split(":") if isinstance(token, str) else []
    if len(parts) != 3 or parts[0] != FORMAT or not re.fullmatch(r"[0-9a-f]{12}", parts[1]):
        raise DecryptionError("value is not in the encrypted format")
    try:
        blob = base64.urlsafe_b64decode(parts[2].encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise DecryptionError("value is not in the encrypted format") from None
    if len(blob) < NONCE_BYTES + 16:
        raise DecryptionError("value is too short to be encrypted")
    return parts[1], blob


# --- Keys from the environment or the data directory ------------------------------------------

_keyring: Keyring | None = None
_keyring_lock = threading.Lock()


def keyring_get() -> Keyring:
    """The process's keyring, loaded on first use."""
    global _keyring
    with _keyring_lock:
        if _keyring is None:
            _keyring = keyring_load()
        return _keyring


def keyring_reset() -> None:
    """Forget the loaded keys (tests; a process picks up new variables on its next use)."""
    global _keyring
    with _keyring_lock:
        _keyring = None


def keyring_load(
    environ: Mapping[str, str] = os.environ, data_dir: Path | str | None = None
) -> Keyring:
    """Current key from `J1MSKY_DATA_KEY` or the key file; old keys from `J1MSKY_DATA_KEYS_OLD`."""
    configured = environ.get("J1MSKY_DATA_KEY", "").strip()
    if configured:
        current = DataKey(key_decode(configured, source="J1MSKY_DATA_KEY"))
    else:
        current = DataKey(_key_file_read_or_create(Path(data_dir or settings.DATA_DIR)))
    old: list[DataKey] = []
    for entry in re.split(r"[,\s]+", environ.get("J1MSKY_DATA_KEYS_OLD", "")):
        if entry:
            old.append(DataKey(key_decode(entry, source="J1MSKY_DATA_KEYS_OLD")))
    ring = Keyring(current, tuple(k for k in dict.fromkeys(old) if k != current))
    ids = [k.key_id for k in (ring.current, *ring.old)]
    if len(set(ids)) != len(ids):
        raise DataKeyError("two different data keys share a key id; generate a new key")
    return ring


def key_decode(text: str, *, source: str) -> bytes:
    """Bytes of a base64 (standard or URL-safe) key; DataKeyError unless it is 32 bytes."""
    normalised = text.strip().replace("-", "+").replace("_", "/")
    try:
        key = base64.b64decode(normalised + "=" * (-len(normalised) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise DataKeyError(f"{source} is not base64") from None
    if len(key) != KEY_BYTES:
        raise DataKeyError(f"{source} must be base64 of {KEY_BYTES} bytes, not {len(key)}")
    return key


def _key_file_read_or_create(data_dir: Path) -> bytes:
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        _key_file_create(path)
    return key_decode(path.read_text(), source=str(path))


def _key_file_create(path: Path) -> None:
    """Write a new key with mode 0600; if another process got there first, keep its key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{KEY_FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (data_key_generate() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(scratch, path)  # atomic, complete, and never replaces an existing key
    except FileExistsError:
        pass
    finally:
        scratch.unlink()


# --- Model field -------------------------------------------------------------------------------


class EncryptedTextField(models.TextField):
    """Text stored sealed (`data_encrypt`) and read back in clear; None stays None.

    The stored form is different on every save, so the only lookup it supports is `isnull`.
    """

    description = "Text encrypted at rest (AES-256-GCM)"

    def get_prep_value(self, value: object) -> str | None:
        value = super().get_prep_value(value)
        return None if value is None else data_encrypt(value)

    def from_db_value(
        self, value: str | None, expression: object, connection: object
    ) -> str | None:
        return None if value is None else data_decrypt(value)

    def get_lookup(self, lookup_name: str) -> Any:
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None
