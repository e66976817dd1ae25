-- Rate-limit counters shared by every service instance on this database.
-- A sliding window per key, approximated from two fixed one-minute windows (the previous
-- window's count weighted by how much of it still overlaps, plus the current one), as
-- Cloudflare and nginx-style limiters do: one row per key and minute, one round trip per request.
-- UNLOGGED: counters are worth nothing after a crash and cost no WAL.
-- Service only: RLS on, no grants to users; the function runs as its caller.

create unlogged table public.rate_limit_counters (
  key text not null check (length(key) <= 300),
  window_start timestamptz not null,
  hits integer not null,
  primary key (key, window_start)
);

alter table public.rate_limit_counters enable row level security;
create policy rate_limit_counters_service on public.rate_limit_counters for all to service_role
  using (true) with check (true);
revoke all on public.rate_limit_counters from public, anon, authenticated;
grant select, insert, update, delete on public.rate_limit_counters to service_role;

-- Count one request against every key at once. Returns, per key, the seconds until the request
-- would pass (all 0 = allowed); when any key is over its limit, the request counts for none.
create function public.rate_limit_hit(p_keys text[], p_limits integer[], p_window_seconds integer)
returns double precision[]
language plpgsql
set search_path = ''
as $$
declare
  now_epoch double precision := extract(epoch from clock_timestamp());
  cur_epoch double precision := floor(now_epoch / p_window_seconds) * p_window_seconds;
  cur_start timestamptz := to_timestamp(cur_epoch);
  elapsed double precision := (now_epoch - cur_epoch) / p_window_seconds;  -- 0 .. 1
  waits double precision[] := '{}';
  cur_hits integer;
  prev_hits integer;
  i integer;
begin
  for i in 1 .. coalesce(array_length(p_keys, 1), 0) loop
    -- The upsert locks the row, so concurrent requests (from any instance) count in turn;
    -- callers pass keys sorted, so two requests never lock the same rows in opposite orders.
    insert into public.rate_limit_counters as c (key, window_start, hits)
    values (p_keys[i], cur_start, 1)
    on conflict (key, window_start) do update set hits = c.hits + 1
    returning hits into cur_hits;
    select c.hits into prev_hits from public.rate_limit_counters c
    where c.key = p_keys[i] and c.window_start = to_timestamp(cur_epoch - p_window_seconds);
    prev_hits := coalesce(prev_hits, 0);
    waits[i] := 0;
    if prev_hits * (1 - elapsed) + cur_hits > p_limits[i] then
      if cur_hits <= p_limits[i] then
        -- passes once enough of the previous window has slid out
        waits[i] := (1 - (p_limits[i] - cur_hits)::double precision / prev_hits - elapsed)
                    * p_window_seconds;
      else
        -- the current window alone is full: wait into the next one
        waits[i] := (2 - elapsed - (p_limits[i] - 1)::double precision / (cur_hits - 1))
                    * p_window_seconds;
      end if;
    end if;
  end loop;
  if 0 < any (waits) then
    -- Refused requests do not count: a client that waits as told gets through.
    update public.rate_limit_counters c set hits = c.hits - 1
    where c.key = any (p_keys) and c.window_start = cur_start;
  end if;
  if random() < 0.01 then  -- now and then, drop windows too old to matter
    delete from public.rate_limit_counters c
    where c.window_start < to_timestamp(cur_epoch - 2 * p_window_seconds);
  end if;
  return waits;
end
$$;
revoke all on function public.rate_limit_hit(text[], integer[], integer)
  from public, anon, authenticated;
grant execute on function public.rate_limit_hit(text[], integer[], integer) to service_role;
