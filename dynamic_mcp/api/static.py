"""Serve the single-page web chat at ``/app`` and the JavaScript client at ``/app/client.js``."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse
from starlette.staticfiles import StaticFiles

from core.config import PROJECT_ROOT

WEB_DIR = PROJECT_ROOT / "web"
CLIENT_DIR = PROJECT_ROOT / "clients" / "js"
# No build step and no hashed file names: browsers revalidate every file (ETag) on each load.
NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


@router.get("/app")
async def app_root() -> RedirectResponse:
    return RedirectResponse("/app/", status_code=308)


@router.get("/app/client.js")
async def client_module() -> FileResponse:
    return _file(CLIENT_DIR / "dynamic-mcp-client.js")


@router.get("/app/client.d.ts")
async def client_types() -> FileResponse:
    path = CLIENT_DIR / "dynamic-mcp-client.d.ts"
    return FileResponse(path, media_type="text/plain", headers=NO_CACHE)


def _file(path: Path) -> FileResponse:
    return FileResponse(path, media_type="text/javascript", headers=NO_CACHE)


class _PageFiles(StaticFiles):
    async def get_response(self, path, scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        response.headers.setdefault("Cache-Control", "no-cache")
        return response


router.mount("/app", _PageFiles(directory=WEB_DIR, html=True, check_dir=False), name="web")
