"""``dynamic-mcp eval QUERIES.jsonl``: run full chat turns and score the servers they select.

Each line is ``{"query": ..., "gold_groups": [[slug, ...], ...]}`` (a group lists acceptable
alternatives for one need). A turn *selects* the servers it passes to ``request_credentials``
(or ``build_agent_config``). Scores, over all queries:

- precision: selected servers that belong to some gold group / all selected servers;
- recall: gold groups covered by a selected server / all gold groups;
- task success: queries where every group is covered and nothing wrong is selected.

A line may carry ``"before": [message, ...]``: those are sent first in the same session (a
follow-up such as "use GitLab instead of GitHub" is scored on the selection it ends with). A
tool call the tools refused (``is_error``: invalid arguments, unknown server) counts as an
error, and so does any exception while one request runs; the run goes on to the next request.

It uses the offline planner, or Claude when ANTHROPIC_API_KEY is set, so a person measures the
effect of a prompt change by editing ``prompts/`` and running this again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auth.models import User
from core.config import Settings, get_settings


@dataclass
class Score:
    selected: int = 0
    correct: int = 0
    groups: int = 0
    covered: int = 0
    tasks: int = 0
    succeeded: int = 0
    errors: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        query: str,
        gold: list[list[str]],
        selected: list[str],
        error: str | None = None,
        style: str | None = None,
    ) -> None:
        allowed = {slug for group in gold for slug in group}
        covered = [g for g in gold if set(g) & set(selected)]
        wrong = [s for s in selected if s not in allowed]
        success = error is None and len(covered) == len(gold) and not wrong
        self.selected += len(selected)
        self.correct += len(selected) - len(wrong)
        self.groups += len(gold)
        self.covered += len(covered)
        self.tasks += 1
        self.succeeded += success
        self.errors += error is not None
        self.rows.append(
            {
                "query": query,
                "selected": selected,
                "wrong": wrong,
                "missed": [g for g in gold if g not in covered],
                "success": success,
                **({"style": style} if style else {}),
                **({"error": error} if error else {}),
            }
        )

    def summary(self) -> dict[str, Any]:
        return {
            "tasks": self.tasks,
            "precision": round(self.correct / self.selected, 4) if self.selected else 0.0,
            "recall": round(self.covered / self.groups, 4) if self.groups else 0.0,
            "task_success": round(self.succeeded / self.tasks, 4) if self.tasks else 0.0,
            "errors": self.errors,
            "by_style": self.by_style(),
        }

    def by_style(self) -> dict[str, float]:
        """Task success per request style (short, long, schedule, out_of_scope, ...)."""
        styles: dict[str, list[bool]] = {}
        for row in self.rows:
            styles.setdefault(row.get("style", "-"), []).append(row["success"])
        return {s: round(sum(v) / len(v), 4) for s, v in sorted(styles.items())}


def selected_servers(tool_calls: list[dict[str, Any]]) -> list[str]:
    """The servers a turn chose: the first request_credentials (or build) call's servers."""
    for name in ("request_credentials", "build_agent_config"):
        for call in tool_calls:
            if call["name"] == name and isinstance(call["input"].get("servers"), list):
                return list(dict.fromkeys(call["input"]["servers"]))
    return []


def refused_calls(tool_calls: list[dict[str, Any]]) -> str | None:
    """The tool calls of a turn the tools refused, as one error text (None when all ran)."""
    refused = [f"{c['name']}: {c.get('summary', '')}" for c in tool_calls if c.get("is_error")]
    return "; ".join(refused) or None


async def run_item(
    runtime: Any, db: Any, user: Any, item: dict[str, Any]
) -> tuple[list[str], str | None]:
    """One request (after its ``before`` messages) in a fresh session: (selected, error)."""
    from chat.service import open_turn, run_chat_turn

    session_id = None
    selected: list[str] = []
    for message in [*item.get("before", []), item["query"]]:
        session_id = await open_turn(db, user, session_id, message)
        result = await run_chat_turn(runtime, db, user, session_id)
        if error := refused_calls(result["tool_calls"]):
            return selected, error
        selected = selected_servers(result["tool_calls"]) or selected
    return selected, None


def load_queries(path: Path) -> list[dict[str, Any]]:
    items = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    for number, item in enumerate(items, start=1):
        if not isinstance(item.get("query"), str) or not isinstance(item.get("gold_groups"), list):
            raise SystemExit(f"{path}: item {number} needs 'query' and 'gold_groups'")
    return items


@asynccontextmanager
async def eval_user(db: Any) -> AsyncIterator[User]:
    """A throwaway user the eval's sessions belong to, deleted afterwards with its rows."""
    user_id = str(uuid.uuid4())
    email = f"eval-{user_id[:8]}@eval.invalid"
    async with db.service() as conn:
        await conn.execute(
            "insert into auth.users (id, aud, role, email)"
            " values ($1, 'authenticated', 'authenticated', $2)",
            uuid.UUID(user_id),
            email,
        )
    try:
        yield User.from_claims(
            {"sub": user_id, "email": email, "role": "authenticated", "aud": "authenticated"}
        )
    finally:
        async with db.service() as conn:
            await conn.execute("delete from auth.users where id = $1", uuid.UUID(user_id))


async def run_eval(db: Any, settings: Settings, queries: list[dict[str, Any]]) -> Score:
    """One fresh session per query, each a full chat turn through the loop and the tools."""
    from chat.service import ChatRuntime

    runtime = ChatRuntime.create(settings)
    score = Score()
    try:
        async with eval_user(db) as user:
            for item in queries:
                try:
                    selected, error = await run_item(runtime, db, user, item)
                except Exception as exc:  # one failing request must not end the run
                    code = getattr(exc, "code", type(exc).__name__)
                    selected, error = [], f"{code}: {getattr(exc, 'message', str(exc))[:300]}"
                score.add(item["query"], item["gold_groups"], selected, error, item.get("style"))
    finally:
        await runtime.model.aclose()
    return score


async def _main(args: argparse.Namespace) -> int:
    from catalog.loader import ensure_catalog_loaded
    from core.db.database import Database

    settings = get_settings()
    queries = load_queries(Path(args.queries))
    db = await Database.open(settings)
    try:
        await ensure_catalog_loaded(db, settings)
        score = await run_eval(db, settings, queries)
    finally:
        await db.close()
    model = settings.anthropic_model if settings.anthropic_api_key else "offline-planner"
    if args.json:
        print(json.dumps({"model": model, **score.summary(), "rows": score.rows}, indent=2))
        return 0
    for row in score.rows:
        if not row["success"] or args.verbose:
            mark = "ok  " if row["success"] else "FAIL"
            print(
                f"{mark} {row['query'][:70]!r} selected={row['selected']} "
                f"missed={row['missed']} wrong={row['wrong']} {row.get('error', '')}"
            )
    s = score.summary()
    print(
        f"model={model} tasks={s['tasks']} precision={s['precision']:.3f} "
        f"recall={s['recall']:.3f} task_success={s['task_success']:.3f} errors={s['errors']}"
    )
    return 0


def register(commands: Any) -> None:
    """Add ``eval`` to the ``dynamic-mcp`` command."""
    parser = commands.add_parser("eval", help="score full chat turns against gold servers")
    parser.add_argument("queries", help="JSONL file: {query, gold_groups} per line")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="list passing queries too")
    parser.set_defaults(handler=lambda args: asyncio.run(_main(args)))
