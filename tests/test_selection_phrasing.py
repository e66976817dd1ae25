"""How a request's phrasing becomes needs and names: asides, step-order words, the person's own
steps, idioms, "Postgres" for both Postgres servers, and ordinary-word names in lower case.
(Writing for the person as own work is tested with the other own-work cases, beside the
example requests.)"""

import pytest

from catalog.capabilities import request_capabilities
from catalog.naming import names, tokens
from catalog.needs import asks_for_own_view, split_needs


def test_an_aside_in_parentheses_stays_with_its_clause() -> None:
    needs = split_needs(
        "Find the Xero invoices for Acme Ltd (INV-0100 and INV-0102, I believe) and add their"
        " totals to a new row in Airtable"
    )
    assert needs[0] == "find the Xero invoices for Acme Ltd (INV-0100 and INV-0102, I believe)"
    assert "add their totals to a new row in Airtable" in needs


def test_words_that_order_the_steps_are_no_part_of_a_need() -> None:
    needs = split_needs("Export the report from Metabase. Then send it to the team on Slack.")
    assert [n.lower() for n in needs] == [
        "export the report from metabase",
        "send it to the team on slack",
    ]


def test_what_the_person_will_do_themselves_is_no_need() -> None:
    assert split_needs("draft a status update for the launch, I'll post it on Slack myself") == [
        "draft a status update for the launch"
    ]
    # what the agent is to do there still is
    assert split_needs("draft a status update and post it on Slack") == [
        "draft a status update",
        "post it on Slack",
    ]


def test_an_idiom_is_no_topic() -> None:
    needs = split_needs("I'm under the weather, cancel my 3pm on Google Calendar")
    assert not any("weather" in need for need in needs)
    assert "cancel my 3pm on Google Calendar" in needs


def test_postgres_names_both_postgres_servers_so_either_can_be_chosen() -> None:
    # with only Postgres MCP Pro named, a host without Docker got no Postgres server at all
    request = tokens("Query our Postgres database for yesterday's signups")
    assert names(request, "PostgreSQL", ["sql"], set()) == "postgres"
    assert names(request, "Postgres MCP Pro", ["sql"], set()) == "postgres"
    assert names(tokens("Query our PostgreSQL database"), "Postgres MCP Pro", [], set()) == (
        "postgres"
    )


@pytest.mark.parametrize(
    ("text", "name", "named"),
    [
        ("create a linear issue in team Payments", "Linear", True),
        ("copy the rows into our notion CRM database", "Notion", True),
        ("upload the images in the box folder 'Launch'", "Box", True),
        ("log a call on the close crm lead", "Close", True),
        ("close the ticket when it is fixed", "Close", False),
        ("I have a notion the redis cache is nearly full", "Notion", False),
        ("plot a linear regression of the prices", "Linear", False),
        ("a summary of last week's closed linear issues", "Linear", True),
        # an ordinary word after a vendor's name needs the vendor: "team Core" is no AWS Core
        ("summarise the issues for team Core on Slack", "AWS Core MCP Server", False),
        ("ask the AWS Core server which service fits", "AWS Core MCP Server", True),
        ("our monday.com Content Calendar board", "Google Calendar", False),
    ],
)
def test_a_plain_word_names_a_product_where_it_stands_as_one(
    text: str, name: str, named: bool
) -> None:
    assert (names(tokens(text), name, [], set()) is not None) is named


@pytest.mark.parametrize(
    ("text", "own"),
    [
        ("write me a haiku about a git merge conflict at midnight", True),
        ("tell me a joke about kubernetes", True),
        ("explain git rebase vs merge, just conceptually, no need to touch any repo", True),
        ("write a poem about our latest GitHub release", False),
        ("write a summary of the Linear issues", False),
    ],
)
def test_a_poem_or_a_concept_about_a_product_needs_no_server(text: str, own: bool) -> None:
    assert asks_for_own_view(text) is own


@pytest.mark.parametrize(
    ("clauses", "needs"),
    [
        (  # who changed it: the vendor's audit trail, not the DNS server
            ["someone changed the dns records for acme.io in cloudflare", "who was it"],
            ["Cloudflare audit logs: who changed what in the account"],
        ),
        (
            ["who deleted the S3 bucket logs-prod"],
            ["AWS CloudTrail events: who changed what in the account"],
        ),
        (  # a browser's console is the page's own log: DevTools, not an error tracker, and the
            # browser that inspects the page also opens it (no page fetch beside it)
            ["open https://staging.acme.dev/login", "take a screenshot", "any console errors"],
            ["inspect a live browser page: its console errors and network requests"],
        ),
        (
            [
                "https://shop.example.dev feels slow to load",
                "record a performance trace in a real browser",
            ],
            ["measure how fast a web page loads (performance trace)"],
        ),
    ],
)
def test_capabilities_that_make_others_redundant(clauses: list[str], needs: list[str]) -> None:
    assert request_capabilities(clauses) == needs
