-- Workflows that run: an agent's trigger and steps, its run history, and the event items it has
-- already seen. Users read their own rows (RLS); they change their workflow through the API as
-- themselves; runs and seen items are written by the service (the scheduler has no user token).

create table public.agent_workflows (
  agent_id uuid primary key references public.agents (id) on delete cascade,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  trigger text not null default 'on_demand' check (trigger in ('schedule', 'event', 'on_demand')),
  cron text,
  interval_seconds int check (interval_seconds is null or interval_seconds > 0),
  timezone text not null default 'UTC',
  -- a polled event: {"check": message, "every_minutes": n, "id_field": "id", "description": ...}
  event jsonb,
  steps jsonb not null default '[]'::jsonb,
  task text not null check (length(task) between 1 and 20000),
  paused boolean not null default false,
  next_run_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (trigger <> 'schedule' or (cron is null) <> (interval_seconds is null)),
  check (trigger <> 'event' or event is not null)
);
-- The sweep's query: the next due, unpaused workflows.
create index agent_workflows_due_idx on public.agent_workflows (next_run_at)
  where not paused and next_run_at is not null;
create index agent_workflows_user_idx on public.agent_workflows (user_id);

create table public.agent_runs (
  id uuid primary key default gen_random_uuid(),
  agent_id uuid not null references public.agents (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  trigger text not null check (trigger in ('schedule', 'manual', 'event')),
  scheduled_for timestamptz not null,
  status text not null default 'queued'
    check (status in ('queued', 'running', 'succeeded', 'failed')),
  started_at timestamptz,
  finished_at timestamptz,
  output text,
  error text,
  tool_calls jsonb not null default '[]'::jsonb,
  usage jsonb,
  event_items jsonb,
  created_at timestamptz not null default now(),
  -- At most one run per agent and due time, whichever service instance gets there first.
  unique (agent_id, scheduled_for)
);
create index agent_runs_agent_idx on public.agent_runs (agent_id, scheduled_for desc);
create index agent_runs_user_idx on public.agent_runs (user_id);

create table public.workflow_seen_items (
  agent_id uuid not null references public.agents (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  item_key text not null,
  seen_at timestamptz not null default now(),
  primary key (agent_id, item_key)
);
create index workflow_seen_items_user_idx on public.workflow_seen_items (user_id);

alter table public.agent_workflows enable row level security;
alter table public.agent_runs enable row level security;
alter table public.workflow_seen_items enable row level security;

create policy agent_workflows_select on public.agent_workflows for select to authenticated
  using ((select auth.uid()) = user_id);
create policy agent_workflows_insert on public.agent_workflows for insert to authenticated
  with check (
    (select auth.uid()) = user_id
    and exists (select 1 from public.agents a
                where a.id = agent_id and a.user_id = (select auth.uid()))
  );
create policy agent_workflows_update on public.agent_workflows for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy agent_workflows_delete on public.agent_workflows for delete to authenticated
  using ((select auth.uid()) = user_id);

create policy agent_runs_select on public.agent_runs for select to authenticated
  using ((select auth.uid()) = user_id);
create policy workflow_seen_items_select on public.workflow_seen_items for select to authenticated
  using ((select auth.uid()) = user_id);

grant select, insert, update, delete on public.agent_workflows to authenticated, service_role;
grant select on public.agent_runs, public.workflow_seen_items to authenticated;
grant select, insert, update, delete on public.agent_runs, public.workflow_seen_items
  to service_role;
