"""FastAPI dependencies, as ``Annotated`` aliases routes declare in their signatures."""

from typing import Annotated

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
Runtime = Annotated[ChatRuntime, Depends(get_chat_runtime)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
CurrentUser = Annotated[User, Depends(get_current_user)]
