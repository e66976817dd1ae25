-- An agent may be linked only to one of its owner's own chat sessions, on update as on insert.
-- A foreign key check ignores RLS, so without this a user could point an agent at another
-- user's session id by renaming or rebuilding it (the insert policy already refused that).
drop policy if exists agents_update on public.agents;
create policy agents_update on public.agents for update to authenticated
  using ((select auth.uid()) = user_id)
  with check (
    (select auth.uid()) = user_id
    and (session_id is null or exists (select 1 from public.sessions s
         where s.id = session_id and s.user_id = (select auth.uid())))
  );
