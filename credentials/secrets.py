"""Find secrets in free text (a chat message, a log line) and replace them with references.

Known token formats are matched by pattern; a pending credentials request adds its names
(``GITHUB_TOKEN=...``), its templates' patterns and literal values we already hold.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# Formats of well-known secrets. Lengths are a little looser than the issuers' so a truncated or
# test token is still caught: a false positive costs a reference, a miss leaks a secret.
TOKEN_PATTERNS: dict[str, str] = {
    "github_pat": r"github_pat_[A-Za-z0-9_]{20,255}",
    "github": r"gh[pousr]_[A-Za-z0-9]{20,255}",
    "slack": r"xox[abposr]-[A-Za-z0-9-]{10,255}",
    "anthropic": r"sk-ant-[A-Za-z0-9_-]{20,255}",
    "openai": r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,255}",
    "stripe": r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,255}",
    "aws_access_key": r"(?:AKIA|ASIA)[A-Z0-9]{16}",
    "jwt": r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}",
    "google_api_key": r"AIza[0-9A-Za-z_-]{35}",
    "gitlab": r"glpat-[A-Za-z0-9_-]{20,255}",
    "huggingface": r"hf_[A-Za-z0-9]{30,255}",
    "npm": r"npm_[A-Za-z0-9]{36,255}",
    "private_key": r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----",
}
_TOKENS_RE = re.compile("|".join(f"(?<![A-Za-z0-9_-])(?:{p})" for p in TOKEN_PATTERNS.values()))
# An AWS secret key is 40 base64 characters; on its own it looks like anything, so it is only
# taken when an access key id is in the same text or when it is labelled.
_AWS_SECRET_RE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_AWS_ACCESS_RE = re.compile(TOKEN_PATTERNS["aws_access_key"])
# NAME=value / NAME: value / "NAME is value" for names that look like secrets.
_SECRET_WORDS = r"[A-Za-z0-9_]*(?:TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_KEY|PRIVATE_KEY)"  # noqa: S105
# The value must not be a plain lowercase word, so "the token is expired" stays readable.
_VALUE = r"[\"']?((?![a-z]+\b)[^\s\"'`,;]{8,})"
_ASSIGN = rf"\s*(?:=|:)\s*{_VALUE}"
_ASSIGN_OR_IS = rf"\s*(?:=|:|\bis\b)\s*{_VALUE}"
_LABELLED_RE = re.compile(rf"\b{_SECRET_WORDS}\b{_ASSIGN}", re.IGNORECASE)
_REF_RE = re.compile(r"\[secret:(\d+)\]")
_MIN_VALUE_LEN = 6
# Template patterns that match ordinary words would redact the whole conversation.
_PROBES = ("hello", "the quick brown fox", "12345678", "https://example.com/path", "password")


@dataclass
class Hints:
    """What a pending credentials request lets us recognise beyond the generic formats."""

    names: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    known_values: list[str] = field(default_factory=list)


def ref_label(n: int) -> str:
    return f"[secret:{n}]"


def parse_ref(ref: str) -> int | None:
    """``[secret:3]``, ``secret:3`` or ``3`` → 3."""
    match = re.fullmatch(r"\s*\[?(?:secret:)?(\d{1,6})\]?\s*", ref)
    return int(match.group(1)) if match else None


def usable_pattern(pattern: str) -> re.Pattern[str] | None:
    """A template pattern compiled for searching, or None when it is too loose to search with."""
    body = pattern.removeprefix("^").removesuffix("$")
    try:
        compiled = re.compile(rf"(?<![A-Za-z0-9_-])(?:{body})(?![A-Za-z0-9_-])")
    except re.error:
        return None
    if any(compiled.search(probe) for probe in _PROBES):
        return None
    return compiled


def find_secrets(text: str, hints: Hints | None = None) -> list[tuple[int, int]]:
    """Spans of ``text`` that hold secrets, sorted and merged."""
    hints = hints or Hints()
    spans: list[tuple[int, int]] = [m.span() for m in _TOKENS_RE.finditer(text)]
    spans += [m.span(1) for m in _LABELLED_RE.finditer(text)]
    if _AWS_ACCESS_RE.search(text):
        spans += [m.span() for m in _AWS_SECRET_RE.finditer(text)]
    for name in hints.names:
        named = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}\b{_ASSIGN_OR_IS}", re.IGNORECASE)
        spans += [m.span(1) for m in named.finditer(text)]
    for pattern in hints.patterns:
        compiled = usable_pattern(pattern)
        if compiled is not None:
            spans += [
                m.span() for m in compiled.finditer(text) if m.end() - m.start() >= _MIN_VALUE_LEN
            ]
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
