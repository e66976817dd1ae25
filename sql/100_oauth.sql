-- OAuth connect for remote MCP servers: this service is the OAuth client.
-- Tokens themselves live in public.user_credentials (names OAUTH_ACCESS_TOKEN and
-- OAUTH_REFRESH_TOKEN), under the same key ring and AAD binding as every other credential.

-- How this service is known to each authorization server (Client ID Metadata Document or a
-- dynamic registration), cached per issuer and redirect URI. Users read only their connections' row.
-- ciphertext holds the client secret ('' for a public client) bound to ('oauth-client', issuer,
-- client_id), so key rotation re-encrypts it with the rest.
create table public.oauth_clients (
  issuer text not null,
  redirect_uri text not null,
  client_id text not null,
  method text not null check (method in ('metadata_document', 'dynamic_registration')),
  token_endpoint_auth_method text not null default 'none',
  ciphertext bytea not null,
  nonce bytea not null,
  key_id text not null,
  created_at timestamptz not null default now(),
  primary key (issuer, redirect_uri)
);
create index oauth_clients_key_id_idx on public.oauth_clients (key_id);
alter table public.oauth_clients enable row level security;
grant select, insert, update, delete on public.oauth_clients to service_role;

-- One authorization in progress. A row starts as a single-use ticket (the "Connect" link);
-- opening the link turns it into a single-use state bound to that browser (browser_hash is the
-- hash of an HttpOnly cookie), the user and the chat session. Only hashes of the ticket, the
-- state and the cookie are stored.
create table public.oauth_requests (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  session_id uuid references public.sessions (id) on delete cascade,
  server_slug text not null,
  ticket_hash text unique,
  state_hash text unique,
  browser_hash text,
  code_verifier text,
  issuer text,
  client_id text,
  redirect_uri text,
  resource text,
  scope text,
  token_endpoint text,
  revocation_endpoint text,
  iss_required boolean not null default false,
  expires_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index oauth_requests_user_idx on public.oauth_requests (user_id);
alter table public.oauth_requests enable row level security;
create policy oauth_requests_select on public.oauth_requests for select to authenticated
  using ((select auth.uid()) = user_id);
create policy oauth_requests_insert on public.oauth_requests for insert to authenticated
  with check (
    (select auth.uid()) = user_id
    and (session_id is null or exists (select 1 from public.sessions s
         where s.id = session_id and s.user_id = (select auth.uid())))
  );
create policy oauth_requests_delete on public.oauth_requests for delete to authenticated
  using ((select auth.uid()) = user_id);
grant select, insert, delete on public.oauth_requests to authenticated;
grant select, insert, update, delete on public.oauth_requests to service_role;

-- A user's OAuth connection to one catalog server: where to refresh and revoke, when the access
-- token expires, and whether the user must connect again. No secret here.
create table public.oauth_connections (
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  server_slug text not null,
  issuer text not null,
  client_id text not null,
  resource text not null,
  scope text,
  token_endpoint text not null,
  revocation_endpoint text,
  expires_at timestamptz,
  status text not null default 'connected' check (status in ('connected', 'needs_reauthorization')),
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (user_id, server_slug)
);
alter table public.oauth_connections enable row level security;
create policy oauth_connections_select on public.oauth_connections for select to authenticated
  using ((select auth.uid()) = user_id);
create policy oauth_connections_insert on public.oauth_connections for insert to authenticated
  with check ((select auth.uid()) = user_id);
create policy oauth_connections_update on public.oauth_connections for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy oauth_connections_delete on public.oauth_connections for delete to authenticated
  using ((select auth.uid()) = user_id);
grant select, insert, update, delete on public.oauth_connections to authenticated;
grant select, insert, update, delete on public.oauth_connections to service_role;

-- A user's request may read the client its own connection uses (to refresh or revoke with it).
create policy oauth_clients_select on public.oauth_clients for select to authenticated
  using (exists (select 1 from public.oauth_connections c
                 where c.user_id = (select auth.uid())
                   and c.issuer = oauth_clients.issuer and c.client_id = oauth_clients.client_id));
grant select on public.oauth_clients to authenticated;
