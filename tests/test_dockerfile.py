"""The Dockerfile, checked without Docker: its shape, what it copies, and that its CMD and
HEALTHCHECK start and probe the service in a clean virtual environment made from uv.lock."""

import json
import os
import re
import shlex
import subprocess
import tomllib
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import httpx
import pytest

from tests.net import free_port, wait_until_ok

ROOT = Path(__file__).resolve().parents[1]
UV = ROOT / ".venv" / "bin" / "uv"


@dataclass
class Instruction:
    stage: int
    keyword: str
    args: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions in order, continuation lines joined, each tagged with its stage index."""
    joined = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")),
    )
    out: list[Instruction] = []
    stage = -1
    for line in joined.splitlines():
        if not line.strip():
            continue
        keyword, _, args = line.strip().partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        out.append(Instruction(stage, keyword, " ".join(args.split())))
    return out


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value)
    return value


def env_of(instructions: list[Instruction], stage: int) -> dict[str, str]:
    env: dict[str, str] = {}
    for ins in instructions:
        if ins.stage == stage and ins.keyword == "ENV":
            for pair in shlex.split(ins.args):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


@pytest.fixture(scope="module")
def dockerfile() -> list[Instruction]:
    return parse_dockerfile((ROOT / "Dockerfile").read_text())


def final(instructions: list[Instruction], keyword: str) -> Instruction:
    last_stage = max(ins.stage for ins in instructions)
    matches = [i for i in instructions if i.stage == last_stage and i.keyword == keyword]
    assert matches, f"the final stage has no {keyword}"
    return matches[-1]


def test_multi_stage_slim_python_313(dockerfile: list[Instruction]) -> None:
    args = dict(i.args.split("=", 1) for i in dockerfile if i.keyword == "ARG")
    froms = [
        i.args.replace("${PYTHON_IMAGE}", args.get("PYTHON_IMAGE", ""))
        for i in dockerfile
        if i.keyword == "FROM"
    ]
    assert len(froms) >= 2
    assert all(f.startswith("python:3.13-slim") for f in froms)
    assert final(dockerfile, "COPY").args.startswith("--from=build")


def test_dependencies_come_from_the_lock(dockerfile: list[Instruction]) -> None:
    runs = " ".join(i.args for i in dockerfile if i.keyword == "RUN")
    assert "uv sync --frozen --no-dev" in runs
    assert "pip install" not in runs.replace("pip install --no-cache-dir uv==", "")
    pinned = re.search(r"uv==([\d.]+)", runs)
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    assert pinned and f"uv=={pinned.group(1)}" in dev, "the image's uv must match the project's"


def test_agents_can_launch_npx_and_uvx_servers_and_drive_chromium(
    dockerfile: list[Instruction],
) -> None:
    stage = max(i.stage for i in dockerfile)
    final_stage = " ".join(i.args for i in dockerfile if i.stage == stage)
    assert "nodejs npm" in final_stage
    assert "/usr/local/bin/uvx" in final_stage
    assert "install -y --no-install-recommends chromium" in final_stage  # for browser servers


def test_runs_as_a_non_root_user(dockerfile: list[Instruction]) -> None:
    user = final(dockerfile, "USER").args
    assert user not in {"root", "0"} and not user.startswith("0:")
    # the code is not writable by that user; only the data volume is
    assert "--chown" not in final(dockerfile, "COPY").args
    assert "chown app:app /data" in " ".join(i.args for i in dockerfile if i.keyword == "RUN")


def test_healthcheck_and_cmd(dockerfile: list[Instruction]) -> None:
    health = final(dockerfile, "HEALTHCHECK").args
    assert "/healthz" in health
    cmd = exec_form(final(dockerfile, "CMD").args)
    assert cmd[:2] == ["dynamic-mcp", "serve"]
    env = env_of(dockerfile, max(i.stage for i in dockerfile))
    assert env["ENVIRONMENT"] == "production" and env["DATA_DIR"] == "/data"
    assert env["FORWARDED_ALLOW_IPS"] == "*"  # behind the load balancer (see the README)


def _ignored(path: str, patterns: list[str]) -> bool:
    return any(
        fnmatch(path, p.rstrip("/"))
        or fnmatch(path, p.rstrip("/") + "/*")
        or path.startswith(p.rstrip("/") + "/")
        for p in patterns
    )


def test_dockerignore_keeps_secrets_and_local_state_out(dockerfile: list[Instruction]) -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for private in (".env", ".venv", ".git", "tests/artifacts", "data", ".env.production"):
        assert _ignored(private, patterns), f"{private} would be sent to the Docker daemon"
    for ins in dockerfile:
        if ins.keyword == "COPY" and not ins.args.startswith("--from"):
            *sources, _dest = ins.args.split()
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such file"
                assert not _ignored(source, patterns), f"COPY {source} is excluded by .dockerignore"


def test_cmd_starts_the_service_from_a_clean_locked_venv(
    dockerfile: list[Instruction], tmp_path: Path
) -> None:
    """What the image runs: `uv sync --frozen --no-dev` into a new venv, then CMD, HEALTHCHECK."""
    venv = tmp_path / "venv"
    sync = subprocess.run(
        [str(UV), "sync", "--frozen", "--no-dev", "--quiet"],
        cwd=ROOT,
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON_DOWNLOADS": "never"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert sync.returncode == 0, sync.stderr[-3000:]
    assert not (venv / "bin" / "pytest").exists(), "dev dependencies leaked into the runtime venv"

    stage = max(i.stage for i in dockerfile)
    port = str(free_port())
    private = ("ANTHROPIC", "OPENAI", "SUPABASE", "DATABASE_URL", "CREDENTIALS")
    env = {k: v for k, v in os.environ.items() if not k.startswith(private)}
    env.update(env_of(dockerfile, stage))
    env.update(
        PATH=f"{venv / 'bin'}:{os.environ['PATH']}",
        DATA_DIR=str(tmp_path / "data"),
        VIRTUAL_ENV=str(venv),
    )
    cmd = exec_form(final(dockerfile, "CMD").args)
    local = {"0.0.0.0": "127.0.0.1", "8000": port}  # noqa: S104 - replacing, not binding
    cmd = [local.get(part, part) for part in cmd]
    log = tmp_path / "service.log"
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_ok(f"http://127.0.0.1:{port}/healthz", proc, log, 120)
        probe = httpx.get(
            f"http://127.0.0.1:{port}/healthz",
            headers={"X-Forwarded-Proto": "https", "X-Request-ID": "probe-1"},
        )
        assert probe.headers["strict-transport-security"]  # proxy headers honoured
        assert "server" not in probe.headers
        # The operator signs in with the one-time link the service printed when it started.
        link = re.search(r"/app/#sign-in=([A-Za-z0-9_-]+)", log.read_text())
        assert link, log.read_text()[-3000:]
        session = httpx.post(
            f"http://127.0.0.1:{port}/api/auth/local", json={"token": link.group(1)}
        ).json()
        me = httpx.get(
            f"http://127.0.0.1:{port}/api/me",
            headers={
                "Authorization": f"Bearer {session['access_token']}",
                "X-Request-ID": "probe-2",
            },
        )
        assert me.status_code == 200

        health = exec_form(final(dockerfile, "HEALTHCHECK").args.split("CMD", 1)[1].strip())
        health = [part.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in health]
        assert subprocess.run(health, env=env, timeout=30).returncode == 0
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    # production logs are JSON lines carrying the request context
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    access = [e for e in entries if e.get("request_id") == "probe-1"]
    assert access and access[0]["status"] == 200 and access[0]["route"] == "/healthz"
    assert "latency_ms" in access[0]
    signed_in = [e for e in entries if e.get("request_id") == "probe-2" and "status" in e]
    assert signed_in and signed_in[0]["user_id"] == me.json()["id"]
    assert session["access_token"] not in log.read_text()  # no token in any log line
