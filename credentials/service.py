"""Credential use cases: status, validated storage, decryption for agents, pasted secrets.

Every function takes a connection opened by the caller (``db.as_user(claims)`` for user
requests) and never returns a secret value except ``load_user_secrets``, which is for the
agent runner only.
"""

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import asyncpg

from catalog.repository import UnknownServerError, fetch_entries
from core.config import Settings
from credentials import repository
from credentials.log_redaction import register_secret
from credentials.schemas import MissingCredential, ServerStatus, StoreResult
from credentials.secrets import Hints, mask, parse_ref, redact_secrets, ref_label
from credentials.validation import InvalidCredential, resolve_paths, validate_values
from credentials.vault import DecryptionError, get_vault

LAST4_MIN_LENGTH = 12
_PENDING_KEY = "credentials_request"
_MAX_PENDING_SERVERS = 20

__all__ = [
    "InvalidCredential",
    "MissingCredential",
    "ServerStatus",
    "StoreResult",
    "UnknownServerError",
    "credential_status",
    "delete_credential",
    "list_credentials",
    "load_user_secrets",
    "missing_credentials",
    "record_pending_request",
    "redact_incoming_message",
    "save_secret_ref",
    "store_credentials",
]


def _context(user_id: str, server: str, name: str) -> tuple[str, ...]:
    return (str(uuid.UUID(str(user_id))), server, name)


def _ref_context(user_id: str, session_id: str, ref: int) -> tuple[str, ...]:
    return (str(uuid.UUID(str(user_id))), str(uuid.UUID(str(session_id))), str(ref))


async def credential_status(
    conn: asyncpg.Connection, user_id: str, servers: list[str]
) -> list[ServerStatus]:
    """For each server (catalog order kept): its template and the names the user has stored."""
    templates = await fetch_entries(conn, servers)
    stored = await repository.fetch_credentials(conn, user_id, list(templates))
    return [
        ServerStatus(t, [c.name for c in stored if c.server == slug])
        for slug, t in templates.items()
    ]


async def missing_credentials(
    conn: asyncpg.Connection, user_id: str, servers: list[str]
) -> list[MissingCredential]:
    """Every required credential of ``servers`` the user has not stored (empty = complete).

    Raises UnknownServerError for a slug that is not in the catalog.
    """
    out = []
    for status in await credential_status(conn, user_id, servers):
        for name in status.missing:
            item = status.template.credential(name)
            if item is None:  # an OAuth connection: nothing to paste, the user clicks Connect
                connect = f"Connect {status.template.name} in the app (OAuth sign-in)."
                out.append(MissingCredential(status.template.slug, name, connect, None, connect))
                continue
            out.append(
                MissingCredential(
                    status.template.slug,
                    name,
                    item.description,
                    item.obtain_url,
                    item.instruction(),
                )
            )
    return out


async def load_user_secrets(
    conn: asyncpg.Connection, user_id: str, servers: list[str]
) -> dict[str, dict[str, str]]:
    """Decrypted {server: {NAME: value}} for the agent runner. Never show them to the model."""
    vault = get_vault()
    out: dict[str, dict[str, str]] = {server: {} for server in servers}
    for cred in await repository.fetch_credentials(conn, user_id, list(servers)):
        value = vault.decrypt(_context(user_id, cred.server, cred.name), cred.sealed)
        register_secret(value)
        out.setdefault(cred.server, {})[cred.name] = value
    return out


async def store_credentials(
    conn: asyncpg.Connection,
    settings: Settings,
    user_id: str,
    server: str,
    values: Mapping[str, Any],
) -> StoreResult:
    """Validate every value against the server's template, then store them all encrypted.

    Every value a credential enters by (the form, the API, a pasted ``[secret:N]``) comes
    through here. A host path is stored as the real path it names, once inside a shared
    folder (``settings.agent_shared_dirs``). Raises InvalidCredential (nothing stored, what
    was stored before kept) naming the offending field.
    """
    try:
        template = (await fetch_entries(conn, [server]))[server]
    except UnknownServerError:
        raise InvalidCredential("server", f"Unknown server {server[:100]!r}.") from None
    clean = resolve_paths(template, validate_values(template, values), settings)
    vault = get_vault()
    for name, value in clean.items():
        register_secret(value)
        sealed = vault.encrypt(_context(user_id, server, name), value)
        await repository.upsert_credential(conn, user_id, server, name, sealed)
    status = (await credential_status(conn, user_id, [server]))[0]
    return StoreResult(server, list(clean), status.missing, status.complete)


async def list_credentials(conn: asyncpg.Connection, user_id: str) -> list[dict[str, Any]]:
    """The user's credentials as {server, name, last4, created_at, updated_at}."""
    vault = get_vault()
    items = []
    for cred in await repository.fetch_credentials(conn, user_id):
        last4 = None
        try:
            value = vault.decrypt(_context(user_id, cred.server, cred.name), cred.sealed)
            if len(value) >= LAST4_MIN_LENGTH:
                last4 = value[-4:]
        except DecryptionError:
            pass
        items.append(
            {
                "server": cred.server,
                "name": cred.name,
                "last4": last4,
                "created_at": cred.created_at,
                "updated_at": cred.updated_at,
            }
        )
    return items


async def delete_credential(conn: asyncpg.Connection, user_id: str, server: str, name: str) -> bool:
    return await repository.delete_credential(conn, user_id, server, name)


async def record_pending_request(
    conn: asyncpg.Connection, session_id: str, servers: list[str]
) -> None:
    """Remember in the session context which servers' credentials we are waiting for."""
    context = await repository.session_context(conn, session_id) or {}
    previous = (context.get(_PENDING_KEY) or {}).get("servers") or []
    merged = list(dict.fromkeys([*servers, *previous]))[:_MAX_PENDING_SERVERS]
    await repository.merge_session_context(
        conn,
        session_id,
        {
            _PENDING_KEY: {"servers": merged, "requested_at": datetime.now(UTC).isoformat()},
        },
    )


async def _pending_hints(conn: asyncpg.Connection, user_id: str, context: dict[str, Any]) -> Hints:
    servers = [
        s for s in (context.get(_PENDING_KEY) or {}).get("servers") or [] if isinstance(s, str)
    ]
    if not servers:
        return Hints()
    try:
        templates = await fetch_entries(conn, servers)
    except UnknownServerError as error:
        templates = await fetch_entries(conn, [s for s in servers if s not in error.slugs])
    items = [i for t in templates.values() for i in t.credentials]
    known = await load_user_secrets(conn, user_id, list(templates))
    # every requested name, so even a non-secret value given as NAME=value can be saved by
    # reference; patterns only for secrets (a non-secret's pattern is too loose to search with)
    return Hints(
        names=[i.name for i in items],
        patterns=[i.pattern for i in items if i.pattern and i.secret],
        known_values=[v for values in known.values() for v in values.values()],
    )


async def redact_incoming_message(
    conn: asyncpg.Connection, user_id: str, session_id: str | None, text: str
) -> str:
    """Replace secrets in a user's message by ``[secret:N]`` and keep them encrypted.

    Call on every user message (chat or agent) before it is stored or sent to a model. The
    session must exist (and be the caller's); otherwise secrets are only masked as
    ``[redacted]``: there is nowhere to keep them for the user.
    """
    if session_id is None:
        return mask(text)
    context = await repository.session_context(conn, session_id, lock=True)
    if context is None:
        return mask(text)
    vault = get_vault()
    existing = {
        ref: vault.decrypt(_ref_context(user_id, session_id, ref), sealed)
        for ref, sealed in (
            await repository.fetch_pending_secrets(conn, user_id, session_id)
        ).items()
    }
    hints = await _pending_hints(conn, user_id, context)
    redacted, new = redact_secrets(text, hints=hints, existing=existing)
    for ref, value in new.items():
        register_secret(value)
        sealed = vault.encrypt(_ref_context(user_id, session_id, ref), value)
        await repository.insert_pending_secret(conn, user_id, session_id, ref, sealed)
    return redacted


async def save_secret_ref(
    conn: asyncpg.Connection,
    settings: Settings,
    user_id: str,
    session_id: str,
    server: str,
    name: str,
    secret_ref: str,
) -> StoreResult:
    """Store the secret the user pasted as ``secret_ref`` as credential ``name`` of ``server``."""
    ref = parse_ref(secret_ref)
    if ref is None:
        raise InvalidCredential("secret_ref", "secret_ref must look like [secret:1].")
    pending = await repository.fetch_pending_secrets(conn, user_id, session_id)
    if ref not in pending:
        raise InvalidCredential("secret_ref", f"There is no {ref_label(ref)} in this conversation.")
    value = get_vault().decrypt(_ref_context(user_id, session_id, ref), pending[ref])
    return await store_credentials(conn, settings, user_id, server, {name: value})
