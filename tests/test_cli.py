"""The ``dynamic-mcp`` command line."""

import subprocess
import sys


def test_migrate_command_reports_nothing_pending(database, monkeypatch):
    result = subprocess.run(
        [sys.executable, "-m", "dynamic_mcp.cli", "migrate"],
        env={"DATABASE_URL": database.dsn, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "none pending" in result.stdout


def test_help_lists_commands():
    result = subprocess.run(
        [sys.executable, "-m", "dynamic_mcp.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert "serve" in result.stdout and "migrate" in result.stdout
