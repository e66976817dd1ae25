-- A vector per tool (issue 15): a long request that describes tool actions ("list the open
-- pull requests, then comment on each") matches one tool's description much better than a
-- whole server's. The search routes server <- tools: a server is ranked also by its best
-- tool, fused with the server-level rankings with its own weight.
--
-- Rows are keyed by (server, tool name, model) like mcp_server_embeddings: the loader writes
-- them from the entry's tools (its own list and the tools verification saw it declare).

create table public.mcp_tool_embeddings (
  server_id bigint not null references public.mcp_servers (id) on delete cascade,
  tool_name text not null check (length(tool_name) between 1 and 200),
  model text not null check (length(model) between 1 and 200),
  dimensions int not null check (dimensions between 1 and 2000),
  content_hash text not null,                 -- sha256 of the text the vector was made from
  embedding extensions.vector not null check (extensions.vector_dims(embedding) = dimensions),
  created_at timestamptz not null default now(),
  primary key (server_id, tool_name, model)
);
create index mcp_tool_embeddings_model_idx on public.mcp_tool_embeddings (model, dimensions);
create index mcp_tool_embeddings_hnsw_384 on public.mcp_tool_embeddings
  using hnsw ((embedding::extensions.vector(384)) extensions.vector_cosine_ops)
  where dimensions = 384;
create index mcp_tool_embeddings_hnsw_1536 on public.mcp_tool_embeddings
  using hnsw ((embedding::extensions.vector(1536)) extensions.vector_cosine_ops)
  where dimensions = 1536;

alter table public.mcp_tool_embeddings enable row level security;
create policy mcp_tool_embeddings_read on public.mcp_tool_embeddings for select
  to anon, authenticated using (true);
create policy mcp_tool_embeddings_write on public.mcp_tool_embeddings for all
  to service_role using (true) with check (true);
grant select on public.mcp_tool_embeddings to anon, authenticated;
grant select, insert, update, delete on public.mcp_tool_embeddings to service_role;

drop function public.search_mcp_servers(
  text, extensions.vector, text, int, int, int, float, float, float, int, text[], text);

-- As in 080, plus `tool_weight` (0 leaves tools out: the baselines) and, per server, its best
-- matching tool with that tool's similarity. `similarity` is the server's own, for every row
-- (a server found by its tools or its text alone gets it too).
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
  host_runtimes text[] default null,
  name_text text default null,
  tool_weight float default 0.0
)
returns table (
  slug text, name text, description text, score float, why text, credentials jsonb,
  semantic_rank int, text_rank int, similarity float, requires text[], runnable boolean,
  tool_rank int, best_tool text, tool_similarity float
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
    tool_hits as (  -- nearest tools; several per server, so more rows than servers wanted
      select t.server_id, t.tool_name,
             (t.embedding::extensions.vector(%1$s) <=> $2::extensions.vector(%1$s)) as distance
        from public.mcp_tool_embeddings t
        join public.mcp_servers m on m.id = t.server_id and m.retired_at is null
       where $2 is not null and $14 > 0 and t.dimensions = %1$s and t.model = $3
         and public.catalog_runnable(m.requires, m.verify_status, $13)
       order by t.embedding::extensions.vector(%1$s) <=> $2::extensions.vector(%1$s)
       limit $5 * 4
    ),
    tool_ranked as (  -- each server by its best tool
      select b.server_id, b.tool_name, b.distance,
             row_number() over (order by b.distance) as rank_ix
        from (select distinct on (h.server_id) h.server_id, h.tool_name, h.distance
                from tool_hits h order by h.server_id, h.distance) b
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
    found as (
      select server_id from semantic_ranked
      union select server_id from full_text
      union select server_id from tool_ranked
    ),
    fused as (
      select i.server_id,
             coalesce(1.0 / ($6 + s.rank_ix), 0.0) * $8
               + coalesce(1.0 / ($6 + f.rank_ix), 0.0) * $7
               + case when f.name_hit then $9 / ($6 + 1.0) else 0.0 end
               + coalesce(1.0 / ($6 + t.rank_ix), 0.0) * $14 as score,
             s.rank_ix as s_rank, f.rank_ix as f_rank, t.rank_ix as t_rank,
             t.tool_name, t.distance as tool_distance
        from found i
        left join semantic_ranked s on s.server_id = i.server_id
        left join full_text f on f.server_id = i.server_id
        left join tool_ranked t on t.server_id = i.server_id
    ),
    best as (
      select fused.*, m.slug from fused join public.mcp_servers m on m.id = fused.server_id
       where fused.score > 0  -- a baseline with one side's weight 0 lists only the other side
       order by fused.score desc, fused.s_rank nulls last, m.slug
       limit $4
    )
    select m.slug, m.name, m.description, best.score::float,
           case when best.s_rank is not null and best.f_rank is not null then 'both'
                when best.s_rank is not null then 'vector'
                when best.f_rank is not null then 'text' else 'tool' end,
           m.credentials, best.s_rank::int, best.f_rank::int,
           (select 1 - (e.embedding <=> $2) from public.mcp_server_embeddings e
             where e.server_id = m.id and e.model = $3)::float,
           m.requires,
           public.catalog_runnable(m.requires, m.verify_status, coalesce($13, m.requires)),
           best.t_rank::int, best.tool_name, (1 - best.tool_distance)::float
      from best join public.mcp_servers m on m.id = best.server_id
     order by best.score desc, best.s_rank nulls last, best.slug
  $q$, coalesce(dims, 1))
  using query_text, query_embedding, embedding_model, match_count, candidate_count, rrf_k,
        full_text_weight, semantic_weight, name_weight, text_query, name_query, text_candidates,
        host_runtimes, tool_weight;
end
$$;

revoke execute on function public.search_mcp_servers(text, extensions.vector, text, int, int, int, float, float, float, int, text[], text, float) from public;
grant execute on function public.search_mcp_servers(text, extensions.vector, text, int, int, int, float, float, float, int, text[], text, float)
  to anon, authenticated, service_role;
