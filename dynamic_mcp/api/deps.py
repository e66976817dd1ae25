"""FastAPI dependencies, as ``Annotated`` aliases routes declare in their signatures.

Transactions: a route that does one unit of work takes ``UserConn``, a transaction in the
caller's RLS scope that commits when the route returns and rolls back when it raises. Work that
runs long or in steps (a chat turn, an agent start) takes ``DB`` and opens each unit itself.
"""

from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from auth.models import User
from auth.verify import get_current_user
from chat.service import ChatRuntime
from core.config import Settings
from core.db.database import Database


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_chat_runtime(request: Request) -> ChatRuntime:
    """The model client, tools and prompts the lifespan created once for this app."""
    runtime: ChatRuntime = request.app.state.chat_runtime
    return runtime


DB = Annotated[Database, Depends(get_db)]
CurrentUser = Annotated[User, Depends(get_current_user)]


async def user_connection(user: CurrentUser, db: DB) -> AsyncIterator[asyncpg.Connection]:
    """One transaction for this request, as the signed-in user (RLS applies)."""
    async with db.as_user(user.claims) as conn:
        yield conn


UserConn = Annotated[asyncpg.Connection, Depends(user_connection)]
Runtime = Annotated[ChatRuntime, Depends(get_chat_runtime)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
