"""HTTP routes for credentials: the out-of-band path for secrets, listing and deletion.

Responses carry names and status only, never a value (``last4`` aside, for long values).
"""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from core.errors import AppError, error_responses
from credentials import repository, service
from dynamic_mcp.api.deps import AppSettings, CurrentUser, UserConn
from oauth.tokens import TOKEN_NAMES
from oauth.tokens import disconnect as oauth_disconnect

router = APIRouter(tags=["credentials"], responses=error_responses(401, 500))


class CredentialsIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "server": "github",
                    "values": {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_your_token_here"},
                }
            ]
        }
    )

    server: str = Field(min_length=1, max_length=100)
    # values are checked by the service, so a rejected value is never echoed by a validator
    values: dict[str, Any]


class CredentialsStatus(BaseModel):
    server: str
    stored: list[str]
    missing: list[str]
    complete: bool


class CredentialOut(BaseModel):
    server: str
    name: str
    last4: str | None
    created_at: datetime
    updated_at: datetime


class CredentialList(BaseModel):
    items: list[CredentialOut]


@router.post(
    "/api/sessions/{session_id}/credentials",
    response_model=CredentialsStatus,
    summary="Submit credentials for a server (never through the chat)",
    responses=error_responses(404, 413, 422, 429),
)
async def submit_credentials(
    session_id: str, body: CredentialsIn, user: CurrentUser, conn: UserConn, settings: AppSettings
) -> dict[str, Any]:
    if await repository.session_context(conn, session_id) is None:
        raise AppError(404, "not_found", "Session not found")
    result = await service.store_credentials(conn, settings, user.id, body.server, body.values)
    return result.as_dict()


@router.get(
    "/api/credentials",
    response_model=CredentialList,
    summary="List stored credentials (names only)",
)
async def list_credentials(user: CurrentUser, conn: UserConn) -> dict[str, Any]:
    return {"items": await service.list_credentials(conn, user.id)}


@router.delete(
    "/api/credentials/{server}/{name}",
    status_code=204,
    summary="Delete a stored credential",
    responses=error_responses(404, 422, 429),
)
async def delete_credential(
    server: str, name: str, user: CurrentUser, conn: UserConn, settings: AppSettings
) -> Response:
    if name in TOKEN_NAMES:  # an OAuth token: revoke at the server too, where it can
        if not await oauth_disconnect(conn, settings, user.id, server):
            raise AppError(404, "not_found", "Credential not found")
    elif not await service.delete_credential(conn, user.id, server, name):
        raise AppError(404, "not_found", "Credential not found")
    return Response(status_code=204)
