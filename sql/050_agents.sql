-- Agents: what the supervisor reports about a running fast-agent process.
-- `config` (001) holds the generated files' source (no secret values); these columns hold the
-- live state the API shows: the last error, connected servers and tools, and the process.
alter table public.agents
  add column if not exists error text,
  add column if not exists servers jsonb not null default '[]'::jsonb,
  add column if not exists tools jsonb not null default '[]'::jsonb,
  add column if not exists port int,
  add column if not exists pid int,
  add column if not exists last_used_at timestamptz;

create index if not exists agents_status_idx on public.agents (status) where status in ('starting', 'running');
