-- Core user data: chat sessions, their messages, stored credentials and agents.
-- Runs on Supabase and on the embedded database alike. Every table is owned by a user in
-- auth.users (cascade delete), has RLS enabled and explicit grants (no default privileges).

create extension if not exists vector with schema extensions;

create table public.sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title text not null default 'New chat' check (length(title) <= 200),
  context jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- keyset pagination of a user's sessions, newest activity first
create index sessions_user_updated_idx on public.sessions (user_id, updated_at desc, id desc);

create table public.chat_messages (
  id bigint generated always as identity primary key,
  session_id uuid not null references public.sessions (id) on delete cascade,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  role text not null check (role in ('user', 'assistant')),
  -- Anthropic-style content blocks (text, tool_use, tool_result) so tool calls are kept
  content jsonb not null check (jsonb_typeof(content) = 'array'),
  created_at timestamptz not null default now()
);
-- keyset pagination of a session's messages in order
create index chat_messages_session_id_idx on public.chat_messages (session_id, id);
create index chat_messages_user_idx on public.chat_messages (user_id);

create table public.user_credentials (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  server_slug text not null check (server_slug ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
  env_name text not null check (env_name ~ '^[A-Za-z_][A-Za-z0-9_-]{0,127}$'),
  ciphertext bytea not null,
  nonce bytea not null,
  key_id text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, server_slug, env_name)
);

create table public.agents (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  session_id uuid references public.sessions (id) on delete set null,
  name text not null check (name ~ '^[a-z][a-z0-9-]{0,62}$'),
  config jsonb not null default '{}'::jsonb,
  status text not null default 'configured'
    check (status in ('configured', 'starting', 'running', 'stopped', 'failed')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index agents_user_idx on public.agents (user_id, created_at desc);

-- Row level security: a user sees and changes only their own rows.
alter table public.sessions enable row level security;
alter table public.chat_messages enable row level security;
alter table public.user_credentials enable row level security;
alter table public.agents enable row level security;

create policy sessions_select on public.sessions for select to authenticated
  using ((select auth.uid()) = user_id);
create policy sessions_insert on public.sessions for insert to authenticated
  with check ((select auth.uid()) = user_id);
create policy sessions_update on public.sessions for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy sessions_delete on public.sessions for delete to authenticated
  using ((select auth.uid()) = user_id);

create policy chat_messages_select on public.chat_messages for select to authenticated
  using ((select auth.uid()) = user_id);
-- a message may only be posted into one of the user's own sessions
create policy chat_messages_insert on public.chat_messages for insert to authenticated
  with check (
    (select auth.uid()) = user_id
    and exists (select 1 from public.sessions s
                where s.id = session_id and s.user_id = (select auth.uid()))
  );
create policy chat_messages_delete on public.chat_messages for delete to authenticated
  using ((select auth.uid()) = user_id);

create policy user_credentials_select on public.user_credentials for select to authenticated
  using ((select auth.uid()) = user_id);
create policy user_credentials_insert on public.user_credentials for insert to authenticated
  with check ((select auth.uid()) = user_id);
create policy user_credentials_update on public.user_credentials for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy user_credentials_delete on public.user_credentials for delete to authenticated
  using ((select auth.uid()) = user_id);

create policy agents_select on public.agents for select to authenticated
  using ((select auth.uid()) = user_id);
create policy agents_insert on public.agents for insert to authenticated
  with check (
    (select auth.uid()) = user_id
    and (session_id is null or exists (select 1 from public.sessions s
         where s.id = session_id and s.user_id = (select auth.uid())))
  );
create policy agents_update on public.agents for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy agents_delete on public.agents for delete to authenticated
  using ((select auth.uid()) = user_id);

grant select, insert, update, delete on public.sessions, public.user_credentials, public.agents
  to authenticated, service_role;
grant select, insert, delete on public.chat_messages to authenticated;
grant select, insert, update, delete on public.chat_messages to service_role;
