-- The catalog of MCP servers and their embeddings, plus the hybrid search function.
--
-- Catalog rows are public knowledge: anyone (anon, authenticated) may read them; only the
-- service role (catalog maintenance) writes them.
--
-- Embeddings live in their own table keyed by (server, model) so that vectors of different
-- models never mix: a search names the model of its query vector and sees only that model's
-- rows, and switching model simply adds rows for the new one. The column is an untyped
-- `vector` (any dimension); each dimension in use gets a partial HNSW expression index on
-- `embedding::vector(N)`, which the search function targets with dynamic SQL.

create extension if not exists vector with schema extensions;

create table public.mcp_servers (
  id bigint generated always as identity primary key,
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
  name text not null check (length(name) between 1 and 200),
  description text not null,
  tags text[] not null default '{}',
  categories text[] not null default '{}',
  homepage text,
  launch jsonb not null check (jsonb_typeof(launch) = 'object'),
  credentials jsonb not null default '[]'::jsonb check (jsonb_typeof(credentials) = 'array'),
  tools jsonb not null default '[]'::jsonb check (jsonb_typeof(tools) = 'array'),
  entry jsonb not null,                       -- the whole validated catalog entry
  content_hash text not null,                 -- sha256 of the canonical entry: unchanged => skipped
  search_tags text not null default '',       -- tags and categories as words, set by the loader
  search_tools text not null default '',      -- tool names and descriptions as words
  search_name text not null default '',       -- distinctive words of name and slug
  search_tsv tsvector generated always as (
    setweight(to_tsvector('english', name || ' ' || search_tags), 'A')
    || setweight(to_tsvector('english', description), 'B')
    || setweight(to_tsvector('english', search_tools), 'C')
  ) stored,
  -- the server's own name: a request that names the service should find it first
  name_tsv tsvector generated always as (
    to_tsvector('simple', search_name)
  ) stored,
  retired_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- fastupdate off: the catalog is read-mostly, and a GIN pending list (where fastupdate parks
-- new entries until vacuum merges them) is scanned linearly by every search; right after a
-- 10k-server load it doubled the search latency.
create index mcp_servers_search_tsv_idx on public.mcp_servers using gin (search_tsv)
  with (fastupdate = off);
create index mcp_servers_name_tsv_idx on public.mcp_servers using gin (name_tsv)
  with (fastupdate = off);
create index mcp_servers_live_idx on public.mcp_servers (slug) where retired_at is null;

create table public.mcp_server_embeddings (
  server_id bigint not null references public.mcp_servers (id) on delete cascade,
  model text not null check (length(model) between 1 and 200),
  dimensions int not null check (dimensions between 1 and 2000),
  content_hash text not null,                 -- the entry hash the vector was made from
  embedding extensions.vector not null check (extensions.vector_dims(embedding) = dimensions),
  created_at timestamptz not null default now(),
  primary key (server_id, model)
);
create index mcp_server_embeddings_model_idx on public.mcp_server_embeddings (model, dimensions);
-- One HNSW index per dimension in use: 384 (local MiniLM) and 1536 (text-embedding-3-small).
create index mcp_server_embeddings_hnsw_384 on public.mcp_server_embeddings
  using hnsw ((embedding::extensions.vector(384)) extensions.vector_cosine_ops)
  where dimensions = 384;
create index mcp_server_embeddings_hnsw_1536 on public.mcp_server_embeddings
  using hnsw ((embedding::extensions.vector(1536)) extensions.vector_cosine_ops)
  where dimensions = 1536;

alter table public.mcp_servers enable row level security;
alter table public.mcp_server_embeddings enable row level security;

create policy mcp_servers_read on public.mcp_servers for select to anon, authenticated
  using (true);
create policy mcp_servers_write on public.mcp_servers for all to service_role
  using (true) with check (true);
create policy mcp_server_embeddings_read on public.mcp_server_embeddings for select
  to anon, authenticated using (true);
create policy mcp_server_embeddings_write on public.mcp_server_embeddings for all
  to service_role using (true) with check (true);

grant select on public.mcp_servers, public.mcp_server_embeddings to anon, authenticated;
grant select, insert, update, delete on public.mcp_servers, public.mcp_server_embeddings
  to service_role;


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

-- The same for brand names, unstemmed ("AIS" must not match "ai").
create or replace function public.catalog_name_tsquery(query_text text)
returns tsquery
language sql immutable parallel safe
set search_path = public, extensions
as $$
  select coalesce(
    (select to_tsquery('simple', string_agg(quote_literal(lexeme), ' | '))
       from unnest(tsvector_to_array(to_tsvector('simple', coalesce(query_text, '')))) as lexeme),
    ''::tsquery)
$$;

-- Hybrid search: cosine similarity over the given model's vectors (HNSW) fused with
-- full-text rank by reciprocal rank fusion. `why` says which side found the server.
--
-- Performance (measured on 10k synthetic servers, see catalog/README.md):
-- * The two tsqueries are computed once into variables and passed to the dynamic query as
--   parameters: EXECUTE plans with their values, so the GIN indexes are used (with the
--   tsquery in a CTE the planner guessed, and often scanned the table running @@ on every row).
-- * random_page_cost 1.1: the catalog is cached in memory; at 4 the planner preferred a
--   sequential scan (about 1.8 µs of @@ per row) to a bitmap scan of the GIN indexes.
-- * ts_rank_cd costs about 1.5 µs per query word per matching row (30 µs for a 14-word
--   request), so it only orders the best `text_candidates` rows by the cheap ts_rank. A
--   catalog of a few hundred servers never has that many matches (exact there).
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
  text_candidates int default 200
)
returns table (
  slug text, name text, description text, score float, why text, credentials jsonb,
  semantic_rank int, text_rank int, similarity float
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
    text_hits as (  -- the GIN index finds the matches; the cheap ts_rank keeps the best
      select m.id, m.search_tsv, (m.name_tsv @@ $11) as name_hit
        from public.mcp_servers m
       where m.retired_at is null and (m.search_tsv @@ $10 or m.name_tsv @@ $11)
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
           (1 - fused.distance)::float
      from fused join public.mcp_servers m on m.id = fused.server_id
     order by fused.score desc, fused.s_rank nulls last, m.slug
     limit $4
  $q$, coalesce(dims, 1))
  using query_text, query_embedding, embedding_model, match_count, candidate_count, rrf_k,
        full_text_weight, semantic_weight, name_weight, text_query, name_query, text_candidates;
end
$$;


revoke execute on function public.search_mcp_servers(text, extensions.vector, text, int, int, int, float, float, float, int) from public;
grant execute on function public.search_mcp_servers(text, extensions.vector, text, int, int, int, float, float, float, int)
  to anon, authenticated, service_role;
grant execute on function public.catalog_or_tsquery(text), public.catalog_name_tsquery(text)
  to anon, authenticated, service_role;
