"""The embedded default's own token issuer: an ES256 key kept in the data directory.

With no Supabase project configured, the service signs access tokens of the same shape
Supabase issues (aud/role ``authenticated``, ``sub`` = ``auth.users.id``) so that the
verifier, RLS and every route behave identically in both modes.
"""

import base64
import hashlib
import json
import logging
import os
import stat
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwt
from jose.backends.cryptography_backend import CryptographyECKey

from core.config import Settings

log = logging.getLogger(__name__)

LOCAL_ISSUER = "dynamic-mcp:local"
LOCAL_ALGORITHM = "ES256"
AUDIENCE = "authenticated"
KEY_FILENAME = "local_signing_key.pem"


@dataclass(frozen=True)
class LocalSigningKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey
    public_jwk: dict[str, str]

    def signer(self) -> CryptographyECKey:
        return CryptographyECKey(self.private_key, LOCAL_ALGORITHM)


_keys: dict[Path, LocalSigningKey] = {}
_keys_lock = threading.Lock()


def _b64(value: int) -> str:
    raw = value.to_bytes(32, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _public_jwk(private_key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    numbers = private_key.public_key().public_numbers()
    jwk = {"crv": "P-256", "kty": "EC", "x": _b64(numbers.x), "y": _b64(numbers.y)}
    # RFC 7638 thumbprint: the kid changes exactly when the key does.
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    return {**jwk, "kid": kid, "alg": LOCAL_ALGORITHM, "use": "sig", "key_ops": ["verify"]}


def key_path(settings: Settings) -> Path:
    return settings.data_dir / "auth" / KEY_FILENAME


def _read_or_create(path: Path) -> ec.EllipticCurvePrivateKey:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # O_EXCL: two processes starting together must not overwrite each other's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        log.info("created local signing key %s", path)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("local signing key %s was readable by others; setting mode 0600", path)
            path.chmod(0o600)
        pem = path.read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise RuntimeError(f"{path} is not a P-256 private key; delete it to generate a new one")
    return key


def signing_key(settings: Settings) -> LocalSigningKey:
    """The local signing key, created on first use (mode 0600) and then read once per process."""
    path = key_path(settings).resolve()
    with _keys_lock:
        cached = _keys.get(path)
        if cached is None:
            settings.ensure_data_dir()
            private_key = _read_or_create(path)
            jwk = _public_jwk(private_key)
            cached = LocalSigningKey(kid=jwk["kid"], private_key=private_key, public_jwk=jwk)
            _keys[path] = cached
        return cached


def local_claims(
    user_id: str,
    email: str | None,
    name: str | None,
    *,
    issued_at: int,
    expires_at: int,
    session_id: str,
) -> dict[str, Any]:
    """Claims shaped like a Supabase access token (see supabase-notes §1.7)."""
    metadata: dict[str, Any] = {}
    if name:
        metadata = {"full_name": name, "name": name}
    return {
        "iss": LOCAL_ISSUER,
        "sub": user_id,
        "aud": AUDIENCE,
        "role": "authenticated",
        "iat": issued_at,
        "exp": expires_at,
        "email": email or "",
        "phone": "",
        "app_metadata": {"provider": "local", "providers": ["local"]},
        "user_metadata": metadata,
        "aal": "aal1",
        "amr": [{"method": "local", "timestamp": issued_at}],
        "session_id": session_id,
        "is_anonymous": False,
    }


def issue_local_token(
    settings: Settings,
    user_id: str,
    email: str | None,
    name: str | None = None,
    *,
    session_id: str | None = None,
) -> tuple[str, int]:
    """Sign an access token for a local user; returns ``(token, expires_at)`` (unix seconds)."""
    key = signing_key(settings)
    now = int(time.time())
    expires_at = now + settings.local_token_ttl_seconds
    claims = local_claims(
        str(user_id),
        email,
        name,
        issued_at=now,
        expires_at=expires_at,
        session_id=session_id or str(uuid.uuid4()),
    )
    token = jwt.encode(
        claims, key.signer(), algorithm=LOCAL_ALGORITHM, headers={"kid": key.kid, "typ": "JWT"}
    )
    return token, expires_at
