"""Example requests per catalog server (catalog.examples) and the rules of round 7: a need that
reads like a server's examples finds it; quoted passages, creative writing, a question after
"find", a company's pricing page and a video's voiceover add no server."""

from typing import Any

import numpy as np
import pytest

from catalog.capabilities import request_capabilities
from catalog.examples import ExampleIndex, example_requests
from catalog.loader import validate_catalog
from catalog.needs import is_own_work, split_needs, strip_passages
from catalog.normalise import normalise_request
from orchestrator.selection import EXAMPLE_SIMILARITY, choose


def _server(slug: str, similarity: float, example: float, **facts: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": slug,
        "similarity": similarity,
        "example_similarity": example,
        "why": "both",
        **facts,
    }


def test_every_bundled_server_has_six_example_requests() -> None:
    entries, errors, _ = validate_catalog()
    examples = example_requests()
    assert errors == []
    assert {e.slug for e in entries} == set(examples)
    assert all(len(texts) == 6 and all(t.strip() for t in texts) for texts in examples.values())


def test_a_server_scores_by_the_mean_of_its_two_closest_examples() -> None:
    vectors = np.array([[1, 0, 0], [0, 1, 0], [0.8, 0.6, 0], [0, 0, 1]], dtype=np.float32)
    index = ExampleIndex(("notes", "notes", "timer", "timer"), vectors)
    best = index.best([1.0, 0.0, 0.0], None)
    # one example exactly alike and one unrelated: 0.5; two fairly alike would beat it
    assert best["notes"] == pytest.approx(0.5)
    assert best["timer"] == pytest.approx(0.4)
    assert set(index.best([1.0, 0.0, 0.0], ["timer"])) == {"timer"}


def test_a_need_that_reads_like_a_servers_examples_takes_it() -> None:
    need = "I just need something that keeps me focused in 25-minute chunks"
    servers = [
        _server("dart", 0.23, 0.29),
        _server("pomodash", 0.33, EXAMPLE_SIMILARITY + 0.05),
        _server("playwright", 0.18, 0.33),
    ]
    assert choose([{"query": need, "servers": servers}]) == ["pomodash"]
    below = [{**s, "example_similarity": EXAMPLE_SIMILARITY - 0.1} for s in servers]
    assert choose([{"query": need, "servers": below}]) == []


def test_examples_decide_nothing_in_a_request_that_names_its_systems() -> None:
    results = [
        {"query": "our Heroku app", "servers": [_server("heroku", 0.6, 0.5, named="heroku")]},
        {"query": "pull the last 200 log lines", "servers": [_server("victorialogs", 0.3, 0.6)]},
    ]
    assert choose(results) == ["heroku"]


def test_a_quoted_passage_or_code_block_is_text_to_work_on() -> None:
    assert split_needs("Proofread this: 'Their going to the park, weather or not it rains.'") == [
        "Proofread this: the quoted text"
    ]
    assert "the code" in strip_passages("Run this: ```ALTER TABLE t ADD ts timestamptz;``` now")
    # a short quoted title stays: it names the thing to act on
    assert split_needs("Export my Canva design 'Spring Sale Banner' as a PNG") == [
        "Export my Canva design 'Spring Sale Banner' as a PNG"
    ]
    # a plural possessive is no quotation
    assert strip_passages("the users' emails and the admins' phones") == (
        "the users' emails and the admins' phones"
    )


@pytest.mark.parametrize(
    ("need", "own"),
    [
        ("Write a limerick about a cat who learns to code", True),
        ("write a short poem for my mom", True),
        ("turn this into a markdown table: apples 3, pears 5", True),
        ("Turn this PDF into markdown", False),
        # writing for the person, and reading trends out of what was fetched
        ("write me a haiku about a failing deploy", True),
        ("can you write a short out-of-office message for my manager", True),
        ("write us a cover letter for the backend role", True),
        ("write the rows to a Google Sheet", False),
        ("describe the trends", True),
        ("describe the pods in namespace prod", False),
    ],
)
def test_creative_writing_and_reshaping_given_text_are_the_models_own_work(
    need: str, own: bool
) -> None:
    assert is_own_work(need) is own


def test_the_question_a_verb_asks_is_no_trigger_clause() -> None:
    assert split_needs("use brave search to find when python 3.14 is being released") == [
        "use brave search to find when python 3.14 is being released"
    ]
    assert split_needs("Post to Slack when a new GitHub issue is opened") == [
        "Post to Slack",
        "when a new GitHub issue is opened",
    ]


def test_a_companys_own_pages_name_no_service() -> None:
    text = normalise_request("Scrape https://linear.app/pricing and https://github.com/a/b")
    assert "(Linear)" not in text and "(Github)" in text


def test_a_video_made_from_a_script_needs_no_separate_voiceover() -> None:
    needs = request_capabilities(["turn my pitch into a short marketing video with narration"])
    assert needs == ["make a video from a script or idea with AI (stock footage, voiceover)"]
    assert request_capabilities(["read this paragraph aloud"]) == ["text to speech audio"]
