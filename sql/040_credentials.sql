-- Secrets pasted into chat, held (encrypted) under the reference the model sees: [secret:N].
-- The model passes the reference to save_credential; the server resolves it here.

create table public.pending_secrets (
  session_id uuid not null references public.sessions (id) on delete cascade,
  ref integer not null check (ref between 1 and 1000000),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  ciphertext bytea not null,
  nonce bytea not null,
  key_id text not null,
  created_at timestamptz not null default now(),
  primary key (session_id, ref)
);
create index pending_secrets_user_idx on public.pending_secrets (user_id);
create index pending_secrets_key_id_idx on public.pending_secrets (key_id);
-- the start-up key check and rotation look rows up by key id
create index user_credentials_key_id_idx on public.user_credentials (key_id);

alter table public.pending_secrets enable row level security;

create policy pending_secrets_select on public.pending_secrets for select to authenticated
  using ((select auth.uid()) = user_id);
-- a secret may only be attached to one of the user's own sessions
create policy pending_secrets_insert on public.pending_secrets for insert to authenticated
  with check (
    (select auth.uid()) = user_id
    and exists (select 1 from public.sessions s
                where s.id = session_id and s.user_id = (select auth.uid()))
  );
create policy pending_secrets_delete on public.pending_secrets for delete to authenticated
  using ((select auth.uid()) = user_id);

grant select, insert, delete on public.pending_secrets to authenticated;
grant select, insert, update, delete on public.pending_secrets to service_role;
