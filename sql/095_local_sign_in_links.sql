-- One-time sign-in links for the embedded default's single operator (POST /api/auth/local).
-- The service prints a link at start and `dynamic-mcp sign-in-link` makes more; whoever holds
-- one may sign in once, as the account it names, before it expires. Only the SHA-256 of each
-- token is stored. No user may touch this table: RLS on, only service_role is granted.

create table public.local_sign_in_links (
  token_hash bytea primary key check (length(token_hash) = 32),
  email text not null,
  name text,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
create index local_sign_in_links_expires_idx on public.local_sign_in_links (expires_at);

alter table public.local_sign_in_links enable row level security;
create policy local_sign_in_links_service on public.local_sign_in_links for all to service_role
  using (true) with check (true);
revoke all on public.local_sign_in_links from public, anon, authenticated;
grant select, insert, update, delete on public.local_sign_in_links to service_role;
