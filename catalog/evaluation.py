"""Search accuracy on a query set: group recall@k and task success@k.

Each line of the query file is ``{"query": ..., "gold_groups": [[slug, ...], ...]}``; a group
is covered when any of its slugs is among the top k results, and a task succeeds when every
group is covered.
"""

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.embedders import Embedder
from catalog.search import HYBRID, Weights, search_servers


@dataclass
class EvalResult:
    k: int
    tasks: int = 0
    groups: int = 0
    groups_covered: int = 0
    tasks_succeeded: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def group_recall(self) -> float:
        return self.groups_covered / self.groups if self.groups else 0.0

    @property
    def task_success(self) -> float:
        return self.tasks_succeeded / self.tasks if self.tasks else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "tasks": self.tasks,
            "groups": self.groups,
            "group_recall": round(self.group_recall, 4),
            "task_success": round(self.task_success, 4),
            "failures": self.failures,
        }


def load_queries(path: Path) -> list[dict[str, Any]]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        item = json.loads(line)
        if not isinstance(item.get("query"), str) or not isinstance(item.get("gold_groups"), list):
            raise ValueError(f"{path}:{number}: needs 'query' (string) and 'gold_groups' (list)")
        items.append(item)
    return items


async def evaluate(
    conn: Any,
    embedder: Embedder,
    queries: list[dict[str, Any]],
    k: int = 5,
    weights: Weights = HYBRID,
) -> EvalResult:
    """Search each query (a follow-up with its earlier messages) and score the top ``k``."""
    result = EvalResult(k=k)
    for item in queries:
        text = " ".join([*item.get("before", []), item["query"]])
        matches = await search_servers(conn, embedder, text, limit=k, weights=weights)
        found = [m.slug for m in matches]
        missed = [group for group in item["gold_groups"] if not set(group) & set(found)]
        result.tasks += 1
        result.groups += len(item["gold_groups"])
        result.groups_covered += len(item["gold_groups"]) - len(missed)
        if missed:
            result.failures.append({"query": item["query"], "missed": missed, "found": found})
        else:
            result.tasks_succeeded += 1
    return result


@asynccontextmanager
async def isolated_database(db: Any, settings: Any) -> AsyncIterator[Any]:
    """A throwaway database on the same server, migrated, dropped afterwards: evaluating a
    candidate catalog there leaves the main catalog untouched."""
    from core.db.database import Database

    name = f"dmcp_eval_{uuid.uuid4().hex[:12]}"
    async with db.pool.acquire() as conn:
        await conn.execute(f'create database "{name}"')
    dsn = _replace_database(db.dsn, name)
    other = await Database.open(
        settings.model_copy(update={"database_url": dsn, "db_pool_min": 1, "db_pool_max": 2})
    )
    try:
        yield other
    finally:
        await other.close()
        async with db.pool.acquire() as conn:
            await conn.execute(f'drop database if exists "{name}" with (force)')


def _replace_database(dsn: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
