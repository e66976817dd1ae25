"""Secrets pasted into text are found and replaced; log records never carry them."""

import logging

import pytest

from credentials.log_redaction import (
    SecretRedactingFilter,
    install_log_redaction,
    redact_text,
    register_secret,
)
from credentials.secrets import Hints, mask, parse_ref, redact_secrets, usable_pattern

AWS_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # noqa: S105
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
TOKENS = {
    "github classic": "ghp_" + "A1b2C3d4E5" * 3 + "f6G7h8",
    "github fine-grained": "github_pat_11ABCDEFG0abcdefghij_" + "k" * 59,
    "github oauth": "gho_" + "x9" * 18,
    "slack bot": "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "slack user": "xoxp-1234567890-1234567890123-1234567890123-abcdef",
    "openai": "sk-proj-" + "Ab3" * 15,
    "openai legacy": "sk-" + "Z9y" * 16,
    "anthropic": "sk-ant-api03-" + "q" * 40,
    "stripe live": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "stripe restricted": "rk_live_" + "51H" * 10,
    "stripe test": "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "aws access key": AWS_ID,
    "jwt": JWT,
}


@pytest.mark.parametrize("kind", list(TOKENS))
def test_each_token_format_is_replaced(kind: str) -> None:
    token = TOKENS[kind]
    text, refs = redact_secrets(f"here you go: {token} thanks")
    assert token not in text
    assert text == "here you go: [secret:1] thanks"
    assert refs == {1: token}


def test_aws_secret_key_next_to_access_key() -> None:
    text, refs = redact_secrets(f"id {AWS_ID} secret {AWS_SECRET}")
    assert text == "id [secret:1] secret [secret:2]"
    assert refs == {1: AWS_ID, 2: AWS_SECRET}
    # a lone 40-character word is not taken for a secret without an access key nearby
    assert redact_secrets("a" * 40)[1] == {}


def test_plain_prose_is_untouched() -> None:
    prose = (
        "Please build an agent that reads my GitHub issues and posts a summary to Slack; "
        "my token is expired, see https://github.com/settings/tokens and sk-learn docs."
    )
    assert redact_secrets(prose) == (prose, {})


def test_pending_request_names_patterns_and_known_values() -> None:
    hints = Hints(
        names=["NOTION_TOKEN"],
        patterns=[r"^ntn_[A-Za-z0-9]{20,}$"],
        known_values=["correct-horse-battery"],
    )
    text, refs = redact_secrets(
        "NOTION_TOKEN is s3cr3tvalue99 and ntn_abcdefghijklmnopqrstu, old correct-horse-battery",
        hints=hints,
    )
    assert text == "NOTION_TOKEN is [secret:1] and [secret:2], old [secret:3]"
    assert refs == {1: "s3cr3tvalue99", 2: "ntn_abcdefghijklmnopqrstu", 3: "correct-horse-battery"}
    # expected_values is the positional shortcut for known values
    assert redact_secrets("x correct-horse-battery", ["correct-horse-battery"])[0] == "x [secret:1]"


def test_generic_assignments_of_secret_like_names() -> None:
    text, refs = redact_secrets("export MY_API_KEY=abcd1234efgh and DB_PASSWORD: hunter2hunter2")
    assert text == "export MY_API_KEY=[secret:1] and DB_PASSWORD: [secret:2]"
    assert list(refs.values()) == ["abcd1234efgh", "hunter2hunter2"]


def test_numbering_continues_and_repeats_reuse_their_reference() -> None:
    token = TOKENS["github classic"]
    text, refs = redact_secrets(f"{token} {token} {TOKENS['slack bot']}", existing={4: token})
    assert text == "[secret:4] [secret:4] [secret:5]"
    assert refs == {5: TOKENS["slack bot"]}
    # an already-redacted message stays as it is
    assert redact_secrets("use [secret:4]") == ("use [secret:4]", {})


def test_loose_template_patterns_are_ignored() -> None:
    assert usable_pattern(r"^.+$") is None
    assert usable_pattern(r"[a-z]+") is None
    assert usable_pattern(r"(unclosed") is None
    assert usable_pattern(r"^xapp-[0-9A-Za-z-]{10,}$") is not None


def test_parse_ref() -> None:
    assert parse_ref("[secret:3]") == 3
    assert parse_ref("secret:12") == 12
    assert parse_ref("7") == 7
    assert parse_ref("ghp_abc") is None


def test_mask_for_logs() -> None:
    assert mask(f"token={TOKENS['github classic']}") == "token=[redacted]"


@pytest.fixture
def capture() -> logging.Handler:
    install_log_redaction()
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep()
    handler.setFormatter(logging.Formatter("%(message)s %(extra_field)s"))
    handler.records = records  # type: ignore[attr-defined]
    logger = logging.getLogger("tests.credentials.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)


def test_log_records_are_redacted(capture: logging.Handler) -> None:
    logger = logging.getLogger("tests.credentials.logs")
    token = TOKENS["github classic"]
    register_secret("plain-registered-value")
    logger.info("message %s", token, extra={"extra_field": "k=plain-registered-value"})
    logger.info("dict args %(v)s", {"v": TOKENS["stripe live"]}, extra={"extra_field": ""})
    logger.info("extra", extra={"extra_field": {"headers": {"x-api-key": TOKENS["anthropic"]}}})
    try:
        raise ValueError(f"failed with {TOKENS['slack bot']}")
    except ValueError:
        logger.exception("boom %s", JWT, extra={"extra_field": ""})
    out = "\n".join(capture.records)  # type: ignore[attr-defined]
    for secret in (
        TOKENS["anthropic"],
        token,
        "plain-registered-value",
        TOKENS["stripe live"],
        TOKENS["slack bot"],
        JWT,
    ):
        assert secret not in out
    assert out.count("[redacted]") >= 5
    assert "ValueError" in out  # the exception is still logged, just scrubbed


def test_filter_and_idempotent_install() -> None:
    install_log_redaction()
    make_record = logging.Logger.makeRecord
    install_log_redaction()
    assert logging.Logger.makeRecord is make_record
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "t %s", (AWS_ID,), None)
    SecretRedactingFilter().filter(record)
    assert AWS_ID not in record.getMessage()
    assert redact_text("nothing here") == "nothing here"


def test_json_log_lines_carry_no_secret_from_an_exception() -> None:
    import io

    from core.logging_setup import JsonFormatter

    install_log_redaction()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.credentials.json")
    logger.addHandler(handler)
    try:
        raise RuntimeError(f"upstream rejected {TOKENS['anthropic']}")
    except RuntimeError:
        logger.exception("call failed")
    finally:
        logger.removeHandler(handler)
    assert TOKENS["anthropic"] not in stream.getvalue()
    assert "call failed" in stream.getvalue()
