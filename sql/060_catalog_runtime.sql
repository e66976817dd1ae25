-- What each catalog server needs to run, and a search that offers only what runs here.
--
-- `requires` lists the runtimes an entry needs ('node' for npx, 'uv' for uvx, 'docker',
-- 'network' for one that must reach a vendor at start or is remote, 'lib:<name>' for a native
-- library). The service detects what its host has and passes that set to the search: servers
-- needing anything else are left out of the candidates before the top k are taken, so a host
-- without Docker is never offered a Docker image ahead of a runnable alternative.
-- `verify_status` is the last `dynamic-mcp catalog verify` outcome: one that could not start
-- anywhere (package gone, crash at start, tools the SDK rejects, an interactive sign-in step
-- before it starts) is not runnable at all.

alter table public.mcp_servers
  add column requires text[] not null default '{}',
  add column archived boolean not null default false,
  add column verify_status text;

create or replace function public.catalog_runnable(
  requires text[], verify_status text, host_runtimes text[]
)
returns boolean
language sql immutable parallel safe
as $$
  select host_runtimes is null
      or (requires <@ host_runtimes
          and coalesce(verify_status, '') not in ('not_found', 'crashed', 'invalid_tools',
                                                  'needs_oauth'))
$$;
grant execute on function public.catalog_runnable(text[], text, text[])
  to anon, authenticated, service_role;

drop function public.search_mcp_servers(
  text, extensions.vector, text, int, int, int, float, float, float, int
);

-- As in 010, plus `host_runtimes` (null: no filter) applied inside both candidate lists, and
-- `requires` / `runnable` in the result.
create function public.search_mcp_servers(
  query_text text,
  query_embedding extensions.vector,
  embedding_model text,
  match_count int default 5,
  candidate_count int default 40,
  rrf_k int default 60,
  full_text_weight float default 1.0,
  semantic_weight float default 1.0,
  name_weight float default 1.5,
  text_candidates int default 200,
  host_runtimes text[] default null
)
returns table (
  slug text, name text, description text, score float, why text, credentials jsonb,
  semantic_rank int, text_rank int, similarity float, requires text[], runnable boolean
)
language plpgsql stable
set search_path = public, extensions
set hnsw.ef_search = 100
set random_page_cost = 1.1
set hnsw.iterative_scan = 'relaxed_order'
as $$
declare
  dims int := case when query_embedding is null then null
                   else extensions.vector_dims(query_embedding) end;
  text_query tsquery := public.catalog_or_tsquery(query_text);
  name_query tsquery := public.catalog_name_tsquery(query_text);
begin
  if dims is not null and dims not between 1 and 2000 then
    raise exception 'query embedding has % dimensions; at most 2000 are supported', dims;
  end if;
  return query execute format($q$
    with semantic as (  -- the join filters inside the ordered scan (HNSW iterative scan)
      select e.server_id,
             (e.embedding::extensions.vector(%1$s) <=> $2::extensions.vector(%1$s)) as distance
        from public.mcp_server_embeddings e
        join public.mcp_servers m on m.id = e.server_id and m.retired_at is null
       where $2 is not null and e.dimensions = %1$s and e.model = $3
         and public.catalog_runnable(m.requires, m.verify_status, $13)
       order by e.embedding::extensions.vector(%1$s) <=> $2::extensions.vector(%1$s)
       limit $5
    ),
    semantic_ranked as (
      select s.server_id, s.distance,
             row_number() over (order by s.distance) as rank_ix
        from semantic s
    ),
    text_hits as (  -- the GIN index finds the matches; the cheap ts_rank keeps the best
      select m.id, m.search_tsv, (m.name_tsv @@ $11) as name_hit
        from public.mcp_servers m
       where m.retired_at is null and (m.search_tsv @@ $10 or m.name_tsv @@ $11)
         and public.catalog_runnable(m.requires, m.verify_status, $13)
       order by 3 desc, ts_rank(m.search_tsv, $10, 1) desc, m.id
       limit $12
    ),
    full_text as (  -- the cover-density rank orders only those
      select h.id as server_id, h.name_hit,
             row_number() over (order by h.name_hit desc,
                                         ts_rank_cd(h.search_tsv, $10, 1) desc, h.id) as rank_ix
        from text_hits h
       order by rank_ix
       limit $5
    ),
    fused as (
      select coalesce(s.server_id, f.server_id) as server_id,
             coalesce(1.0 / ($6 + s.rank_ix), 0.0) * $8
               + coalesce(1.0 / ($6 + f.rank_ix), 0.0) * $7
               -- a request that names the service: as strong as a first place in a list
               + case when f.name_hit then $9 / ($6 + 1.0) else 0.0 end as score,
             s.rank_ix as s_rank, f.rank_ix as f_rank, s.distance
        from semantic_ranked s
        full outer join full_text f on f.server_id = s.server_id
    )
    select m.slug, m.name, m.description, fused.score::float,
           case when fused.s_rank is not null and fused.f_rank is not null then 'both'
                when fused.s_rank is not null then 'vector' else 'text' end,
           m.credentials, fused.s_rank::int, fused.f_rank::int,
           (1 - fused.distance)::float, m.requires,
           public.catalog_runnable(m.requires, m.verify_status, coalesce($13, m.requires))
      from fused join public.mcp_servers m on m.id = fused.server_id
     order by fused.score desc, fused.s_rank nulls last, m.slug
     limit $4
  $q$, coalesce(dims, 1))
  using query_text, query_embedding, embedding_model, match_count, candidate_count, rrf_k,
        full_text_weight, semantic_weight, name_weight, text_query, name_query, text_candidates,
        host_runtimes;
end
$$;

revoke execute on function public.search_mcp_servers(text, extensions.vector, text, int, int, int, float, float, float, int, text[]) from public;
grant execute on function public.search_mcp_servers(text, extensions.vector, text, int, int, int, float, float, float, int, text[])
  to anon, authenticated, service_role;
