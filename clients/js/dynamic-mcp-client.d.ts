// Types for dynamic-mcp-client.js (hand-written; the module itself carries matching JSDoc).

export interface Tokens {
  access_token: string;
  refresh_token?: string | null;
  expires_at?: number | null;
}

export interface User {
  id: string;
  email: string | null;
  name?: string | null;
  avatar_url?: string | null;
}

export interface AuthSession extends Tokens {
  token_type?: "bearer";
  user?: User;
}

export interface AuthConfig {
  mode: "local" | "supabase";
  supabase_url: string | null;
  supabase_anon_key: string | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Message {
  id: string;
  role: "user" | "assistant" | "tool" | string;
  content: unknown;
  created_at: string;
}

export interface SessionSummary {
  id: string;
  title: string | null;
  created_at: string;
  updated_at: string;
  last_message: { role: string; text: string; created_at: string } | null;
}

export interface ToolCall {
  id: string;
  name: string;
  input: Record<string, unknown>;
  is_error: boolean;
  summary: string;
}

export interface CredentialItem {
  name: string;
  description?: string;
  secret: boolean;
  required: boolean;
  obtain_url?: string | null;
  example?: string | null;
  pattern?: string | null;
  /** A path on the service's machine ("directory" or "file"), inside a folder it shares with agents. */
  path?: "directory" | "file" | null;
  provided: boolean;
}

export type UiEvent =
  | {
      type: "servers_found";
      servers: { slug: string; name: string; description: string; score: number; why?: string; credentials: unknown[] }[];
    }
  | {
      type: "credentials_requested";
      servers: {
        server: string;
        name: string;
        complete: boolean;
        items: CredentialItem[];
        /** Present for OAuth servers: open connect_url (single use) to sign in. */
        oauth?: { status: "connected" | "not_connected" | "needs_reauthorization"; connect_url: string | null; label: string };
      }[];
      /** Present when an item is a host path: which folders the service shares with agents. */
      host_paths?: string;
    }
  | { type: "config_built"; agent_id: string; name: string; servers: unknown[] }
  | { type: "agent_started"; agent_id: string; status: string; servers: unknown[]; tools: unknown[] };

export interface ChatResponse {
  session_id: string;
  reply: string;
  message: Message;
  tool_calls: ToolCall[];
  events: UiEvent[];
}

export type ServerSentEvent =
  | { event: "session"; data: { session_id: string }; id?: string }
  | { event: "text_delta"; data: { text: string }; id?: string }
  | { event: "tool_start"; data: { id: string; name: string; input: Record<string, unknown> }; id?: string }
  | { event: "tool_end"; data: { id: string; name: string; is_error: boolean; summary: string }; id?: string }
  | { event: "ui"; data: UiEvent; id?: string }
  | { event: "done"; data: ChatResponse; id?: string }
  | { event: "error"; data: { error: { code: string; message: string } }; id?: string }
  | { event: string; data: unknown; id?: string };

export interface CredentialResult {
  server: string;
  stored: string[];
  missing: string[];
  complete: boolean;
}

export interface StoredCredential {
  server: string;
  name: string;
  last4: string;
  created_at: string;
  updated_at: string;
}

export interface Agent {
  id: string;
  name: string;
  status: string;
  servers: unknown[];
  tools: unknown[];
  error: string | null;
  session_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface WorkflowStep {
  kind: "read" | "do" | "deliver";
  description: string;
  servers: string[];
}

export interface PollEvent {
  description: string;
  check: string;
  every_minutes: number;
  id_field: string;
}

export interface Schedule {
  agent_id: string;
  trigger: "schedule" | "event" | "on_demand";
  cron: string | null;
  interval_seconds: number | null;
  timezone: string;
  /** In words, e.g. "every weekday at 08:00 Europe/Berlin". */
  description: string;
  event: PollEvent | null;
  steps: WorkflowStep[];
  task: string;
  paused: boolean;
  next_run_at: string | null;
  /** In the schedule's zone, e.g. "tomorrow 08:00". */
  next_run: string | null;
}

export interface ScheduleChange {
  text?: string;
  cron?: string;
  interval_seconds?: number;
  event?: Partial<PollEvent> & { description: string; check: string };
  timezone?: string;
  task?: string;
  paused?: boolean;
}

export interface Run {
  id: string;
  agent_id: string;
  trigger: "schedule" | "manual" | "event";
  status: "queued" | "running" | "succeeded" | "failed";
  scheduled_for: string;
  started_at: string | null;
  finished_at: string | null;
  output: string | null;
  error: string | null;
  tool_calls: Record<string, unknown>[];
  usage: Record<string, unknown> | null;
  event_items: Record<string, unknown>[] | null;
}

export declare class ApiError extends Error {
  constructor(status: number, code: string, message: string, details?: unknown, retryAfter?: number | null);
  status: number;
  code: string;
  details: unknown;
  retryAfter: number | null;
}

export declare function parseSSE(stream: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent>;

export interface ClientOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
  tokens?: Tokens | null;
  onTokens?: (tokens: Tokens | null) => void;
}

export declare class DynamicMcpClient {
  constructor(options?: ClientOptions);
  baseUrl: string;
  tokens: Tokens | null;
  onTokens: ((tokens: Tokens | null) => void) | null;
  readonly signedIn: boolean;
  setTokens(tokens: Tokens | null): void;
  request(
    method: string,
    path: string,
    opts?: { body?: unknown; headers?: Record<string, string>; auth?: boolean; signal?: AbortSignal; raw?: boolean },
  ): Promise<any>;

  authConfig(): Promise<AuthConfig>;
  signInLocal(token: string): Promise<AuthSession>;
  signInWithGoogle(google: { idToken: string; nonce?: string; accessToken?: string }): Promise<AuthSession>;
  refresh(): Promise<AuthSession>;
  logout(): Promise<void>;
  me(): Promise<User>;

  chat(turn: { message: string; sessionId?: string | null; timezone?: string }): Promise<ChatResponse>;
  chatStream(turn: { message: string; sessionId?: string | null; timezone?: string; signal?: AbortSignal }): AsyncGenerator<ServerSentEvent>;
  history(page?: { limit?: number; cursor?: string | null }): Promise<Page<SessionSummary>>;
  messages(sessionId: string, page?: { limit?: number; cursor?: string | null }): Promise<Page<Message>>;
  deleteSession(sessionId: string): Promise<null>;

  submitCredentials(sessionId: string, server: string, values: Record<string, string>): Promise<CredentialResult>;
  listCredentials(): Promise<{ items: StoredCredential[] }>;
  deleteCredential(server: string, name: string): Promise<null>;

  connectOAuth(server: string, sessionId?: string | null): Promise<{ server: string; connect_url: string; expires_in: number }>;
  listOAuthConnections(): Promise<{ items: { server: string; status: string; scope: string | null; expires_at: string | null; error: string | null }[] }>;
  disconnectOAuth(server: string): Promise<null>;

  listAgents(): Promise<{ items: Agent[] }>;
  getAgent(agentId: string): Promise<Agent>;
  startAgent(agentId: string): Promise<Agent>;
  stopAgent(agentId: string): Promise<Agent>;
  messageAgent(agentId: string, message: string, opts?: { sessionId?: string | null }): Promise<{ reply: string }>;
  agentConfig(agentId: string, opts?: { includeSecrets?: boolean }): Promise<{ files: Record<string, string> }>;
  agentConfigZip(agentId: string): Promise<Blob>;
  getSchedule(agentId: string): Promise<Schedule>;
  setSchedule(agentId: string, change: ScheduleChange): Promise<Schedule>;
  pauseSchedule(agentId: string): Promise<Schedule>;
  resumeSchedule(agentId: string): Promise<Schedule>;
  deleteSchedule(agentId: string): Promise<null>;
  runNow(agentId: string): Promise<Run>;
  listRuns(agentId: string, page?: { limit?: number; cursor?: string | null }): Promise<{ runs: Run[]; next_cursor: string | null }>;
  getRun(agentId: string, runId: string): Promise<Run>;
  health(): Promise<unknown>;
}
