-- Chat history pagination: a user's sessions newest first by creation time. Creation time never
-- changes, so a keyset cursor over (created_at, id) is stable while messages are added.
create index if not exists sessions_user_created_idx
  on public.sessions (user_id, created_at desc, id desc);
