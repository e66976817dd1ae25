"""The load harness at CI size: 5 users x 2 turns against the real service (uvicorn subprocess)
and the conversational model fake. Nothing may be lost, duplicated or inconsistent, and no
request may fail. Figures are printed, never asserted (CI machines vary); the full run is
``benchmarks/load_test.py`` (see docs/RELIABILITY.md).

To stay quick the server joins the test session's embedded Postgres and data dir (same keys)
instead of initialising its own; the benchmark itself starts a fresh one.
"""

import asyncio

from benchmarks.load_test import run_load, running_stack


def test_small_load_run_loses_nothing(database, settings) -> None:
    shared = {"DATABASE_URL": database.dsn, "DATA_DIR": str(settings.data_dir)}
    with running_stack(ttft=0.02, chunk=0.001, extra_env=shared) as (base, model_url):
        report = asyncio.run(run_load(base, model_url, users=5, turns=2))
    summary = report.summary()
    print(summary)
    assert not report.errors, report.errors[:5]
    assert not report.inconsistent, report.inconsistent[:5]
    assert (summary["lost_messages"], summary["duplicated_messages"]) == (0, 0)
    assert summary["turns_completed"] == 10 and summary["model_calls"] == 30
