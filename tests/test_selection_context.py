"""Choosing by the words around a need: files at a local path, a step on a system named before
("tail its logs"), which of the servers one word names fits, names that are part of a longer
name ("Time Out Market") or only a kind of software ("CRM"), products the catalog may lack
("Trello cards"), quoted titles, a named site's pages, and one server a topic."""

from typing import Any

from catalog.capabilities import FETCH_PAGE, LOCAL_FILES
from catalog.loader import validate_catalog
from catalog.naming import (
    named_systems,
    product_names,
    uncapitalise_sentence_starts,
    without_quotes,
)
from catalog.needs import split_needs
from catalog.normalise import normalise_request
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
