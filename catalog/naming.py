"""Which catalog servers a request names: "post to Slack" names Slack, "a Jira ticket" names
Atlassian (by its rare tag), "find cheap flights" names nothing.

A server is named when the distinctive words of its name occur together in the request, or, with
a vendor prefix left out, the rest of its name does ("Cost Explorer" for "AWS Cost Explorer"). A
name that is an ordinary English word ("Close", "Time", "Find-A-Domain", "Linear") counts only
when written with a capital inside a sentence, so "close stale pull requests" and "every time"
name nothing. A tag names a server only when it is rare in the catalog and capitalised ("Jira").
"""

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from catalog.models import generic_name_words
from catalog.normalise import has_cjk
from catalog.plain_names import stands_as_name

COMMON_WORDS_PATH = Path(__file__).parent / "data" / "common_words.txt"
_VENDORS = frozenset("aws amazon google microsoft azure cloudflare".split())
# "Postgres" names PostgreSQL as well as Postgres MCP Pro: chosen between, not one by name alone
_SHORT_NAMES = {"postgresql": "postgres"}
# Words that begin the names of several servers without naming any one of them.
_UMBRELLAS = _VENDORS | frozenset("python java javascript typescript rust go node.js .net".split())
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.]*[A-Za-z0-9]|[A-Za-z0-9]")
# Acronyms of formats and protocols ("the PDF", "over HTTP", "the API") name no server by a tag.
_FORMAT_ACRONYMS = frozenset(
    "pdf csv tsv json xml yaml html http https api apis sql url urls utc png jpg jpeg svg gif mp3"
    " mp4 ai llm ui ux id seo kpi roi faq os cpu gpu ram dns ip tls ssl ssh sdk cli etl saas"
    " roas pii"
    # kinds of software, not brands ("the Airtable CRM base")
    " crm erp cms cdn vpn iot hr ci cd".split()
)
# Languages and countries are capitalised, and some servers carry them as tags ("india" on an
# Indian broker): they say where or in what, never which service.
NOT_NAMES_BY_TAG = (
    _FORMAT_ACRONYMS
    | frozenset("python java javascript typescript rust go ruby php kotlin swift".split())
    | frozenset("india china japan germany france brazil australia canada europe uk usa".split())
)
# A name written as its web address ("Kiwi.com", "incident.io") is the word before the dot, in
# the request as in the catalog; not a weekday's or a month's ("Monday.com": "every Monday").
_DOMAIN = re.compile(r"([a-z0-9][a-z0-9-]*)\.(?:com|io|ai|app|so|dev|co)")
_DATE_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may"
    " june july august september october november december".split()
)


def _site_name(word: str) -> str:
    found = _DOMAIN.fullmatch(word)
    return found.group(1) if found and found.group(1) not in _DATE_WORDS else word


RARE_TAG_SERVERS = 2  # a tag held by more servers than this is a topic, not a name
TOPIC_TAG_SERVERS = 3  # a tag held by more servers than this says too little to be a topic


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """The ordinary words that name a server only when capitalised (a file a person edits)."""
    lines = COMMON_WORDS_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


@dataclass(frozen=True)
class Token:
    word: str  # lower case
    capital: bool  # written with a capital letter, not as the first word of a sentence
    upper: bool = False  # written all in capitals ("X", "SMS")
    joined: bool = False  # only a space from the word before it (no comma, no full stop)
    after_stop: bool = False  # a comma, colon or full stop between it and the word before


def uncapitalise_sentence_starts(text: str) -> str:
    """``text`` with each sentence's first word lower-cased when it is an ordinary word, so
    "Close stale pull requests" does not name Close once the sentence is split into needs."""

    def lower(match: re.Match[str]) -> str:
        word = match.group(2)
        plain = word[1:] == word[1:].lower() and word.lower() in common_words()
        return match.group(1) + (word.lower() if plain else word)

    return re.sub(r"(^\W*|[.!?:;\n]\s*)([A-Za-z][\w.]*)", lower, text)


def tokens(text: str) -> list[Token]:
    """The request's words, each marked when it has a capital a sentence start cannot explain."""
    out: list[Token] = []
    end = -1
    for match in _WORD.finditer(text):
        joined = end >= 0 and text[end : match.start()] == " "
        after_stop = end >= 0 and any(c in ",:;.!?" for c in text[end : match.start()])
        end = match.end()
        raw = match.group().rstrip(".")
        site = _site_name(raw.lower())
        before = text[: match.start()].rstrip()
        # the text's own first word counts: a search query ("Linear create ticket") starts with
        # its brand; split_needs lower-cases a request's sentence-initial ordinary words
        sentence_start = bool(before) and before[-1] in ".!?:;\n"
        inner_capital = raw[1:] != raw[1:].lower()  # "GitHub" at a sentence start still counts
        capital = any(c.isupper() for c in raw) and (not sentence_start or inner_capital)
        upper = raw.isupper() and raw.isalpha()
        # an address is a name however it is written ("on kiwi.com")
        out.append(Token(site, capital or upper or site != raw.lower(), upper, joined, after_stop))
    return out


def name_words(name: str) -> tuple[str, ...]:
    """The distinctive words of a server's name, in order ("GitHub Official" → ("github",))."""
    generic = generic_name_words()
    words = (_site_name(w.rstrip(".").lower()) for w in _WORD.findall(name.replace("-", " ")))
    return tuple(dict.fromkeys(w for w in words if w not in generic and w != "a"))


def _strong(token: Token) -> bool:
    return token.capital or token.word not in common_words()


def _own_name(request: list[Token], i: int, plain: bool = False) -> bool:
    """Whether the one word at ``i`` can be a name by itself: not an ordinary word written plain
    (catalog.plain_names), nor the start of a longer name ("Time Out Market" names no Time)."""
    token = request[i]
    if token.word not in common_words():
        return True
    after = request[i + 1] if i + 1 < len(request) else None
    longer = (
        after
        and after.joined
        and after.capital
        and not after.upper
        and after.word not in generic_name_words()
    )
    if not token.capital:  # with ``plain``, "create a linear issue" (not "close the ticket")
        before = request[i - 1].word if i else None
        return plain and stands_as_name(before, after.word if after and after.joined else None)
    return not longer  # "Hacker News" still names Hacker News


def _phrase_at(request: list[Token], words: tuple[str, ...], plain: bool = False) -> bool:
    n = len(words)
    for i in range(len(request) - n + 1):
        window = request[i : i + n]
        if tuple(t.word for t in window) == words and (n > 1 or _own_name(request, i, plain)):
            return True
    # a one-word brand written as two capitalised words: "Triple Whale" for "Triplewhale"
    return n == 1 and words[0] in _joined_pairs(request)


def _joined_pairs(request: list[Token]) -> set[str]:
    return {
        a.word + b.word
        for a, b in zip(request, request[1:], strict=False)
        if a.capital and b.capital
    }


def names(request: list[Token], name: str, tags: list[str], rare_tags: set[str]) -> str | None:
    """The words by which ``request`` names this server, or None when it does not."""
    request = [replace(t, word=_SHORT_NAMES.get(t.word, t.word)) for t in request]
    words = tuple(dict.fromkeys(_SHORT_NAMES.get(w, w) for w in name_words(name)))
    own = bool(words) and not (len(words) == 1 and words[0] in _VENDORS)
    if own and _phrase_at(request, words, plain=True):  # "the pricing page" names no AWS Pricing
        return " ".join(words)
    # the product without its vendor ("Cost Explorer"); an ordinary word alone ("team Core") not
    rest = words[1:] if len(words) > 2 or words[1:] and words[1] not in common_words() else ()
    if words and words[0] in _VENDORS and rest and _phrase_at(request, rest):
        return " ".join(rest)
    # the brand alone: "Pinecone" for "Pinecone Assistant", "YouTube" for "YouTube Transcripts";
    # not a format's acronym ("LLM research" names no "LLM Text")
    umbrella = words and (words[0] in _UMBRELLAS or words[0] in _FORMAT_ACRONYMS)
    if len(words) > 1 and not umbrella and _phrase_at(request, words[:1]):
        # an ordinary word counts capitalised when the name is an address ("Kiwi" for Kiwi.com)
        first = next(iter(_WORD.findall(name)), "").lower()
        written_as_address = _site_name(first) == words[0] != first
        if words[0] not in common_words() or written_as_address:
            return words[0]
    # a rare tag names it capitalised and no ordinary word ("Jira"), or in capitals ("X", "SMS")
    by_tag = {t.word for t in request if t.upper or t.capital and t.word not in common_words()}
    for tag in tags:
        if tag in rare_tags and tag in by_tag - NOT_NAMES_BY_TAG:
            return tag
    return None


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 4 and word.endswith("s") else word


def topic(request: list[Token], tags: list[str], topic_tags: set[str]) -> str | None:
    """A rare tag of the server that the request mentions ("weather", "flights", "email",
    "smart-home" as "smart home")."""
    words = [_singular(t.word) for t in request]
    for tag in tags:
        parts = [_singular(p) for p in tag.split("-") if p]
        if (
            tag in topic_tags
            and parts
            and any(words[i : i + len(parts)] == parts for i in range(len(words) - len(parts) + 1))
        ):
            return tag
    return None


_FUNCTION_WORDS = frozenset(
    "a an the to in on of for from with by at into onto about via through over per and or but"
    " so then as that which who when if is are was were be been it its this these those my our"
    " your their me us them you i we he she they each every all any some"
    # the same in the other languages requests come in ("un e-mail de relance")
    " de du des la le les un une el los las del der die das den dem ein eine di da do dos para"
    " por pour avec con mit und et y e au aux en zu im am von vom van het een".split()
)


def modifies_another_word(text: str, tag: str, server_text: str = "") -> bool:
    """Whether the words of ``tag`` occur in ``text`` only in front of another noun-like word
    ("email addresses", "error rate", "cost lines"): then they describe that word, and the
    clause is not about the tag's topic ("email" the service, "errors", "costs"). A following
    word the server's own text uses ("weather forecast", "smart home lights") is its topic.
    Chinese or Japanese text gets no such judgement: its words are not tokens, so
    "Markdown，然后保存…docs" would read as "markdown docs"."""
    if has_cjk(text):
        return False
    request = tokens(text)
    words = [_singular(t.word) for t in request]
    parts = [_singular(p) for p in tag.split("-") if p]
    spots = [i for i in range(len(words) - len(parts) + 1) if words[i : i + len(parts)] == parts]

    # a capitalised word after a plain one is a name ("flights Madrid to Tokyo"), not a noun
    # it describes; in a title ("the Blog Posts CMS") both are capitalised
    # nor a word after a comma or a colon ("logfire: show me exceptions")
    def follows(i: int) -> str:
        j = i + len(parts)
        name_after = j < len(words) and request[j].capital and not request[i].capital
        return "" if j >= len(words) or name_after or request[j].after_stop else words[j]

    after = [follows(i) for i in spots]
    own = {_singular(t.word) for t in tokens(server_text)}
    return bool(spots) and all(
        w.isalpha() and w not in _FUNCTION_WORDS and w not in own for w in after
    )


def topic_query(text: str) -> str:
    """``text`` plus the singular of its plural words, so the SQL lookup finds "movies" tags
    for "movie" and "movie" tags for "movies"."""
    extra = {w[:-1] for w in (t.word for t in tokens(text)) if len(w) > 4 and w.endswith("s")}
    extra |= {w for w in (t.word for t in tokens(text)) if "-" in w}
    extra |= {f"{t.word}s" for t in tokens(text) if len(t.word) > 3 and t.word.isalpha()}
    extra |= _joined_pairs(tokens(text))
    return " ".join([text, *sorted(extra)])


def named_systems(
    request: str, servers: list[tuple[str, str, list[str]]], rare_tags: set[str]
) -> dict[str, str]:
    """slug → the words that name it, for the servers (slug, name, tags) that ``request`` names.

    A server whose naming words are part of a longer match is dropped: "GitHub Chat" names
    github-chat, not every server called GitHub.
    """
    request_tokens = tokens(request)
    found = {
        slug: words
        for slug, name, tags in servers
        if (words := names(request_tokens, name, tags, rare_tags)) is not None
    }
    return {
        slug: words
        for slug, words in found.items()
        if not any(other != words and f" {words} " in f" {other} " for other in found.values())
    }


def strong_words(text: str) -> list[str]:
    """The words of ``text`` that may name a server on their own (for the SQL brand bonus):
    ordinary words count only when capitalised, so "find", "next", "run", "close" do not."""
    return list(dict.fromkeys(t.word for t in tokens(text) if _strong(t)))
