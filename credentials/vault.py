"""AES-GCM encryption of credential values under a key ring with key ids.

``CREDENTIALS_KEY`` holds one key (base64 of 32 bytes) or a ring ``kid1:key1,kid2:key2``; the
first key encrypts, every key decrypts, so a new key can be rolled out before the old one is
dropped. With no ``CREDENTIALS_KEY`` and the embedded database, a ring is generated once and kept
in ``<data_dir>/credentials.key`` (mode 0600). The associated data binds each ciphertext to its
owner, server, name and key id, so rows cannot be swapped between users or credentials.
"""

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.config import Settings

KEY_FILE_NAME = "credentials.key"
_KID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_AAD_VERSION = b"dynamic-mcp/credential/v1"


class CredentialsKeyError(RuntimeError):
    """The key ring is missing, malformed, or cannot decrypt what the database holds."""


class DecryptionError(RuntimeError):
    """A ciphertext did not authenticate: wrong key, tampered data or a swapped row."""


@dataclass(frozen=True)
class Sealed:
    ciphertext: bytes
    nonce: bytes
    key_id: str


def generate_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def key_fingerprint(key: bytes) -> str:
    """A stable, non-secret id for a key (used when a bare key is given without an id)."""
    return "k" + hashlib.sha256(b"dynamic-mcp key id\x00" + key).hexdigest()[:12]


def format_key_entry(key: bytes, kid: str | None = None) -> str:
    """``kid:base64`` — one entry of a key ring."""
    return f"{kid or key_fingerprint(key)}:{base64.b64encode(key).decode()}"


def _decode_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise CredentialsKeyError(
            f"{where}: each key must be base64 of exactly 32 bytes "
            "(generate one with `dynamic-mcp credentials generate-key`)"
        )
    return key


def parse_key_ring(spec: str, where: str = "CREDENTIALS_KEY") -> dict[str, bytes]:
    """Parse ``kid:key,...`` (or one bare base64 key) into an ordered {kid: key}, first active."""
    ring: dict[str, bytes] = {}
    for raw in re.split(r"[,\s]+", spec.strip()):
        if not raw:
            continue
        kid, sep, encoded = raw.partition(":")
        if not sep:
            key = _decode_key(raw, where)
            kid = key_fingerprint(key)
        else:
            if not _KID_RE.match(kid):
                raise CredentialsKeyError(f"{where}: key id {kid!r} must match {_KID_RE.pattern}")
            key = _decode_key(encoded, where)
        if kid in ring:
            raise CredentialsKeyError(f"{where}: key id {kid!r} appears twice")
        ring[kid] = key
    if not ring:
        raise CredentialsKeyError(f"{where} is empty")
    return ring


def _aad(context: tuple[str, ...], key_id: str) -> bytes:
    parts = [_AAD_VERSION, *(p.encode() for p in context), key_id.encode()]
    # length-prefixed so ("a", "bc") and ("ab", "c") differ
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


class Vault:
    """Encrypts under the active key; decrypts under whichever key id a row names."""

    def __init__(self, ring: dict[str, bytes]) -> None:
        if not ring:
            raise CredentialsKeyError("the credentials key ring is empty")
        self._ring = {kid: AESGCM(key) for kid, key in ring.items()}
        self.active_key_id = next(iter(ring))

    @property
    def key_ids(self) -> list[str]:
        return list(self._ring)

    def encrypt(self, context: tuple[str, ...], plaintext: str) -> Sealed:
        """Encrypt ``plaintext`` bound to ``context`` (e.g. (user_id, server, name))."""
        nonce = os.urandom(12)
        aad = _aad(context, self.active_key_id)
        ciphertext = self._ring[self.active_key_id].encrypt(nonce, plaintext.encode(), aad)
        return Sealed(ciphertext, nonce, self.active_key_id)

    def decrypt(self, context: tuple[str, ...], sealed: Sealed) -> str:
        aead = self._ring.get(sealed.key_id)
        if aead is None:
            raise DecryptionError(f"unknown credentials key id {sealed.key_id!r}")
        try:
            data = aead.decrypt(
                bytes(sealed.nonce), bytes(sealed.ciphertext), _aad(context, sealed.key_id)
            )
        except InvalidTag:
            raise DecryptionError(
                f"a credential did not decrypt with key {sealed.key_id!r} "
                "(wrong key or tampered row)"
            ) from None
        return data.decode()

    def reencrypt(self, context: tuple[str, ...], sealed: Sealed) -> Sealed:
        """The same plaintext under the active key (for rotation)."""
        return self.encrypt(context, self.decrypt(context, sealed))


def key_file_path(settings: Settings) -> Path:
    return settings.data_dir / KEY_FILE_NAME


def _write_key_file(path: Path, spec: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(spec + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def load_key_ring(settings: Settings, *, create: bool = True) -> dict[str, bytes]:
    """The key ring from CREDENTIALS_KEY, else the embedded key file (created on first use)."""
    if settings.credentials_key is not None:
        return parse_key_ring(settings.credentials_key.get_secret_value())
    if settings.database_url:
        raise CredentialsKeyError(
            "CREDENTIALS_KEY is not set. With an external DATABASE_URL the credentials key must "
            "come from the environment: generate one with `dynamic-mcp credentials generate-key` "
            "and set CREDENTIALS_KEY=<kid:base64>."
        )
    path = key_file_path(settings)
    if path.exists():
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
        return parse_key_ring(path.read_text(), where=str(path))
    if not create:
        raise CredentialsKeyError(f"no credentials key: {path} does not exist")
    spec = format_key_entry(generate_key())
    _write_key_file(path, spec)
    return parse_key_ring(spec, where=str(path))


def add_key_to_file(settings: Settings) -> str:
    """Put a fresh key first in the embedded key file (old keys stay for decryption)."""
    path = key_file_path(settings)
    ring = load_key_ring(settings)
    new = format_key_entry(generate_key())
    old = [format_key_entry(key, kid) for kid, key in ring.items()]
    _write_key_file(path, ",".join([new, *old]))
    return new.partition(":")[0]


def remove_keys_from_file(settings: Settings, keep: list[str]) -> None:
    """Keep only the given key ids in the embedded key file (after a rotation)."""
    ring = load_key_ring(settings)
    _write_key_file(
        key_file_path(settings),
        ",".join(format_key_entry(ring[kid], kid) for kid in ring if kid in keep),
    )


_active: Vault | None = None


def install_vault(vault: Vault | None) -> None:
    """Make ``vault`` the process-wide vault (done at start-up by the key check)."""
    global _active
    _active = vault


def get_vault(settings: Settings | None = None) -> Vault:
    """The process-wide vault, loading the key ring on first use."""
    global _active
    if _active is None:
        if settings is None:
            from core.config import get_settings

            settings = get_settings()
        _active = Vault(load_key_ring(settings))
    return _active
