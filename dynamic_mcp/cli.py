"""The ``dynamic-mcp`` command: serve, migrate, and each domain's subcommands."""

import argparse
import asyncio
import sys
from collections.abc import Sequence

from core.config import get_settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from dynamic_mcp.server import server_config

    settings = get_settings()
    # The app reads these settings too (its sign-in link names the address it serves on).
    settings.host, settings.port = args.host or settings.host, args.port or settings.port
    config = server_config(
        settings,
        "dynamic_mcp.app:create_app",
        settings.host,
        settings.port,
        args.forwarded_allow_ips or settings.forwarded_allow_ips,
    )
    uvicorn.Server(config).run()
    return 0


async def _migrate_async() -> int:
    from core.db.database import Database

    settings = get_settings()
    db = await Database.open(settings, migrate=False)
    try:
        applied = await db.migrate(settings)
    finally:
        await db.close()
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dynamic-mcp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API server (migrates first)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--forwarded-allow-ips", default=None)
    serve.set_defaults(handler=_serve)

    migrate = commands.add_parser("migrate", help="apply pending SQL migrations")
    migrate.set_defaults(handler=lambda _args: asyncio.run(_migrate_async()))

    # Each domain adds its own subcommands.
    __import__("auth.cli", fromlist=["register"]).register(commands)
    __import__("credentials.cli", fromlist=["register"]).register(commands)
    __import__("catalog.cli", fromlist=["register"]).register(commands)
    __import__("dynamic_mcp.eval_cli", fromlist=["register"]).register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
