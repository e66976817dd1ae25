-- Refresh tokens of the embedded default's local sign-in (POST /api/auth/local).
-- Supabase mode never writes here (Supabase Auth keeps its own sessions). Only the SHA-256 of
-- each token is stored; a token is single-use, and reusing a spent one revokes its session.
-- No user may touch this table: RLS on, the one policy names service_role, and only
-- service_role is granted (authenticated and anon have no privilege at all).

create table public.local_refresh_tokens (
  id bigint generated always as identity primary key,
  token_hash bytea not null unique check (length(token_hash) = 32),
  user_id uuid not null references auth.users (id) on delete cascade,
  session_id uuid not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz,
  revoked_at timestamptz
);
create index local_refresh_tokens_session_idx on public.local_refresh_tokens (session_id);
create index local_refresh_tokens_user_idx on public.local_refresh_tokens (user_id);

alter table public.local_refresh_tokens enable row level security;
create policy local_refresh_tokens_service on public.local_refresh_tokens for all to service_role
  using (true) with check (true);
revoke all on public.local_refresh_tokens from public, anon, authenticated;
grant select, insert, update, delete on public.local_refresh_tokens to service_role;
