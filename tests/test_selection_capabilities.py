"""Capabilities named in passing inside a clause about another service ("... by email",
"tweet ... from Ghost") become needs of their own, and the selection adds a server for one only
when nothing chosen can do it."""

from typing import Any

import pytest

from catalog.capabilities import capability_needs, is_capability_need
from catalog.needs import MAX_NEEDS, split_needs
from orchestrator.need_context import matches
from orchestrator.selection import choose

K8S = "manage Kubernetes clusters: pods, deployments, namespaces"


def _server(slug: str, similarity: float, **facts: Any) -> dict[str, Any]:
    return {"slug": slug, "name": slug, "similarity": similarity, "why": "both", **facts}


@pytest.mark.parametrize(
    ("clause", "needs"),
    [
        ("send me the top Hacker News posts by email", ["send email messages"]),
        ("Tweet our new blog posts from Ghost", ["post tweets on X (Twitter)"]),
        ("translate my Notion pages into Spanish", ["translate text between languages"]),
        ("post the weather forecast for Oslo to Discord", ["weather forecast"]),
        ("take a screenshot in a real browser", ["automate a web browser"]),
        ("envía el resumen por correo", ["send email messages"]),
        ("schick mir die Wettervorhersage", ["weather forecast"]),
        ("post the summary to Slack", []),
        ("summarise new GitHub issues", []),
        ("what time is it in Lagos and in Lima", ["current time and time zone conversion"]),
        ("convert 3pm Berlin time to Sydney", ["current time and time zone conversion"]),
        ("¿qué hora es en Bogotá?", ["current time and time zone conversion"]),
        ("an assistant that can execute Python snippets", ["run Python code in a sandbox"]),
        ("run our JavaScript snippets somewhere safe", ["run code in a sandbox"]),
        ("run the test suite from the terminal", ["run terminal commands on this computer"]),
        ("read the summary aloud to me", ["text to speech audio"]),
        ("how long does it take to drive to the airport", ["maps, places and directions"]),
        ("work out the integral of sin x", ["compute maths: integrals, equations and plots"]),
        ("shorten the docs link", ["shorten links"]),
        ("text the driver at +44 7700 900123", ["send SMS text messages"]),
        ("move them into ~/Archive", ["write local files"]),
        ("what is that in Pacific time?", ["current time and time zone conversion"]),
        ("run this in an isolated sandbox", ["run code safely in a cloud sandbox"]),
        ("buzz my phone when it finishes", ["send push notifications to my phone"]),
        ("is brightloaf.com still available?", ["check whether a domain name is available"]),
        ("generate an image of a fox", ["generate images from a text prompt"]),
        ("read https://example.org/pricing", ["fetch a web page"]),
        ("trim the clip to 30 seconds of video", ["edit audio and video files"]),
        ("find recent preprints on retrieval", ["search academic papers and preprints"]),
        ("switch off the garage light", ["control smart home devices (lights, locks, sensors)"]),
        ("the crash reports of our app", ["track application errors and crashes"]),
        ("a cabin to rent near Oslo", ["find holiday rentals to stay in"]),
        ("which tankers are near Rotterdam", ["track ships and vessels at sea"]),
        ("open ~/reports/q3_sales.xlsx", ["write local files", "read and edit Excel workbooks"]),
        ("the containers on this machine", ["manage Docker containers"]),
        ("copy the logs into a file on disk", ["write local files"]),
        ("read /home/ana/notes.txt", ["write local files"]),
        ("a place to stay in Vienna for three nights", ["find holiday rentals to stay in"]),
        ("who is on call for the search team", ["page the on-call engineer about an incident"]),
        ("grab the text of https://example.org/faq", ["fetch a web page"]),
        ("trim off the last ten seconds", ["edit audio and video files"]),
        (
            "list the uncommitted changes",
            ["work with a local git repository: diff, commit, branch"],
        ),
        ("will it snow in Denver on Saturday", ["weather forecast"]),
        (
            "tell me if the status page is still reachable",
            ["check from probes around the world whether a website is up (ping)"],
        ),
        ("move the standup to 9:00 Tokyo time", ["current time and time zone conversion"]),
        (
            "look for hard-coded secrets in the code",
            ["scan source code for security vulnerabilities (static analysis)"],
        ),
        (
            "do our npm packages have known vulnerabilities",
            ["check package dependencies for known vulnerabilities"],
        ),
        ("triage my inbox every morning", ["read and triage my email inbox"]),
        ("scale the api deployment to 6 replicas", [K8S]),
        ("un voo barato de São Paulo pra Lisboa", ["search flights and fares"]),
        ("フライトを探して", ["search flights and fares"]),
        ("che tempo farà a Firenze?", ["weather forecast"]),
        ("zet het in mijn Google Agenda", ["calendar events"]),
        ("a sandbox isolated from my machine", ["run code safely in a cloud sandbox"]),
        ("the notes in my Documents/uni folder", ["write local files"]),
        ("schedule our social media posts", ["post to social media accounts (X, LinkedIn)"]),
        ("show me how the servers are doing", ["monitor server metrics: CPU, memory"]),
        ("research competitors on the web", ["search the web"]),
        # a path is a need beside the clause's own: the converter is still searched for
        ("convert ~/legal/msa.docx to markdown", ["write local files"]),
        # verbs and neighbours of those words are not the capabilities
        ("commit the changes to GitHub", []),
        ("plan a night out in Berlin", []),
        ("the disk usage of each VM", []),
        ("every time it rains we lose sales", []),
        ("run it in an isolated sandbox, not on my laptop", ["run code safely in a cloud sandbox"]),
        ("we ship the release on Friday", []),
        ("find crash-looping pods", [K8S]),  # Kubernetes, not an app's crash reports
        ("post the link https://example.org to Slack", []),
        ("remember my preferences across sessions", ["remember facts across conversations"]),
        (
            "tell me when the API server goes down",
            ["check from probes around the world whether a website is up (ping)"],
        ),
        (
            "ping example.org from three continents",
            ["check from probes around the world whether a website is up (ping)"],
        ),
        (
            "summarise our AWS costs in Slack",
            ["AWS Cost Explorer: analyse our AWS spending by service and time period"],
        ),
        (
            "turn my voice notes into text",
            ["speech to text: transcribe my own audio files into text"],
        ),
        ("put on something mellow on my speakers", ["play music, songs and playlists"]),
        (
            "whenever our brand gets mentioned on a podcast",
            ["search transcribed podcasts for mentions of topics, people or brands"],
        ),
        (
            "photographed handwritten meeting notes",
            ["recognise handwriting and text in scanned images (OCR)"],
        ),
        (
            "reconcile the bank transactions in our bookkeeping software",
            ["accounting: invoices, bills and bank reconciliation"],
        ),
        ("low-fee index funds", ["investment research: funds, ratings and analyst views"]),
        (
            "which of our social and search ads bring in money",
            ["store analytics: ad spend, revenue and attribution per campaign"],
        ),
        (
            "attack our web app in staging and tell us what's exploitable",
            ["security test of a running web application and APIs (penetration test)"],
        ),
        ("dim the living room lights", ["control smart home devices (lights, locks, sensors)"]),
        ("how long is each leg by car", ["maps, places and directions"]),
        ("act like a real visitor and fill the forms", ["automate a web browser"]),
        ("will I need an umbrella in Porto", ["weather forecast"]),
        (
            "the site feels sluggish, why is it slow to load",
            ["measure how fast a web page loads (performance trace)"],
        ),
        ("keep up with LLM research", ["search academic papers and preprints"]),
        ("so I don't have to repeat myself", ["remember facts across conversations"]),
        ("le vol le moins cher pour Montréal", ["search flights and fares"]),
        ("quais navios entraram no porto", ["track ships and vessels at sea"]),
        # round 6, from holdout6's misses after its untouched run
        ("how long would it take me to drive there", ["maps, places and directions"]),
        ("drive from Lyon to Geneva", ["maps, places and directions"]),
        (
            "which landing page is slowest to render",
            ["measure how fast a web page loads (performance trace)"],
        ),
        ("open models for speech recognition", ["search machine learning models and datasets"]),
        ("an ERC-20 token contract", ["write secure smart contracts (Solidity, ERC-20 tokens)"]),
        (
            "what services are exposed on 203.0.113.45",
            ["internet-exposed hosts: open ports and services of an IP address"],
        ),
        ("any internet outages in Iran", ["internet traffic trends and outages by country"]),
        ("my lawn looks like a jungle", ["robotic lawn mower: start, park and schedule mowing"]),
        (
            "what did we end up agreeing with them",
            ["meeting notes and transcripts of my calls"],
        ),
        # round 6, from holdout7's misses after its untouched run
        ("is the internet down in Chile", ["internet traffic trends and outages by country"]),
        ("put something mellow on, lo-fi maybe", ["play music, songs and playlists"]),
        ("quiz me on my vocabulary cards", ["flashcards: review the cards due and add new ones"]),
        ("팀 캘린더에 일정 추가", ["calendar events"]),
        # round 10, from holdout7's and holdout9's misses
        ("is it too late to ring her right now", ["current time and time zone conversion"]),
        ("tell me what my first meeting of the day is", ["calendar events"]),
        ("book a 30 min meeting with dana@globex.com", ["calendar events"]),
        # ... and their neighbours are not
        ("copy my Airtable content calendar into Notion", []),  # a plan, not a calendar app
        ("train a model on our sales data", []),
        ("what does the AWS Pricing API charge for S3", []),
        ("transcribe this YouTube video", []),  # a site's transcript, not my recording
        ("record a podcast intro", []),
        (
            "scan the repository for hard-coded secrets",
            ["scan source code for security vulnerabilities (static analysis)"],
        ),
        # schedule words, reminders and "ping me" are not these capabilities
        ("remind me at noon on Slack", []),
        ("ping me on Slack when the build breaks", []),
        ("run the nightly export job", []),
        ("what is up with the backlog in Jira", []),
    ],
)
def test_capabilities_named_in_passing(clause: str, needs: list[str]) -> None:
    assert capability_needs(clause) == needs
    assert all(is_capability_need(n) for n in needs)


def test_a_capability_keeps_its_room_in_a_long_request() -> None:
    assert split_needs("Every morning send me the top Hacker News posts by email") == [
        "send me the top Hacker News posts by email",
        "send email messages",
    ]
    # twelve clauses: the last ones are folded together so the capability still gets a need
    clauses = ", then ".join(f"step {n} uses system{n} by email" for n in range(12))
    needs = split_needs(clauses)
    assert len(needs) == MAX_NEEDS and needs[-1] == "send email messages"
    assert all(f"system{n}" in " ".join(needs) for n in range(12))


def test_a_capability_adds_a_server_when_nothing_chosen_can_do_it() -> None:
    results = [
        {
            "query": "send me the top Hacker News posts by email",
            "servers": [_server("mcp-hackernews", 0.7, named="hacker"), _server("resend", 0.26)],
        },
        {
            "query": "send email messages",
            "servers": [_server("gmail-mcp", 0.51, topic="email"), _server("resend", 0.48)],
        },
    ]
    assert choose(results) == ["mcp-hackernews", "gmail-mcp"]


def test_a_capability_adds_nothing_when_a_chosen_server_fits_it() -> None:
    results = [
        {"query": "email the team through Gmail", "servers": [_server("gmail", 0.6, named="gm")]},
        {
            "query": "send email messages",
            "servers": [_server("resend", 0.5, topic="email"), _server("gmail", 0.45)],
        },
    ]
    assert choose(results) == ["gmail"]
    # a chosen server far below the capability's best match does not count as fitting it
    results[1]["servers"][1]["similarity"] = 0.2
    assert choose(results) == ["gmail", "resend"]


def test_a_clause_that_is_a_capability_takes_the_capabilitys_server() -> None:
    results = [
        {
            "query": "take a screenshot of our landing page in a real browser",
            "servers": [_server("browser-rendering", 0.45, topic="screenshots")],
        },
        {"query": "automate a web browser", "servers": [_server("playwright", 0.52)]},
    ]
    assert choose(results) == ["playwright"]


def test_a_browser_that_needs_nothing_from_the_person_wins_over_a_hosted_one() -> None:
    # a hosted browser service fits the phrase better by its tools, but needs an account; the
    # host's Chromium driven by Playwright needs nothing (catalog.capabilities.LOCAL_FIRST)
    hosted = _server("hosted-browser", 0.46, tool_similarity=0.72, auth="token", verified=True)
    local = _server("playwright", 0.52, auth="none", verified=True)
    far = _server("far-browser", 0.40, auth="none", verified=True)
    need = {"query": "automate a web browser", "servers": [hosted, local, far]}
    results = [{"query": "open our status page in a browser", "servers": []}, need]
    assert choose(results) == ["playwright"]
    local["similarity"] = 0.40  # beyond the tie window: the better fit wins after all
    need["servers"] = [hosted, local]
    assert choose(results) == ["hosted-browser"]
    # other capabilities keep the narrow tie: a better-fitting crawler needing a key wins
    crawl = [_server("crawler", 0.60, auth="token"), _server("search-engine", 0.50, auth="none")]
    crawled = [
        {"query": "crawl our docs", "servers": []},
        {"query": "crawl web pages", "servers": crawl},
    ]
    assert choose(crawled) == ["crawler"]


def test_removing_a_capability_by_its_topic() -> None:
    gmail = _server("gmail-mcp", 0.5, topic="email")
    assert matches(gmail, {"drop", "the", "email", "part"})
    assert not matches(_server("mcp-hackernews", 0.7), {"email"})
