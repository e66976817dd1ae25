-- Faster text side of the catalog search in large catalogs (follows 010_catalog.sql).
--
-- 1. Word statistics of the live catalog (`mcp_search_terms`, refreshed by the loader) so the
--    request's OR-query can leave out words held by a large share of a big catalog.
-- 2. search_mcp_servers computes its two tsqueries once per call (a materialized CTE) now that
--    catalog_or_tsquery reads a table and is no longer immutable.

-- How many live servers' documents hold each word, refreshed by the loader. In a large catalog
-- a word found in hundreds of documents ("manage", "data") says little and makes the text
-- side rank thousands of rows, so the text query leaves it out (IDF-like pruning).
create table public.mcp_search_terms (
  lexeme text primary key,
  ndoc int not null
);
alter table public.mcp_search_terms enable row level security;
create policy mcp_search_terms_read on public.mcp_search_terms for select to anon, authenticated
  using (true);
create policy mcp_search_terms_write on public.mcp_search_terms for all to service_role
  using (true) with check (true);
grant select on public.mcp_search_terms to anon, authenticated;
grant select, insert, update, delete on public.mcp_search_terms to service_role;

create or replace function public.refresh_catalog_search_terms()
returns void
language sql
set search_path = public, extensions
as $$
  delete from public.mcp_search_terms;
  insert into public.mcp_search_terms (lexeme, ndoc)
    select word, ndoc
      from ts_stat('select search_tsv from public.mcp_servers where retired_at is null');
  insert into public.mcp_search_terms (lexeme, ndoc)  -- '' holds the number of live servers
    select '', count(*) from public.mcp_servers where retired_at is null;
$$;
revoke execute on function public.refresh_catalog_search_terms() from public;
grant execute on function public.refresh_catalog_search_terms() to service_role;

-- OR-query of the request's stemmed words: a workflow request never contains every word of a
-- server's document, so websearch_to_tsquery's AND semantics would match almost nothing.
-- In catalogs of over 2,000 servers, words held by more than 2% of them are left out; smaller
-- catalogs keep every word (measured: pruning there loses recall, e.g. "files" → filesystem).
create or replace function public.catalog_or_tsquery(query_text text)
returns tsquery
language sql stable parallel safe
set search_path = public, extensions
as $$
  select coalesce(
    (select to_tsquery('simple', string_agg(quote_literal(q.lexeme), ' | '))
       from unnest(tsvector_to_array(to_tsvector('english', coalesce(query_text, ''))))
            as q(lexeme)
      where coalesce((select t.ndoc from public.mcp_search_terms t where t.lexeme = q.lexeme), 0)
            <= (select case when t.ndoc > 2000 then t.ndoc * 0.02 else 'Infinity'::float end
                  from public.mcp_search_terms t where t.lexeme = '')
         or not exists (select 1 from public.mcp_search_terms t where t.lexeme = '')),
    ''::tsquery)
$$;

-- Hybrid search: cosine similarity over the given model's vectors (HNSW) fused with
-- full-text rank by reciprocal rank fusion. `why` says which side found the server.
create or replace function public.search_mcp_servers(
  query_text text,
  query_embedding extensions.vector,
  embedding_model text,
  match_count int default 5,
  candidate_count int default 40,
  rrf_k int default 60,
  full_text_weight float default 1.0,
  semantic_weight float default 1.0,
  name_weight float default 1.5
)
returns table (
  slug text, name text, description text, score float, why text, credentials jsonb,
  semantic_rank int, text_rank int, similarity float
)
language plpgsql stable
set search_path = public, extensions
set hnsw.ef_search = 100
set hnsw.iterative_scan = 'relaxed_order'
as $$
declare
  dims int := case when query_embedding is null then null
                   else extensions.vector_dims(query_embedding) end;
begin
  if dims is not null and dims not between 1 and 2000 then
    raise exception 'query embedding has % dimensions; at most 2000 are supported', dims;
  end if;
  return query execute format($q$
    with semantic as (
      select e.server_id,
             (e.embedding::extensions.vector(%1$s) <=> $2::extensions.vector(%1$s)) as distance
        from public.mcp_server_embeddings e
       where $2 is not null and e.dimensions = %1$s and e.model = $3
       order by e.embedding::extensions.vector(%1$s) <=> $2::extensions.vector(%1$s)
       limit $5
    ),
    semantic_ranked as (
      select s.server_id, s.distance,
             row_number() over (order by s.distance) as rank_ix
        from semantic s
        join public.mcp_servers m on m.id = s.server_id and m.retired_at is null
    ),
    q as materialized (  -- computed once, not per row
      select public.catalog_or_tsquery($1) as query, public.catalog_name_tsquery($1) as names
    ),
    full_text as (
      select m.id as server_id, (m.name_tsv @@ q.names) as name_hit,
             row_number() over (order by (m.name_tsv @@ q.names) desc,
                                         ts_rank_cd(m.search_tsv, q.query, 1) desc, m.id) as rank_ix
        from public.mcp_servers m, q
       where m.retired_at is null and (m.search_tsv @@ q.query or m.name_tsv @@ q.names)
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
           (1 - fused.distance)::float
      from fused join public.mcp_servers m on m.id = fused.server_id
     order by fused.score desc, fused.s_rank nulls last, m.slug
     limit $4
  $q$, coalesce(dims, 1))
  using query_text, query_embedding, embedding_model, match_count, candidate_count, rrf_k,
        full_text_weight, semantic_weight, name_weight;
end
$$;

