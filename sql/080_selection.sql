-- Selection accuracy (issue 15).
--
-- 1. (Retired and unrunnable servers are filtered before the nearest-neighbour candidates are
--    taken since 060; a test keeps it so.)
-- 2. The brand bonus reads only the words the caller passes as `name_text` (ordinary words like
--    "find", "next", "run", "close", "time" are left out by catalog/naming.py), instead of every
--    word of the request. NULL keeps the old behaviour (all words).
-- 3. `naming_tsv`: every word of name, tags and slug, so catalog/naming.py can fetch the few
--    servers a request may name with one GIN lookup.

alter table public.mcp_servers add column naming_tsv tsvector generated always as (
  to_tsvector('simple', replace(name, '-', ' ') || ' ' || search_tags)
) stored;
create index mcp_servers_naming_tsv_idx on public.mcp_servers using gin (naming_tsv)
  with (fastupdate = off);
create index mcp_servers_tags_idx on public.mcp_servers using gin (tags) with (fastupdate = off);

drop function public.search_mcp_servers(
  text, extensions.vector, text, int, int, int, float, float, float, int, text[]);

-- As in 060, plus `name_text`: the words that may name a server (NULL: every word).
create or replace function public.search_mcp_servers(
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
  host_runtimes text[] default null,
  name_text text default null
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
  name_query tsquery := public.catalog_name_tsquery(coalesce(name_text, query_text));
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
     where fused.score > 0  -- a baseline with one side's weight 0 lists only the other side
     order by fused.score desc, fused.s_rank nulls last, m.slug
     limit $4
  $q$, coalesce(dims, 1))
  using query_text, query_embedding, embedding_model, match_count, candidate_count, rrf_k,
        full_text_weight, semantic_weight, name_weight, text_query, name_query, text_candidates,
        host_runtimes;
end
$$;

revoke execute on function public.search_mcp_servers(text, extensions.vector, text, int, int, int, float, float, float, int, text[], text) from public;
grant execute on function public.search_mcp_servers(text, extensions.vector, text, int, int, int, float, float, float, int, text[], text)
  to anon, authenticated, service_role;

-- The servers a request may name: any word of the request among their name/tag/slug words,
-- with how many live servers hold each of their tags (a rare tag is a name or a topic).
-- catalog/naming.py decides which of them the request really names.
create or replace function public.catalog_naming_candidates(query_text text)
returns table (slug text, name text, tags text[], tag_servers int[])
language sql stable
set search_path = public, extensions
as $$
  with hits as (
    select m.slug, m.name, m.tags
      from public.mcp_servers m
     where m.retired_at is null and m.naming_tsv @@ public.catalog_name_tsquery(query_text)
     limit 200
  )
  select h.slug, h.name, h.tags,
         coalesce((select array_agg((select count(*) from public.mcp_servers o
                                      where o.retired_at is null and o.tags @> array[t])::int
                                    order by ord)
                     from unnest(h.tags) with ordinality as u(t, ord)), '{}')
    from hits h
$$;
revoke execute on function public.catalog_naming_candidates(text) from public;
grant execute on function public.catalog_naming_candidates(text)
  to anon, authenticated, service_role;
