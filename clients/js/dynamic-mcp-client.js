// A small typed client for the Dynamic MCP Agent API. Plain ES module, no dependencies:
// runs in browsers and in Node >= 18 (global fetch, ReadableStream, TextDecoder).

/**
 * @typedef {{access_token: string, refresh_token?: string|null, expires_at?: number|null}} Tokens
 * @typedef {{id: string, email: string|null, name?: string|null, avatar_url?: string|null}} User
 * @typedef {Tokens & {token_type?: string, user?: User}} AuthSession
 * @typedef {{mode: "local"|"supabase", supabase_url: string|null, supabase_anon_key: string|null}} AuthConfig
 * @typedef {{event: string, data: any, id?: string}} ServerSentEvent
 */

/**
 * @template T
 * @typedef {{items: T[], next_cursor: string|null}} Page
 */

/** An error answered by the API, carrying its `{"error": {code, message, details}}` body. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {unknown} [details]
   * @param {number|null} [retryAfter]
   */
  constructor(status, code, message, details = null, retryAfter = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }
}

/**
 * Parse a Server-Sent Events byte stream into `{event, data}` objects (data JSON-decoded
 * when it is JSON). Follows the WHATWG rules: CRLF/LF/CR line ends, multi-line `data:`,
 * `:` comments, default event name "message".
 * @param {ReadableStream<Uint8Array>} stream
 * @returns {AsyncGenerator<ServerSentEvent>}
 */
export async function* parseSSE(stream) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "";
  /** @type {string|undefined} */
  let id = undefined;
  /** @type {string[]} */
  let data = [];
  const dispatch = () => {
    if (data.length === 0) {
      event = "";
      return null;
    }
    const raw = data.join("\n");
    /** @type {ServerSentEvent} */
    const out = { event: event || "message", data: decodeData(raw) };
    if (id !== undefined) out.id = id;
    event = "";
    data = [];
    return out;
  };
  try {
    while (true) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      if (done) buffer += "\n\n";
      let match;
      // A trailing "\r" may be the first half of "\r\n": wait for more bytes (at the end the
      // appended blank line turns it into a line end).
      while ((match = /\r\n|\n|\r(?!$)/.exec(buffer))) {
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        if (line === "") {
          const out = dispatch();
          if (out) yield out;
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let val = colon === -1 ? "" : line.slice(colon + 1);
        if (val.startsWith(" ")) val = val.slice(1);
        if (field === "data") data.push(val);
        else if (field === "event") event = val;
        else if (field === "id") id = val;
      }
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}

/** @param {string} raw */
function decodeData(raw) {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** @param {Record<string, string|number|boolean|null|undefined>} params */
function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") q.set(key, String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

/**
 * The API client. Holds the session tokens, refreshes once on a 401 when it has a refresh
 * token, and tells `onTokens` whenever the tokens change so the caller can persist them.
 */
export class DynamicMcpClient {
  /**
   * @param {{baseUrl?: string, fetch?: typeof fetch, tokens?: Tokens|null,
   *          onTokens?: (tokens: Tokens|null) => void}} [options]
   */
  constructor(options = {}) {
    this.baseUrl = (options.baseUrl ?? "").replace(/\/+$/, "");
    this._fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    /** @type {Tokens|null} */
    this.tokens = options.tokens ?? null;
    this.onTokens = options.onTokens ?? null;
    /** @type {Promise<AuthSession>|null} */
    this._refreshing = null;
  }

  /** @param {Tokens|null} tokens */
  setTokens(tokens) {
    this.tokens = tokens
      ? {
          access_token: tokens.access_token,
          refresh_token: tokens.refresh_token ?? null,
          expires_at: tokens.expires_at ?? null,
        }
      : null;
    if (this.onTokens) this.onTokens(this.tokens);
  }

  get signedIn() {
    return Boolean(this.tokens && this.tokens.access_token);
  }

  /**
   * Send one request; JSON in, JSON out. Throws ApiError on a non-2xx answer.
   * @param {string} method
   * @param {string} path
   * @param {{body?: unknown, headers?: Record<string,string>, auth?: boolean, signal?: AbortSignal, raw?: boolean}} [opts]
   * @returns {Promise<any>}
   */
  async request(method, path, opts = {}) {
    const response = await this._send(method, path, opts);
    if (opts.raw) return response;
    if (response.status === 204) return null;
    const type = response.headers.get("content-type") || "";
    return type.includes("json") ? response.json() : response.text();
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {{body?: unknown, headers?: Record<string,string>, auth?: boolean, signal?: AbortSignal}} opts
   * @param {boolean} [retried]
   * @returns {Promise<Response>}
   */
  async _send(method, path, opts, retried = false) {
    /** @type {Record<string, string>} */
    const headers = { Accept: "application/json", ...(opts.headers || {}) };
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    const auth = opts.auth !== false;
    if (auth && this.tokens) headers.Authorization = `Bearer ${this.tokens.access_token}`;
    let response;
    try {
      response = await this._fetch(this.baseUrl + path, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: opts.signal,
      });
    } catch (err) {
      if (err && /** @type {any} */ (err).name === "AbortError") throw err;
      throw new ApiError(0, "network_error", "Could not reach the server. Check your connection and try again.", String(err));
    }
    if (response.status === 401 && auth && !retried && this.tokens?.refresh_token) {
      try {
        await this.refresh();
      } catch {
        this.setTokens(null);
        throw await toApiError(response);
      }
      return this._send(method, path, opts, true);
    }
    if (!response.ok) throw await toApiError(response);
    return response;
  }

  // --- auth ---------------------------------------------------------------------------------

  /** @returns {Promise<AuthConfig>} */
  authConfig() {
    return this.request("GET", "/api/auth/config", { auth: false });
  }

  /**
   * Sign in with a one-time sign-in link's token (embedded mode only). The server prints a link
   * when it starts; `dynamic-mcp sign-in-link` makes another. The link names the account.
   * @param {string} token
   * @returns {Promise<AuthSession>}
   */
  async signInLocal(token) {
    const body = { token };
    const session = await this.request("POST", "/api/auth/local", { body, auth: false });
    this.setTokens(session);
    return session;
  }

  /**
   * Exchange a Google ID token for a session.
   * @param {{idToken: string, nonce?: string, accessToken?: string}} google
   * @returns {Promise<AuthSession>}
   */
  async signInWithGoogle({ idToken, nonce, accessToken }) {
    const body = { id_token: idToken, nonce, access_token: accessToken };
    const session = await this.request("POST", "/api/auth/google", { body, auth: false });
    this.setTokens(session);
    return session;
  }

  /**
   * Rotate the tokens. Concurrent callers share one request: refresh tokens are single-use.
   * @returns {Promise<AuthSession>}
   */
  refresh() {
    if (!this._refreshing) {
      const refreshToken = this.tokens?.refresh_token;
      if (!refreshToken) return Promise.reject(new ApiError(401, "not_signed_in", "Please sign in again."));
      this._refreshing = this.request("POST", "/api/auth/refresh", {
        body: { refresh_token: refreshToken },
        auth: false,
      })
        .then((session) => {
          this.setTokens(session);
          return session;
        })
        .finally(() => {
          this._refreshing = null;
        });
    }
    return this._refreshing;
  }

  async logout() {
    try {
      if (this.tokens) await this.request("POST", "/api/auth/logout");
    } finally {
      this.setTokens(null);
    }
  }

  /** @returns {Promise<User>} */
  me() {
    return this.request("GET", "/api/me");
  }

  // --- chat ---------------------------------------------------------------------------------

  /**
   * One chat turn, answered as a whole.
   * `timezone` (IANA, default: the browser's) is the one schedules are read in.
   * @param {{message: string, sessionId?: string|null, timezone?: string}} turn
   */
  chat({ message, sessionId, timezone }) {
    return this.request("POST", "/api/chat", { body: chatBody(message, sessionId, timezone) });
  }

  /**
   * One chat turn, streamed: yields `session`, `text_delta`, `tool_start`, `tool_end`, `ui`,
   * `done` and `error` events as they arrive.
   * @param {{message: string, sessionId?: string|null, timezone?: string, signal?: AbortSignal}} turn
   * @returns {AsyncGenerator<ServerSentEvent>}
   */
  async *chatStream({ message, sessionId, timezone, signal }) {
    const response = await this._send("POST", "/api/chat", {
      body: chatBody(message, sessionId, timezone),
      headers: { Accept: "text/event-stream" },
      signal,
    });
    const type = response.headers.get("content-type") || "";
    if (!type.includes("text/event-stream") || !response.body) {
      // A server that answers JSON anyway: present it as the stream's final event.
      yield { event: "done", data: await response.json() };
      return;
    }
    yield* parseSSE(response.body);
  }

  /**
   * @param {{limit?: number, cursor?: string|null}} [page]
   */
  history({ limit, cursor } = {}) {
    return this.request("GET", `/api/chat/history${query({ limit, cursor })}`);
  }

  /**
   * @param {string} sessionId
   * @param {{limit?: number, cursor?: string|null}} [page]
   */
  messages(sessionId, { limit, cursor } = {}) {
    return this.request("GET", `/api/sessions/${encodeURIComponent(sessionId)}/messages${query({ limit, cursor })}`);
  }

  /** @param {string} sessionId */
  deleteSession(sessionId) {
    return this.request("DELETE", `/api/sessions/${encodeURIComponent(sessionId)}`);
  }

  // --- credentials --------------------------------------------------------------------------

  /**
   * Hand secrets for one server to the vault (never through chat text).
   * @param {string} sessionId
   * @param {string} server
   * @param {Record<string, string>} values
   */
  submitCredentials(sessionId, server, values) {
    return this.request("POST", `/api/sessions/${encodeURIComponent(sessionId)}/credentials`, {
      body: { server, values },
    });
  }

  listCredentials() {
    return this.request("GET", "/api/credentials");
  }

  /** @param {string} server @param {string} name */
  deleteCredential(server, name) {
    return this.request("DELETE", `/api/credentials/${encodeURIComponent(server)}/${encodeURIComponent(name)}`);
  }

  // --- OAuth connect ------------------------------------------------------------------------

  /**
   * A fresh single-use link that signs the user in to an OAuth server (e.g. Linear): open it in
   * the user's browser; when the sign-in completes the page says "<Service> is connected".
   * @param {string} server @param {string | null} [sessionId]
   */
  connectOAuth(server, sessionId = null) {
    return this.request("POST", "/api/oauth/connect", { body: { server, session_id: sessionId } });
  }

  listOAuthConnections() {
    return this.request("GET", "/api/oauth/connections");
  }

  /** Revoke (where the server supports it) and forget the tokens. @param {string} server */
  disconnectOAuth(server) {
    return this.request("DELETE", `/api/oauth/connections/${encodeURIComponent(server)}`);
  }

  // --- agents -------------------------------------------------------------------------------

  listAgents() {
    return this.request("GET", "/api/agents");
  }

  /** @param {string} agentId */
  getAgent(agentId) {
    return this.request("GET", `/api/agents/${encodeURIComponent(agentId)}`);
  }

  /** @param {string} agentId */
  startAgent(agentId) {
    return this.request("POST", `/api/agents/${encodeURIComponent(agentId)}/start`);
  }

  /** @param {string} agentId */
  stopAgent(agentId) {
    return this.request("POST", `/api/agents/${encodeURIComponent(agentId)}/stop`);
  }

  /**
   * @param {string} agentId
   * @param {string} message
   * @param {{sessionId?: string|null}} [opts]
   * @returns {Promise<{reply: string}>}
   */
  messageAgent(agentId, message, { sessionId } = {}) {
    return this.request("POST", `/api/agents/${encodeURIComponent(agentId)}/messages`, {
      body: { message, session_id: sessionId ?? undefined },
    });
  }

  /**
   * The generated fast-agent files.
   * @param {string} agentId
   * @param {{includeSecrets?: boolean}} [opts]
   * @returns {Promise<{files: Record<string, string>}>}
   */
  agentConfig(agentId, { includeSecrets } = {}) {
    const q = query({ include_secrets: includeSecrets ? "true" : undefined });
    return this.request("GET", `/api/agents/${encodeURIComponent(agentId)}/config${q}`);
  }

  /**
   * The generated fast-agent files as one zip archive.
   * @param {string} agentId
   * @returns {Promise<Blob>}
   */
  async agentConfigZip(agentId) {
    const response = await this.request("GET", `/api/agents/${encodeURIComponent(agentId)}/config?format=zip`, {
      raw: true,
      headers: { Accept: "application/zip" },
    });
    return response.blob();
  }

  // --- workflows: schedule and runs ---------------------------------------------------------

  /** The agent's schedule (or polled event), its task, steps and next run. @param {string} agentId */
  getSchedule(agentId) {
    return this.request("GET", `/api/agents/${encodeURIComponent(agentId)}/schedule`);
  }

  /**
   * Set, change, pause or resume the schedule: `{text: "every weekday at 8"}`, `{cron}`,
   * `{interval_seconds}`, `{event}`, with optional `timezone`, `task`, `paused`.
   * @param {string} agentId
   * @param {ScheduleChange} change
   */
  setSchedule(agentId, change) {
    return this.request("PUT", `/api/agents/${encodeURIComponent(agentId)}/schedule`, { body: change });
  }

  /** @param {string} agentId */
  pauseSchedule(agentId) {
    return this.setSchedule(agentId, { paused: true });
  }

  /** @param {string} agentId */
  resumeSchedule(agentId) {
    return this.setSchedule(agentId, { paused: false });
  }

  /** Remove the schedule: the agent then runs only when asked. @param {string} agentId */
  deleteSchedule(agentId) {
    return this.request("DELETE", `/api/agents/${encodeURIComponent(agentId)}/schedule`);
  }

  /** Queue a run of the agent's task now (202; poll `getRun` for its output). @param {string} agentId */
  runNow(agentId) {
    return this.request("POST", `/api/agents/${encodeURIComponent(agentId)}/runs`);
  }

  /**
   * @param {string} agentId
   * @param {{limit?: number, cursor?: string|null}} [page]
   */
  listRuns(agentId, { limit, cursor } = {}) {
    return this.request("GET", `/api/agents/${encodeURIComponent(agentId)}/runs${query({ limit, cursor })}`);
  }

  /** @param {string} agentId @param {string} runId */
  getRun(agentId, runId) {
    return this.request("GET", `/api/agents/${encodeURIComponent(agentId)}/runs/${encodeURIComponent(runId)}`);
  }

  health() {
    return this.request("GET", "/healthz", { auth: false });
  }
}

/** The browser's IANA time zone, when it has one. */
function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}

function chatBody(message, sessionId, timezone) {
  return { message, session_id: sessionId ?? undefined, timezone: timezone ?? browserTimeZone() };
}

/** @param {Response} response */
async function toApiError(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: fall through to a generic message
  }
  const err = body && typeof body === "object" ? body.error : null;
  const retry = Number(response.headers.get("retry-after"));
  const message =
    (err && typeof err.message === "string" && err.message) ||
    (body && typeof body.detail === "string" && body.detail) ||
    `The server answered ${response.status} ${response.statusText || ""}`.trim();
  return new ApiError(
    response.status,
    (err && err.code) || `http_${response.status}`,
    message,
    err ? err.details ?? null : null,
    Number.isFinite(retry) && retry > 0 ? retry : null,
  );
}
