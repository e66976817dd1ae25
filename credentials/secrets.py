"""Find secrets in free text (a chat message, a log line) and replace them with references.

Known formats (``secret_formats``) are matched by pattern; a few are recognised by what stands
next to them (an AWS access key id, "my password is", a long random blob). A pending credentials
request adds its names (``GITHUB_TOKEN=...``), its templates' patterns and the values we hold.
"""

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from credentials.secret_formats import WORD_START, SecretFormat, secret_formats

_RULES: list[tuple[SecretFormat, re.Pattern[str]]] = [(f, f.compile()) for f in secret_formats()]
# Characters that end a sentence rather than a URL; a password may well end in "!" or "?".
_TRAILING = ".,;:!?)]}>"
_PASSWORD_TRAILING = ".,;:)"  # noqa: S105
# An AWS secret key is 40 base64 characters and a Twilio auth token 32 hex ones; alone they
# look like anything, so each is taken only next to its account's id (or when labelled).
_AWS_SECRET_RE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_AWS_ID_RE = re.compile(r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}")
_TWILIO_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9])[a-f0-9]{32}(?![A-Za-z0-9])")
_TWILIO_SID_RE = re.compile(r"\bAC[a-f0-9]{32}\b")
# A long run of base64 characters with the entropy of random bytes (a key, a token, a blob).
_BLOB_RE = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{40,}={0,2}(?![A-Za-z0-9+/=_-])")
_BLOB_MIN_ENTROPY = 4.5  # bits per character; random base64 of 40+ characters has ~4.9-5.4
# NAME=value / NAME: value / "NAME is value" for names that end like secrets (MY_API_KEY, the
# token). Searched from the name's end, not its start: a scan from every word start is 40x slower.
_SECRET_WORDS = (
    r"(?:TOKEN|SECRET|PASSWORD|PASSWD|API[ _-]?KEY|ACCESS[ _-]?KEY|PRIVATE[ _-]?KEY"  # noqa: S105
    r"|AUTH[ _-]?KEY|SIGNING[ _-]?KEY|CREDENTIALS?)"
)
# The value must not be a plain lowercase word, so "the token is expired" stays readable.
_VALUE = r"[\"'`]?((?![a-z]+\b)[^\s\"'`,;]{8,})"
_ASSIGN = rf"[\"']?\s*(?:=>|=|:|\bis\b|\bwas\b)\s*{_VALUE}"
_LABELLED_RE = re.compile(rf"{_SECRET_WORDS}\b{_ASSIGN}", re.IGNORECASE)
# "my password is sunshine": a password may well be a plain word, unless it is one of these.
_PASSWORD_RE = re.compile(
    r"\b(?:password|passwd|passphrase|passcode|pass code|pin)\b"
    r"(?:\s+(?:for|of|to|on|at)(?:\s+[^\s:=]{1,40}){1,3}?)?"  # "password for the admin account"
    r"[\"']?\s*(?:=>|=|:|\bis\b|\bwas\b)\s*[\"'`“]?([^\s\"'`”]{4,200})",
    re.IGNORECASE,
)
_NOT_PASSWORDS = frozenset(
    "the not none wrong incorrect invalid expired required missing empty correct right still "
    "also being too very saved stored changed reset needed here there below above same "
    "different this that which what".split()
)
_REF_RE = re.compile(r"\[secret:(\d+)\]")
_MIN_VALUE_LEN = 6
# Template patterns that match ordinary words would redact the whole conversation.
_PROBES = (
    "hello",
    "Hello World",
    "the quick brown fox",
    "12345678",
    "https://example.com/path",
    "password",
    "README.md",
)


@dataclass
class Hints:
    """What a pending credentials request lets us recognise beyond the generic formats."""

    names: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    known_values: list[str] = field(default_factory=list)


def ref_label(n: int) -> str:
    """The reference that stands for the ``n``-th secret of a conversation: ``[secret:n]``."""
    return f"[secret:{n}]"


def parse_ref(ref: str) -> int | None:
    """``[secret:3]``, ``secret:3`` or ``3`` → 3."""
    match = re.fullmatch(r"\s*\[?(?:secret:)?(\d{1,6})\]?\s*", ref)
    return int(match.group(1)) if match else None


def usable_pattern(pattern: str) -> re.Pattern[str] | None:
    """A template pattern compiled for searching, or None when it is too loose to search with.

    Templates use JSON Schema's convention: ``^sk-[a-z]+$`` describes a whole value, while
    ``^postgres(ql)?://`` only says how a value starts, so its match runs on to the end of
    the word (the whole URL), not to a word boundary it could never meet.
    """
    whole = pattern.endswith("$") and not pattern.endswith(r"\$")
    body = pattern.removeprefix("^").removesuffix("$") if whole else pattern.removeprefix("^")
    if not whole and not re.match(r"[A-Za-z0-9_-]{3}", body):
        return None  # a bare prefix must start with something literal, or it matches any word
    tail = r"(?![A-Za-z0-9_-])" if whole else r"[^\s\"'`<>]*"
    try:
        compiled = re.compile(rf"{WORD_START}(?:{body}){tail}")
    except re.error:
        return None
    if any(compiled.search(probe) for probe in _PROBES):
        return None
    return compiled


def _entropy(text: str) -> float:
    counts = Counter(text).values()
    return -sum(c / len(text) * math.log2(c / len(text)) for c in counts)


def _looks_random(value: str) -> bool:
    has_digit = any(c.isdigit() for c in value)
    has_upper = any(c.isupper() for c in value)
    has_lower = any(c.islower() for c in value)
    return (has_digit and (has_upper or has_lower)) or (has_upper and has_lower)


def _trim(text: str, start: int, end: int, trailing: str = _TRAILING) -> tuple[int, int]:
    while end > start and text[end - 1] in trailing:
        end -= 1
    return start, end


def _format_spans(text: str) -> list[tuple[int, int]]:
    lower = text.lower()
    spans: list[tuple[int, int]] = []
    for fmt, rule in _RULES:
        if fmt.keywords and not any(k in lower for k in fmt.keywords):
            continue
        for match in rule.finditer(text):
            group = "s" if "s" in rule.groupindex else 0
            if fmt.random and not _looks_random(match.group(group)):
                continue
            start, end = match.span(group)
            spans.append(_trim(text, start, end) if fmt.id == "url_credentials" else (start, end))
    return spans


def _contextual_spans(text: str) -> list[tuple[int, int]]:
    spans = [_trim(text, *m.span(1), _PASSWORD_TRAILING) for m in _LABELLED_RE.finditer(text)]
    for match in _PASSWORD_RE.finditer(text):
        if match.group(1).lower().rstrip(_TRAILING) not in _NOT_PASSWORDS:
            spans.append(_trim(text, *match.span(1), _PASSWORD_TRAILING))
    if _AWS_ID_RE.search(text):
        spans += [m.span() for m in _AWS_SECRET_RE.finditer(text)]
    if _TWILIO_SID_RE.search(text):
        spans += [m.span() for m in _TWILIO_TOKEN_RE.finditer(text)]
    for match in _BLOB_RE.finditer(text):
        blob = match.group()
        mixed = blob.lower() != blob != blob.upper() and any(c.isdigit() for c in blob)
        if mixed and _entropy(blob) >= _BLOB_MIN_ENTROPY:
            spans.append(match.span())
    return spans


def find_secrets(text: str, hints: Hints | None = None) -> list[tuple[int, int]]:
    """Spans of ``text`` that hold secrets, sorted and merged."""
    hints = hints or Hints()
    spans = _format_spans(text) + _contextual_spans(text)
    for name in hints.names:
        named = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}\b{_ASSIGN}", re.IGNORECASE)
        spans += [_trim(text, *m.span(1), _PASSWORD_TRAILING) for m in named.finditer(text)]
    for pattern in hints.patterns:
        compiled = usable_pattern(pattern)
        if compiled is not None:
            for match in compiled.finditer(text):
                start, end = _trim(text, *match.span())
                if end - start >= _MIN_VALUE_LEN:
                    spans.append((start, end))
    for value in hints.known_values:
        if len(value) >= _MIN_VALUE_LEN:
            spans += _occurrences(text, value)
    return _merge(spans)


def _occurrences(text: str, value: str) -> list[tuple[int, int]]:
    # plain substring search: log redaction checks thousands of known values per record
    found = []
    start = text.find(value)
    while start != -1:
        found.append((start, start + len(value)))
        start = text.find(value, start + 1)
    return found


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def redact_secrets(
    text: str,
    expected_values: Iterable[str] = (),
    *,
    hints: Hints | None = None,
    existing: dict[int, str] | None = None,
) -> tuple[str, dict[int, str]]:
    """Replace each secret in ``text`` with ``[secret:N]``; return the text and the new {N: value}.

    ``existing`` maps references already handed out in this conversation: a value seen before
    gets its old number, new values continue after the highest one.
    """
    hints = hints or Hints()
    hints = Hints(hints.names, hints.patterns, [*hints.known_values, *expected_values])
    existing = existing or {}
    by_value = {v: n for n, v in existing.items()}
    next_n = max(existing, default=0) + 1
    new: dict[int, str] = {}
    out: list[str] = []
    pos = 0
    for start, end in find_secrets(text, hints):
        value = text[start:end]
        if _REF_RE.fullmatch(value):
            continue
        n = by_value.get(value)
        if n is None:
            n, next_n = next_n, next_n + 1
            by_value[value] = n
            new[n] = value
        out += [text[pos:start], ref_label(n)]
        pos = end
    out.append(text[pos:])
    return "".join(out), new


def mask(
    text: str, known_values: Iterable[str] = (), extra_spans: Iterable[tuple[int, int]] = ()
) -> str:
    """``text`` with every detected secret replaced by ``[redacted]`` (for logs and errors)."""
    spans = _merge([*find_secrets(text, Hints(known_values=list(known_values))), *extra_spans])
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for start, end in spans:
        out += [text[pos:start], "[redacted]"]
        pos = end
    out.append(text[pos:])
    return "".join(out)
