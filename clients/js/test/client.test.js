// Run with: node --test clients/js/test/
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, DynamicMcpClient, parseSSE } from "../dynamic-mcp-client.js";

/** A ReadableStream that yields the given chunks (strings) as UTF-8 bytes. */
function streamOf(...chunks) {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(gen) {
  const out = [];
  for await (const item of gen) out.push(item);
  return out;
}

function json(status, body, headers = {}) {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A fake fetch answering from a list of handlers, recording every call. */
function fakeFetch(...answers) {
  const calls = [];
  const fn = async (url, init) => {
    calls.push({ url, init, body: init.body ? JSON.parse(init.body) : undefined });
    const answer = answers.shift();
    assert.ok(answer, `unexpected request ${init.method} ${url}`);
    return typeof answer === "function" ? answer(url, init) : answer;
  };
  fn.calls = calls;
  fn.answers = answers;
  return fn;
}

test("parseSSE decodes events split across chunks, CRLF, comments and multi-line data", async () => {
  const events = await collect(
    parseSSE(
      streamOf(
        ": keep-alive\n\n",
        "event: session\ndata: {\"session_id\":",
        " \"s1\"}\n\n",
        "event: text_delta\r\ndata: {\"text\": \"Hel\"}\r",
        "\n\r\nevent: note\ndata: line one\ndata: line two\n\n",
        "data: {\"plain\": true}\n\n",
        "event: done\ndata: {\"reply\": \"ok\"}",
      ),
    ),
  );
  assert.deepEqual(events, [
    { event: "session", data: { session_id: "s1" } },
    { event: "text_delta", data: { text: "Hel" } },
    { event: "note", data: "line one\nline two" },
    { event: "message", data: { plain: true } },
    { event: "done", data: { reply: "ok" } },
  ]);
});

test("parseSSE keeps multi-byte characters split across chunks intact", async () => {
  const bytes = new TextEncoder().encode('data: {"text": "héllo ✓"}\n\n');
  const stream = new ReadableStream({
    start(controller) {
      for (const b of bytes) controller.enqueue(new Uint8Array([b]));
      controller.close();
    },
  });
  const events = await collect(parseSSE(stream));
  assert.deepEqual(events, [{ event: "message", data: { text: "héllo ✓" } }]);
});

test("signInLocal stores tokens, reports them, and authorises later calls", async () => {
  const session = { access_token: "a1", refresh_token: "r1", expires_at: 123, token_type: "bearer", user: { id: "u" } };
  const fetch = fakeFetch(json(200, session), json(200, { id: "u", email: "x@y" }));
  const seen = [];
  const client = new DynamicMcpClient({ baseUrl: "http://api/", fetch, onTokens: (t) => seen.push(t) });
  await client.signInLocal("link-token");
  assert.equal(client.signedIn, true);
  assert.deepEqual(seen, [{ access_token: "a1", refresh_token: "r1", expires_at: 123 }]);
  const me = await client.me();
  assert.equal(me.id, "u");
  assert.equal(fetch.calls[0].url, "http://api/api/auth/local");
  assert.equal(fetch.calls[0].init.headers.Authorization, undefined);
  assert.deepEqual(fetch.calls[0].body, { token: "link-token" });
  assert.equal(fetch.calls[1].url, "http://api/api/me");
  assert.equal(fetch.calls[1].init.headers.Authorization, "Bearer a1");
});

test("a 401 triggers one refresh and a retry with the new token", async () => {
  const fetch = fakeFetch(
    json(401, { error: { code: "token_expired", message: "expired", details: null } }),
    json(200, { access_token: "a2", refresh_token: "r2", expires_at: 9 }),
    json(200, { items: [], next_cursor: null }),
  );
  const client = new DynamicMcpClient({ fetch, tokens: { access_token: "a1", refresh_token: "r1" } });
  const page = await client.history({ limit: 5 });
  assert.deepEqual(page, { items: [], next_cursor: null });
  assert.equal(fetch.calls[0].url, "/api/chat/history?limit=5");
  assert.equal(fetch.calls[1].url, "/api/auth/refresh");
  assert.deepEqual(fetch.calls[1].body, { refresh_token: "r1" });
  assert.equal(fetch.calls[2].init.headers.Authorization, "Bearer a2");
  assert.equal(client.tokens.refresh_token, "r2");
});

test("a failed refresh signs out and surfaces the original error", async () => {
  const fetch = fakeFetch(
    json(401, { error: { code: "token_expired", message: "Your session expired.", details: null } }),
    json(401, { error: { code: "invalid_refresh_token", message: "nope", details: null } }),
  );
  const client = new DynamicMcpClient({ fetch, tokens: { access_token: "a1", refresh_token: "r1" } });
  await assert.rejects(client.me(), (err) => err instanceof ApiError && err.code === "token_expired");
  assert.equal(client.tokens, null);
});

test("errors carry the API's code, message, details and Retry-After", async () => {
  const fetch = fakeFetch(
    json(429, { error: { code: "rate_limited", message: "Too many requests", details: { limit: 3 } } }, { "retry-after": "7" }),
    new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }),
  );
  const client = new DynamicMcpClient({ fetch, tokens: { access_token: "t" } });
  const err = await client.chat({ message: "hi" }).catch((e) => e);
  assert.ok(err instanceof ApiError);
  assert.equal(err.status, 429);
  assert.equal(err.code, "rate_limited");
  assert.equal(err.message, "Too many requests");
  assert.deepEqual(err.details, { limit: 3 });
  assert.equal(err.retryAfter, 7);
  const err2 = await client.listAgents().catch((e) => e);
  assert.equal(err2.status, 502);
  assert.equal(err2.code, "http_502");
  assert.match(err2.message, /502/);
});

test("network failures become a readable ApiError", async () => {
  const client = new DynamicMcpClient({
    fetch: async () => {
      throw new TypeError("fetch failed");
    },
  });
  const err = await client.health().catch((e) => e);
  assert.equal(err.code, "network_error");
  assert.match(err.message, /reach the server/);
});

test("chatStream posts with Accept: text/event-stream and yields parsed events", async () => {
  const body = streamOf(
    'event: session\ndata: {"session_id": "s9"}\n\n',
    'event: ui\ndata: {"type": "servers_found", "servers": []}\n\n',
    'event: done\ndata: {"session_id": "s9", "reply": "hi"}\n\n',
  );
  const fetch = fakeFetch(new Response(body, { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8" } }));
  const client = new DynamicMcpClient({ fetch, tokens: { access_token: "t" } });
  const events = await collect(client.chatStream({ message: "find github", sessionId: "s9", timezone: "UTC" }));
  assert.deepEqual(events.map((e) => e.event), ["session", "ui", "done"]);
  assert.equal(fetch.calls[0].init.headers.Accept, "text/event-stream");
  assert.deepEqual(fetch.calls[0].body, { message: "find github", session_id: "s9", timezone: "UTC" });
});

test("chatStream falls back to a single done event when the server answers JSON", async () => {
  const fetch = fakeFetch(json(200, { session_id: "s1", reply: "ok", events: [] }));
  const client = new DynamicMcpClient({ fetch, tokens: { access_token: "t" } });
  const events = await collect(client.chatStream({ message: "x" }));
  assert.deepEqual(events, [{ event: "done", data: { session_id: "s1", reply: "ok", events: [] } }]);
});

test("credential, agent and session helpers hit the contract's paths", async () => {
  const ok = () => json(200, {});
  const fetch = fakeFetch(ok(), ok(), new Response(null, { status: 204 }), ok(), ok(), ok(), ok(), ok(), ok(), new Response(null, { status: 204 }));
  const client = new DynamicMcpClient({ fetch, tokens: { access_token: "t" } });
  await client.submitCredentials("s/1", "github", { GITHUB_TOKEN: "ghp_x" });
  await client.listCredentials();
  assert.equal(await client.deleteCredential("github", "GITHUB_TOKEN"), null);
  await client.startAgent("a1");
  await client.stopAgent("a1");
  await client.getAgent("a1");
  await client.messageAgent("a1", "hello", { sessionId: "s1" });
  await client.agentConfig("a1", { includeSecrets: true });
  await client.messages("s1", { limit: 20, cursor: "c2" });
  await client.deleteSession("s1");
  const seen = fetch.calls.map((c) => `${c.init.method} ${c.url}`);
  assert.deepEqual(seen, [
    "POST /api/sessions/s%2F1/credentials",
    "GET /api/credentials",
    "DELETE /api/credentials/github/GITHUB_TOKEN",
    "POST /api/agents/a1/start",
    "POST /api/agents/a1/stop",
    "GET /api/agents/a1",
    "POST /api/agents/a1/messages",
    "GET /api/agents/a1/config?include_secrets=true",
    "GET /api/sessions/s1/messages?limit=20&cursor=c2",
    "DELETE /api/sessions/s1",
  ]);
  assert.deepEqual(fetch.calls[0].body, { server: "github", values: { GITHUB_TOKEN: "ghp_x" } });
  assert.deepEqual(fetch.calls[6].body, { message: "hello", session_id: "s1" });
});

test("OAuth connect helpers hit the contract's paths", async () => {
  const link = { server: "linear", connect_url: "http://x/api/oauth/start/t", expires_in: 600 };
  const fetch = fakeFetch(json(200, link), json(200, { items: [] }), new Response(null, { status: 204 }));
  const client = new DynamicMcpClient({ fetch, tokens: { access_token: "t" } });
  assert.deepEqual(await client.connectOAuth("linear", "s1"), link);
  await client.listOAuthConnections();
  assert.equal(await client.disconnectOAuth("linear"), null);
  const seen = fetch.calls.map((c) => `${c.init.method} ${c.url}`);
  assert.deepEqual(seen, ["POST /api/oauth/connect", "GET /api/oauth/connections", "DELETE /api/oauth/connections/linear"]);
  assert.deepEqual(fetch.calls[0].body, { server: "linear", session_id: "s1" });
});

test("concurrent 401s share a single refresh (refresh tokens are single-use)", async () => {
  let refreshes = 0;
  const fetch = async (url, init) => {
    if (url.endsWith("/api/auth/refresh")) {
      refreshes += 1;
      await new Promise((r) => setTimeout(r, 5));
      return json(200, { access_token: "new", refresh_token: "r2" });
    }
    return init.headers.Authorization === "Bearer new" ? json(200, { ok: true }) : json(401, { error: { code: "expired", message: "x" } });
  };
  const client = new DynamicMcpClient({ fetch, tokens: { access_token: "old", refresh_token: "r1" } });
  const results = await Promise.all([client.me(), client.listAgents(), client.listCredentials()]);
  assert.deepEqual(results, [{ ok: true }, { ok: true }, { ok: true }]);
  assert.equal(refreshes, 1);
});

test("schedule and run methods use the workflow routes", async () => {
  const schedule = { agent_id: "a 1", trigger: "schedule", cron: "0 8 * * 1-5", paused: false };
  const fetch = fakeFetch(
    json(200, schedule),
    json(200, { ...schedule, paused: true }),
    json(200, schedule),
    json(202, { id: "r1", status: "queued" }),
    json(200, { runs: [], next_cursor: null }),
    json(200, { id: "r1", status: "succeeded", output: "08:00 in Tokyo" }),
    new Response(null, { status: 204 }),
  );
  const client = new DynamicMcpClient({ fetch, tokens: { access_token: "t" } });
  await client.setSchedule("a 1", { text: "every weekday at 8", timezone: "Europe/Berlin" });
  await client.pauseSchedule("a 1");
  await client.resumeSchedule("a 1");
  const run = await client.runNow("a 1");
  await client.listRuns("a 1", { limit: 5, cursor: "c" });
  const done = await client.getRun("a 1", run.id);
  await client.deleteSchedule("a 1");
  assert.equal(done.output, "08:00 in Tokyo");
  assert.deepEqual(
    fetch.calls.map((c) => `${c.init.method} ${c.url}`),
    [
      "PUT /api/agents/a%201/schedule",
      "PUT /api/agents/a%201/schedule",
      "PUT /api/agents/a%201/schedule",
      "POST /api/agents/a%201/runs",
      "GET /api/agents/a%201/runs?limit=5&cursor=c",
      "GET /api/agents/a%201/runs/r1",
      "DELETE /api/agents/a%201/schedule",
    ],
  );
  assert.deepEqual(fetch.calls[0].body, { text: "every weekday at 8", timezone: "Europe/Berlin" });
  assert.deepEqual(fetch.calls[1].body, { paused: true });
  assert.deepEqual(fetch.calls[2].body, { paused: false });
});

test("chat sends the time zone schedules are read in", async () => {
  const fetch = fakeFetch(json(200, { reply: "ok" }), json(200, { reply: "ok" }));
  const client = new DynamicMcpClient({ fetch, tokens: { access_token: "t" } });
  await client.chat({ message: "every morning at 8", timezone: "Asia/Tokyo" });
  await client.chat({ message: "hi" });
  assert.equal(fetch.calls[0].body.timezone, "Asia/Tokyo");
  assert.equal(fetch.calls[1].body.timezone, Intl.DateTimeFormat().resolvedOptions().timeZone);
});
