"""The load harness at CI size: 5 users x 2 turns against the real service (uvicorn subprocess)
and the conversational model fake. Nothing may be lost, duplicated or inconsistent, and no
request may fail. Figures are printed, never asserted (CI machines vary); the full run is
``benchmarks/load_test.py`` (see docs/RELIABILITY.md).

To stay quick the server gets a fresh database in the test session's Postgres (no initdb)
rather than its own server; being a separate database, its start-up (migrations, agent
reconciliation) cannot touch the rows other tests use.
"""

import asyncio
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from benchmarks.load_test import run_load, running_stack


@pytest.fixture
async def load_dsn(database):
    name = f"load_{uuid.uuid4().hex[:8]}"
    async with database.pool.acquire() as conn:
        await conn.execute(f'create database "{name}"')
    yield urlunsplit(urlsplit(database.dsn)._replace(path=f"/{name}"))
    async with database.pool.acquire() as conn:
        await conn.execute(f'drop database if exists "{name}" with (force)')


async def test_small_load_run_loses_nothing(load_dsn) -> None:
    stack = running_stack(ttft=0.02, chunk=0.001, extra_env={"DATABASE_URL": load_dsn})
    base, model_url, operator = await asyncio.to_thread(stack.__enter__)
    try:
        report = await run_load(base, model_url, users=5, turns=2, operator=operator)
    finally:
        await asyncio.to_thread(stack.__exit__, None, None, None)
    summary = report.summary()
    print(summary)
    assert not report.errors, report.errors[:5]
    assert not report.inconsistent, report.inconsistent[:5]
    assert (summary["lost_messages"], summary["duplicated_messages"]) == (0, 0)
    assert summary["turns_completed"] == 10 and summary["model_calls"] == 30
