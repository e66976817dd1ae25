"""Capabilities named in passing inside a clause about something else: "send me the top Hacker
News posts by email", "tweet our new blog posts from Ghost". Searched as one need, the clause
finds only the service it names (Hacker News, Ghost); each capability found here becomes a need
of its own, with a fixed search phrase, so the search also looks for an email or X server.

The table is written for this purpose (generic verbs and nouns, not phrases of any labelled
request). ``orchestrator.selection`` treats these needs as secondary: one adds a server only
when nothing already chosen for the request could do it.
"""

from catalog.capability_rules import FETCH_PAGE, LOCAL_FILES, RULES
from catalog.capability_rules_dev import LOCAL_FIRST
from catalog.capability_rules_dev import SUPERSEDED as DEV_SUPERSEDED
from catalog.capability_rules_everyday import EVERYDAY_SUPERSEDED

__all__ = [
    "CAPABILITY_NEEDS",
    "FETCH_PAGE",
    "LOCAL_FILES",
    "LOCAL_FIRST",
    "capability_needs",
    "is_capability_need",
    "request_capabilities",
]

CAPABILITY_NEEDS = frozenset(need for _, need in RULES)
SUPERSEDED = {**DEV_SUPERSEDED, **EVERYDAY_SUPERSEDED}  # need -> the needs it makes redundant


def capability_needs(clause: str) -> list[str]:
    """The fixed search phrases of the capabilities ``clause`` mentions, in table order.

    >>> capability_needs("send me the top Hacker News posts by email")
    ['send email messages']
    """
    return [need for pattern, need in RULES if pattern.search(clause)]


def is_capability_need(need: str) -> bool:
    """Whether ``need`` is one of the phrases ``capability_needs`` adds."""
    return need in CAPABILITY_NEEDS


def request_capabilities(clauses: list[str]) -> list[str]:
    """The capabilities of a whole request, once each, in clause order, without those another
    one supersedes (an isolated cloud sandbox asked for anywhere replaces a local one)."""
    found = list(dict.fromkeys(need for clause in clauses for need in capability_needs(clause)))
    dropped = {n for need in found for n in SUPERSEDED.get(need, ())}
    return [need for need in found if need not in dropped]
