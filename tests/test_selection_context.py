"""Choosing by the words around a need: files at a local path, a step on a system named before
("tail its logs"), which of the servers one word names fits, names that are part of a longer
name ("Time Out Market") or only a kind of software ("CRM"), products the catalog may lack
("Trello cards"), quoted titles, a named site's pages, and one server a topic."""

from typing import Any

from catalog.capabilities import FETCH_PAGE, LOCAL_FILES
from catalog.loader import validate_catalog
from catalog.naming import modifies_another_word, named_systems, uncapitalise_sentence_starts
from catalog.needs import split_needs
from catalog.normalise import normalise_request
from catalog.product_words import product_names, without_quotes
from orchestrator.selection import choose

SERVERS = [(e.slug, e.name, e.tags) for e in validate_catalog()[0]]
FLIGHTS = "search flights and fares"


def _server(slug: str, similarity: float, **facts: Any) -> dict[str, Any]:
    return {"slug": slug, "name": slug, "similarity": similarity, "why": "both", **facts}


def _named(text: str) -> set[str]:
    counts: dict[str, int] = {}
    for _, _, tags in SERVERS:
        for tag in tags:
            counts[tag] = counts.get(tag, 0) + 1
    rare = {t for t, n in counts.items() if n <= 2}
    return set(named_systems(uncapitalise_sentence_starts(text), SERVERS, rare))


def _files_need() -> dict[str, Any]:
    return {"query": LOCAL_FILES, "servers": [_server("filesystem", 0.5)]}


def test_a_local_tool_reads_the_path_it_is_given() -> None:
    converter = _server("markitdown", 0.6, auth="none")
    results = [{"query": "turn ~/notes/plan.docx into markdown", "servers": [converter]}]
    assert choose([*results, _files_need()]) == ["markitdown"]


def test_a_service_beside_a_local_path_needs_a_filesystem_server() -> None:
    upload = _server("cloudinary", 0.6, auth="token", named="cloudinary")
    results = [{"query": "upload the photos in ~/shoot to Cloudinary", "servers": [upload]}]
    assert choose([*results, _files_need()]) == ["cloudinary", "filesystem"]


def test_a_step_on_the_system_named_before_adds_no_server() -> None:
    heroku = [_server("heroku", 0.5, named="heroku")]
    sentry = [_server("sentry", 0.45, topic="errors"), _server("heroku", 0.2, named="heroku")]
    results = [
        {"query": "restart the dynos of our Heroku app", "servers": heroku},
        {"query": "scan its logs for errors", "servers": sentry},
    ]
    assert choose(results) == ["heroku"]
    # "their" deep in a clause is not the clause's object: the step still gets its server
    docs = [_server("context7", 0.55)]
    later = {"query": "read the changelogs of the libraries from their docs", "servers": docs}
    assert choose([results[0], later]) == ["heroku", "context7"]


def test_among_the_servers_one_word_names_the_one_that_fits_wins() -> None:
    modelling = _server("graph-modelling", 0.49, named="graphdb")
    modelling["tool_similarity"] = 0.55
    queries = _server("graph-cypher", 0.60, named="graphdb")
    results = [{"query": "run a Cypher query on GraphDB", "servers": [modelling, queries]}]
    assert choose(results) == ["graph-cypher"]
    # fitting about alike, the preferences decide (verified first) ...
    queries["similarity"] = 0.56
    modelling["verified"] = True
    assert choose(results) == ["graph-modelling"]
    # ... and a server verified to start here is not displaced by a better fit that is not
    queries["similarity"] = 0.70
    assert choose(results) == ["graph-modelling"]


def test_addresses_and_subreddits_name_their_site() -> None:
    assert normalise_request("see https://docs.example.org/faq").endswith("(Example)")
    assert normalise_request("at https://shop.example.co.uk/a").endswith("(Example)")
    assert normalise_request("http://localhost:8080/health") == "http://localhost:8080/health"
    assert normalise_request("the top posts of r/selfhosted") == (
        "the top posts of r/selfhosted (Reddit)"
    )
    assert "mcp-reddit" in _named(normalise_request("the top posts of r/rust"))
    assert "rust-mcp-filesystem" not in _named(normalise_request("the top posts of r/rust"))


def test_a_name_inside_a_longer_name_or_a_kind_of_software_names_nothing() -> None:
    assert "time" not in _named("walk from the flat to the Time Out Market")
    assert "time" in _named("ask Time for the hour in Lima")
    assert "mcp-hackernews" in _named("Save Hacker News stories")
    assert "close" in _named("Merge leads from Close, HubSpot")
    assert "hubspot" not in _named("Export every table of the Airtable CRM base")


def test_a_product_named_before_what_it_holds_is_one_the_catalog_may_lack() -> None:
    assert product_names("Move today's Todoist tasks into Trello cards") == ["todoist", "trello"]
    assert product_names("Back up my Dropbox folder") == ["dropbox"]
    assert product_names("list the open tasks") == []


def test_a_quoted_title_says_nothing_of_the_service() -> None:
    assert without_quotes("a page under 'Board updates' in Notion") == "a page under   in Notion"
    assert without_quotes("don't stop, it's fine") == "don't stop, it's fine"


def test_a_page_of_a_named_site_is_read_by_its_server() -> None:
    youtube = [_server("youtube_transcript", 0.55, named="youtube", auth="none")]
    fetch = [_server("fetch", 0.64, auth="none")]
    results = [
        {
            "query": "grab the transcript of https://youtube.com/watch?v=1 (Youtube)",
            "servers": youtube,
        },
        {"query": FETCH_PAGE, "servers": fetch},
    ]
    assert choose(results) == ["youtube_transcript"]
    page = {"query": "grab the text of https://example.org/faq (Example)", "servers": []}
    assert choose([page, {"query": FETCH_PAGE, "servers": fetch}]) == ["fetch"]


def test_a_capability_a_named_server_has_the_topic_of_adds_none() -> None:
    named = _server("google-flights", 0.5, named="google flights", topic="flights")
    results = [
        {"query": "search Google Flights for round trips", "servers": [named]},
        {"query": FLIGHTS, "servers": [_server("kiwi", 0.59, topic="flights")]},
    ]
    assert choose(results) == ["google-flights"]


def test_an_isolated_sandbox_anywhere_replaces_a_local_one() -> None:
    needs = split_needs("Run the Python it writes itself, isolated from my machine.")
    assert "run code safely in a cloud sandbox" in needs
    assert "run Python code in a sandbox" not in needs


def test_work_on_a_product_is_not_a_search_of_its_docs() -> None:
    docker = _server("docker", 0.56, named="docker", name="Docker")
    docs = _server("docker-docs", 0.57, named="docker", name="Docker Docs", official=True)
    work = [
        {"query": "list my Docker containers and remove the exited ones", "servers": [docker, docs]}
    ]
    assert choose(work) == ["docker"]
    asked = [{"query": "how do I write a multi-stage Docker build", "servers": [docker, docs]}]
    assert choose(asked) == ["docker-docs"]
    graph = _server("kgrag", 0.5, named="knowledge graph", name="Knowledge Graph")
    kept = [{"query": "store the facts in our Knowledge Graph", "servers": [graph]}]
    assert choose(kept) == ["kgrag"]  # a knowledge graph is no documentation


def test_a_product_only_its_docs_server_names_gets_no_stand_in() -> None:
    docs = _server("shopify-dev", 0.3, named="shopify", name="Shopify Dev")
    other = _server("triplewhale", 0.45)
    results = [{"query": "list yesterday's orders in our Shopify store", "servers": [docs, other]}]
    assert choose(results) == []


def test_a_server_that_needs_no_credentials_holds_none() -> None:
    # both verified; the one that needs no credentials does not win on "held" over a better fit
    cypher = _server("neo4j-cypher", 0.68, named="neo4j", verified=True, auth="token")
    modelling = _server(
        "neo4j-data-modeling",
        0.66,
        named="neo4j",
        verified=True,
        auth="none",
        credentials_held=True,
    )
    results = [{"query": "run a Cypher query on our Neo4j graph", "servers": [modelling, cypher]}]
    assert choose(results) == ["neo4j-cypher"]
    held = {**cypher, "similarity": 0.66, "slug": "neo4j-held", "credentials_held": True}
    assert choose([{"query": "our Neo4j graph", "servers": [cypher, held]}]) == ["neo4j-held"]


def test_the_best_fit_counts_a_servers_best_tool() -> None:
    podcasts = _server("audioscrape", 0.55, auth="oauth")
    voice = _server("elevenlabs", 0.42, tool_similarity=0.63, auth="token")
    results = [{"query": "transcribe my interview recordings", "servers": [podcasts, voice]}]
    assert choose(results) == ["elevenlabs"]


def test_a_capability_raises_the_floor_of_the_requests_other_clauses() -> None:
    test = "security test of a running web application and APIs (penetration test)"
    results = [
        {"query": "attack our web app", "servers": [_server("browserbase", 0.32)]},
        {"query": "the APIs in staging", "servers": [_server("hostinger", 0.41)]},
        {"query": test, "servers": [_server("beagle-security", 0.52)]},
    ]
    assert choose(results) == ["beagle-security"]


def test_a_short_link_names_its_service() -> None:
    assert normalise_request("sum up https://youtu.be/8aGhZQ").endswith("(YouTube)")
    assert normalise_request("https://www.redd.it/abc").endswith("(Reddit)")


def test_a_capitalised_word_before_builds_is_a_product() -> None:
    assert product_names("show the Jenkins build status for each") == ["jenkins"]
    assert product_names("the nightly build failed") == []


def test_chinese_text_gets_no_modifier_judgement() -> None:
    # its words are not tokens: "Markdown，然后保存…docs" would otherwise read "markdown docs"
    assert not modifies_another_word("把 PDF 转成 Markdown，然后保存到 docs 文件夹里", "markdown")
    assert modifies_another_word("collect the work email addresses", "email")


def test_a_name_written_as_its_address_is_the_word_before_the_dot() -> None:
    # Kiwi.com is named by "Kiwi" (capitalised: an ordinary word), and by "kiwi.com" in any case
    assert {"kiwi", "google-flights"} <= _named("compare Kiwi and Google Flights prices for Lisbon")
    assert "kiwi" in _named("search flights on kiwi.com for next week")
    assert "kiwi" not in _named("buy kiwi and apples")
    # a weekday keeps its own sense: Monday.com only by its address
    assert "monday" not in _named("Every Monday, export signups to a Google Sheet")
    assert "monday" in _named("take the stuck items on our monday.com board")


def test_a_word_after_a_colon_is_not_what_the_topic_describes() -> None:
    # "logfire: show me exceptions" is about Logfire, not about a kind of "show"
    assert not modifies_another_word("logfire: show me exceptions from the worker", "logfire")
    assert modifies_another_word("weise es dem Backend-Team zu", "backend")


def test_quoted_titles_and_keys_in_capitals_are_no_products() -> None:
    text = "import the 'Q3 board deck' from Google Drive into a confluence page in the LEAD space"
    assert product_names(text) == []
    assert product_names("file it on the Acme board") == ["acme"]


def test_a_weekday_that_starts_an_address_stays_in_the_need() -> None:
    needs = split_needs("every friday 5pm take the stuck items on monday.com board 'Sprint 14'")
    assert any("monday.com" in need for need in needs), needs
    assert not any("friday" in need for need in split_needs("every friday, post the summary"))


def test_a_formats_acronym_alone_names_no_server() -> None:
    assert "llmtxt" not in _named("help me keep up with LLM research")
    assert "llmtxt" in _named("read the docs site with LLM Text")
