"""``request_credentials`` and ``save_credential``: the model asks, the server holds the values.

The model only ever reads credential names and their status; values reach the server through
the credentials form (``POST /api/sessions/{id}/credentials``) or as ``[secret:N]`` references
to text the user pasted, which the server resolved before the model saw the message.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from credentials import service
from credentials.host_paths import shared_dirs_note
from oauth import service as oauth_service
from tools.oauth_connect import with_connect
from tools.registry import ToolContext, ToolError


async def request_credentials(
    ctx: ToolContext,
    servers: Annotated[list[str], Field(min_length=1, max_length=10)],
) -> dict[str, Any]:
    """Ask the user for the credentials the chosen MCP servers need.

    Call this once you have chosen the servers. It tells you, per server, which credentials are
    already provided and which are missing, with an instruction for each missing one (what it is,
    where to create it, its format) to relay to the user. The user's app shows them a secure
    form, and a "Connect" button for services that sign in with OAuth. Never ask the user to
    type a secret into the chat; if they paste one anyway, you will see a reference like
    [secret:1] instead of the value: store it with save_credential.

    Args:
        servers: Slugs of the chosen catalog servers, e.g. ["github", "slack"].
    """
    servers = list(dict.fromkeys(s.strip() for s in servers if s.strip()))
    if not servers:
        raise ToolError("Give at least one server slug.")
    async with ctx.db.as_user(ctx.user.claims) as conn:
        statuses = await service.credential_status(conn, ctx.user.id, servers)
        await service.record_pending_request(conn, ctx.session_id, servers)
        offers = await oauth_service.connect_offers(
            conn, ctx.settings, ctx.user.id, ctx.session_id, list(servers)
        )
    model, ui = with_connect(statuses, offers)
    # a folder the person must pick among the operator's shared ones: say which before they guess
    paths = any(c.path for s in statuses for c in s.template.credentials)
    note = {"host_paths": shared_dirs_note(ctx.settings)} if paths else {}
    ctx.emit({"type": "credentials_requested", "servers": ui, **note})
    missing = [
        f"{s['server']}: {', '.join(i['name'] for i in s['items'] if i['status'] == 'missing')}"
        for s in model
        if not s["complete"]
    ]
    summary = ("missing " + "; ".join(missing)) if missing else "all required credentials provided"
    return {
        "servers": model,
        "complete": all(s["complete"] for s in model),
        "summary": summary,
        **note,
    }


async def save_credential(
    ctx: ToolContext,
    server: Annotated[str, Field(min_length=1, max_length=100)],
    name: Annotated[str, Field(min_length=1, max_length=128)],
    secret_ref: Annotated[str, Field(min_length=1, max_length=20)],
) -> dict[str, Any]:
    """Store a secret the user pasted into the chat as one of a server's credentials.

    Secrets in the user's messages are replaced by references like [secret:1] before you see
    them. Pass that reference, never a value. The answer tells you what is stored and what is
    still missing for the server.

    Args:
        server: Slug of the catalog server the credential belongs to, e.g. "github".
        name: The credential's name from request_credentials, e.g. "GITHUB_PERSONAL_ACCESS_TOKEN".
        secret_ref: The reference that replaced the secret in the user's message, e.g. "[secret:1]".
    """
    async with ctx.db.as_user(ctx.user.claims) as conn:
        result = await service.save_secret_ref(
            conn, ctx.settings, ctx.user.id, ctx.session_id, server, name, secret_ref
        )
    summary = f"{server}: {name} provided"
    if result.missing:
        summary += f"; still missing {', '.join(result.missing)}"
    return {**result.as_dict(), "summary": summary}
