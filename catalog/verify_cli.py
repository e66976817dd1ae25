"""``dynamic-mcp catalog verify``: start entries for real and store what they declare, or
(``--summary``) print the stored record's counts without launching anything."""

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from catalog.loader import validate_catalog
from catalog.verify_record import RECORD_DIR, Verification, read_records, summarize, write_record


def register_verify(sub: Any) -> None:
    """Add ``verify`` to the ``catalog`` subcommands."""
    verify = sub.add_parser("verify", help="start each stdio entry for real and record its tools")
    verify.add_argument("paths", nargs="*", type=Path, help="files or folders (default: bundled)")
    verify.add_argument("--slug", action="append", default=[], help="only this entry (repeat)")
    verify.add_argument(
        "--runtime",
        action="append",
        default=[],
        help="only entries launched by this command: npx, uvx, docker or remote (repeat)",
    )
    verify.add_argument("--jobs", type=int, default=2, help="entries started at once")
    verify.add_argument("--timeout", type=float, default=90.0, help="seconds per entry")
    verify.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for every server (repeat)",
    )
    verify.add_argument("--summary", action="store_true", help="counts of the stored record")
    verify.add_argument("--record-dir", type=Path, default=RECORD_DIR, help=argparse.SUPPRESS)
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=_verify)


def _selected(args: argparse.Namespace) -> list[Any]:
    from catalog.verify import runtime_of

    entries, _, _ = validate_catalog(args.paths or None, records=None)
    return [
        e
        for e in entries
        if (not args.slug or e.slug in args.slug)
        and (not args.runtime or runtime_of(e) in args.runtime)
    ]


def _verify(args: argparse.Namespace) -> int:
    entries = _selected(args)
    if args.slug and len(entries) < len(set(args.slug)):
        missing = sorted(set(args.slug) - {e.slug for e in entries})
        print(f"not in the catalog: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.summary:
        summary = summarize(_current(entries, read_records(args.record_dir)))
        print(json.dumps(summary, indent=2) if args.json else _summary_text(summary))
        return 0
    return asyncio.run(_launch(args, entries))


def _current(entries: list[Any], records: dict[str, Verification]) -> list[Verification]:
    """The record of each entry, or ``unverified`` when it has none for its current launch."""
    from catalog.verify import runtime_of

    out = []
    for entry in entries:
        record = records.get(entry.slug)
        if record is None or record.launch != entry.launch.model_dump(mode="json"):
            record = Verification(entry.slug, runtime_of(entry), "unverified", "")
        record.requires = list(entry.requires)
        out.append(record)
    return out


async def _launch(args: argparse.Namespace, entries: list[Any]) -> int:
    from catalog.runtimes import detect
    from catalog.verify import server_env, verify_all
    from core.browser import browser_env
    from core.config import get_settings

    # A server printing non-JSON on stdout makes the SDK log a traceback per line: noise here,
    # the record keeps the server's own stderr.
    logging.getLogger("mcp").setLevel(logging.CRITICAL)
    settings = get_settings()
    extra = dict(item.split("=", 1) for item in args.env if "=" in item)
    cache = settings.ensure_data_dir() / "cache"
    browser = browser_env(settings, as_root=os.geteuid() == 0)  # servers run here, unsandboxed
    env = server_env(cache, os.environ, {**browser, **extra})
    host = detect(settings.host_runtimes).available

    def done(record: Verification) -> None:
        write_record(record, args.record_dir)
        if not args.json:
            seconds = f"{record.seconds:6.1f}s" if record.seconds is not None else "       "
            print(f"{record.status:<18} {seconds} {len(record.tools):3d} tools  {record.slug}")
            sys.stdout.flush()

    records = await verify_all(
        entries, base_env=env, host=host, jobs=args.jobs, limit_seconds=args.timeout, on_done=done
    )
    if args.json:
        print(json.dumps([r.as_dict() for r in records], indent=2, ensure_ascii=False))
    return 0


def _summary_text(summary: dict[str, Any]) -> str:
    lines = [f"{summary['started']} of {summary['total']} entries started"]
    for runtime, counts in summary["by_runtime"].items():
        lines.append(f"  {runtime:<8} {counts['started']:4d} / {counts['total']}")
    lines.extend(f"  {status:<18} {n}" for status, n in summary["by_status"].items())
    plain = summary["node_uv"]
    lines.append(f"needing only node/uv: {plain['started']} of {plain['total']} started")
    return "\n".join(lines)
