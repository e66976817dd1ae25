"""``dynamic-mcp sign-in-link``: a new one-time sign-in link for the embedded default."""

import argparse
import asyncio
import sys
from typing import Any

from auth.sign_in_links import create_link, link_url
from core.config import get_settings


def register(commands: Any) -> None:
    """Add the ``sign-in-link`` command to the main parser."""
    link = commands.add_parser(
        "sign-in-link", help="print a one-time sign-in link (embedded mode, local sign-in)"
    )
    link.add_argument("--email", default=None, help="the account (default: local@localhost)")
    link.add_argument("--name", default=None, help="display name, if the account is new")
    link.set_defaults(handler=lambda a: asyncio.run(_sign_in_link(a)))


async def _sign_in_link(args: argparse.Namespace) -> int:
    from core.db.database import Database

    settings = get_settings()
    if settings.supabase_enabled:
        print("Local sign-in is off: Supabase is configured.", file=sys.stderr)
        return 1
    db = await Database.open(settings)
    try:
        token = await create_link(db, settings, args.email, args.name)
    finally:
        await db.close()
    minutes = max(1, settings.local_sign_in_link_ttl_seconds // 60)
    print(link_url(settings, token))
    print(f"(works once, for {minutes} min)", file=sys.stderr)
    return 0
