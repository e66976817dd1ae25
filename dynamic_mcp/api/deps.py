"""FastAPI dependencies, as ``Annotated`` aliases routes declare in their signatures."""

from typing import Annotated

from fastapi import Depends, Request

from dynamic_mcp.auth.models import User
from dynamic_mcp.auth.verify import get_current_user
from dynamic_mcp.config import Settings
from dynamic_mcp.db.database import Database


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


DB = Annotated[Database, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
CurrentUser = Annotated[User, Depends(get_current_user)]
