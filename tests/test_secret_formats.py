"""Every secret format we claim to catch is caught in a sentence; ordinary prose is left alone."""

import pytest

from credentials.secret_formats import secret_formats
from credentials.secrets import Hints, find_secrets, mask, redact_secrets, usable_pattern
from tests.secret_samples import ISSUE_16, OURS, PROSE, Sample


@pytest.mark.parametrize("sample", ISSUE_16 + OURS, ids=lambda s: s.label)
def test_each_format_is_replaced_by_a_reference(sample: Sample) -> None:
    text, refs = redact_secrets(sample.text)
    assert sample.secret not in text
    assert sample.secret in refs.values(), (text, refs)
    assert "[secret:" in text


def test_the_35_formats_of_issue_16_are_all_caught() -> None:
    assert len(ISSUE_16) == 35
    assert sum(s.issue == "missed" for s in ISSUE_16) == 18
    caught = [s for s in ISSUE_16 if s.secret in redact_secrets(s.text)[1].values()]
    assert len(caught) == 35


def test_every_rule_is_exercised_by_a_sample() -> None:
    samples = ISSUE_16 + OURS
    for fmt in secret_formats():
        rule = fmt.compile()
        assert any(rule.search(s.text) for s in samples), f"no sample for {fmt.id}"


@pytest.mark.parametrize("prose", PROSE, ids=lambda p: p[:30])
def test_ordinary_prose_is_untouched(prose: str) -> None:
    assert redact_secrets(prose) == (prose, {})


def test_password_phrases_keep_their_punctuation_but_not_the_sentence() -> None:
    text, refs = redact_secrets("the password for the admin account is Xy12zz!! ok?")
    assert refs == {1: "Xy12zz!!"}
    assert text == "the password for the admin account is [secret:1] ok?"
    assert redact_secrets("my password is hunter2.")[1] == {1: "hunter2"}
    assert redact_secrets("my password is being reset")[1] == {}


def test_a_url_with_credentials_is_one_secret_without_the_full_stop() -> None:
    url = "postgres://bob:s3cr3t-Pw@db.example.com:5432/app?sslmode=require"
    text, refs = redact_secrets(f"Use {url}.")
    assert (text, refs) == ("Use [secret:1].", {1: url})


def test_prefix_template_patterns_take_the_whole_value() -> None:
    """``^postgres(ql)?://`` only says how the value starts; its match runs to the word's end."""
    url = "postgresql://localhost:5432/app"  # no password: only the template says it is secret
    assert find_secrets(f"here: {url}") == []
    hints = Hints(names=["POSTGRES_URL"], patterns=[r"^postgres(ql)?://"])
    text, refs = redact_secrets(f"here: {url}, thanks", hints=hints)
    assert (text, refs) == ("here: [secret:1], thanks", {1: url})
    # whole-value patterns still end at a word boundary
    hints = Hints(patterns=[r"^tvly-[A-Za-z0-9\-]+$"])
    assert redact_secrets("key tvly-abc123XYZ.", hints=hints) == (
        "key [secret:1].",
        {1: "tvly-abc123XYZ"},
    )


def test_loose_prefix_patterns_are_not_searched_with() -> None:
    assert usable_pattern(r"^[A-Z]") is None  # would take every capitalised word
    assert usable_pattern(r"^https?://") is None  # matches every link
    assert usable_pattern(r"^mongodb(\+srv)?://") is not None


def test_hostile_input_stays_linear() -> None:
    """Pathological input is scanned without catastrophic backtracking (no timing asserted:
    these would take minutes with a quadratic rule, and the suite's timeout would fail them)."""
    for text in (
        "a-" * 50_000,
        "curl " * 20_000,
        "password is " * 9_000,
        "-----BEGIN PRIVATE KEY-----\n" * 3_000,
        "Ab1+" * 25_000,
        "x://a:b" * 14_000,
    ):
        assert isinstance(mask(text), str)
