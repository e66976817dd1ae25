"""Run the JavaScript client's own tests (``node --test``) as part of the suite."""

import shutil
import subprocess
from pathlib import Path

import pytest

CLIENT_DIR = Path(__file__).resolve().parents[1] / "clients" / "js"


def test_js_client_node_tests() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js >= 18 is required for the JS client tests (apt-get install -y nodejs)")
    result = subprocess.run(
        [node, "--test", "test/"], cwd=CLIENT_DIR, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
