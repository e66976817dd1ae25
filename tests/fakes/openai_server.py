"""A local HTTP server speaking enough of the OpenAI embeddings API for the real SDK.

``failures`` is a list of status codes served (in order) before normal answers, e.g.
``[429]`` for "rate limited once, then fine". Every request body is recorded.
"""

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def fake_vector(text: str, dimensions: int) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [((digest[i % len(digest)] / 255.0) - 0.5) for i in range(dimensions)]


class FakeOpenAI:
    def __init__(self, dimensions: int = 1536) -> None:
        self.dimensions = dimensions
        self.failures: list[int] = []
        self.requests: list[dict[str, Any]] = []
        self.auth_headers: list[str | None] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                fake.auth_headers.append(self.headers.get("Authorization"))
                if not self.path.endswith("/embeddings"):
                    return self._send(
                        404, {"error": {"message": "not found", "type": "invalid_request_error"}}
                    )
                if fake.failures:
                    status = fake.failures.pop(0)
                    headers = {"retry-after-ms": "10"} if status == 429 else {}
                    return self._send(
                        status,
                        {
                            "error": {
                                "message": f"fake {status}",
                                "type": "server_error",
                                "code": None,
                            }
                        },
                        headers,
                    )
                inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                data = [
                    {
                        "object": "embedding",
                        "index": i,
                        "embedding": fake_vector(t, fake.dimensions),
                    }
                    for i, t in enumerate(inputs)
                ]
                data.reverse()  # the API does not promise order: clients must sort by index
                self._send(
                    200,
                    {
                        "object": "list",
                        "data": data,
                        "model": body["model"],
                        "usage": {"prompt_tokens": 1, "total_tokens": 1},
                    },
                )

            def _send(
                self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> "FakeOpenAI":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
