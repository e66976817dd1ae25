# syntax=docker/dockerfile:1
# Dynamic MCP Agent API — production image.
#   docker build -t dynamic-mcp .
#   docker run -p 8000:8000 -v dynamic-mcp-data:/data --env-file .env dynamic-mcp
# Dependencies come from uv.lock only (`uv sync --frozen`); the service runs as a non-root user.

ARG PYTHON_IMAGE=python:3.13-slim-bookworm

# ---- build: a virtual environment made from the lock file --------------------------------------
FROM ${PYTHON_IMAGE} AS build
# The same uv the project pins in its dev dependencies.
RUN pip install --no-cache-dir uv==0.13.9
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Third-party dependencies first: this layer is reused until uv.lock changes.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
# Then the project itself (installed editable, so prompts/, sql/, catalog/ and web/ are read in place).
COPY core ./core
COPY auth ./auth
COPY credentials ./credentials
COPY oauth ./oauth
COPY agents ./agents
COPY workflows ./workflows
COPY chat ./chat
COPY dynamic_mcp ./dynamic_mcp
COPY orchestrator ./orchestrator
COPY tools ./tools
COPY catalog ./catalog
COPY prompts ./prompts
COPY sql ./sql
COPY web ./web
COPY clients/js ./clients/js
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev

# ---- runtime -------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# Agents launch their MCP servers with npx (Node) or uvx: both ship in the image.
# Build with --build-arg INSTALL_NODE=0 for a smaller image that runs only uvx/remote servers.
ARG INSTALL_NODE=1
# Browser servers (Playwright, Puppeteer) drive Debian's Chromium (AGENT_BROWSER=auto finds it);
# none downloads a browser of its own. --build-arg INSTALL_BROWSER=0 leaves it out.
ARG INSTALL_BROWSER=1
# bubblewrap sandboxes each agent; in a container it needs user namespaces, which Docker's default
# seccomp profile refuses: without them /readyz warns and agents run unsandboxed for one user only.
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap \
    && if [ "$INSTALL_NODE" = "1" ]; then apt-get install -y --no-install-recommends nodejs npm; fi \
    && if [ "$INSTALL_BROWSER" = "1" ]; then apt-get install -y --no-install-recommends chromium; fi \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/uv /usr/local/bin/uvx /usr/local/bin/
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home app \
    && mkdir -p /data \
    && chown app:app /data
WORKDIR /app
# Code and venv stay owned by root: the service user can run them, not change them.
# Its only writable place is /data (embedded Postgres, signing key, agent workspaces).
COPY --from=build /app /app
ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ENVIRONMENT=production \
    LOG_FORMAT=json \
    DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8000 \
    FORWARDED_ALLOW_IPS="*"
USER app
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
# `serve` runs uvicorn with deadlines for slow clients and no Server header. It believes
# X-Forwarded-Proto/For from FORWARDED_ALLOW_IPS: "*" suits a container reachable only through
# its load balancer; otherwise set the balancer's address (clients could pick their own address).
CMD ["dynamic-mcp", "serve", "--host", "0.0.0.0", "--port", "8000"]
