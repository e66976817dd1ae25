"""Where a product's ordinary-word name written in lower case still names it ("create a linear
issue", "our notion database", "the box folder"): after a determiner or preposition and right
before one of the things products hold. Elsewhere such a word keeps its ordinary sense ("close
the ticket", "I have a notion the cache is full", "cut me some slack")."""

__all__ = ["stands_as_name"]

_BEFORE = frozenset(
    "a an the our my your their in on into from to via through using"
    # the state of what it holds: "last week's closed linear issues", "all open jira bugs"
    " open closed new recent latest archived".split()
)
_THINGS = frozenset(
    "issue ticket page database workspace account folder board project workflow task crm lead"
    " collection channel base space inbox dashboard cms site store app repo".split()
)


def stands_as_name(before: str | None, after: str | None) -> bool:
    """Whether a plain ordinary word between the words ``before`` and ``after`` (lower case,
    None at either end of the text) is used as a product's name."""
    if before not in _BEFORE or after is None:
        return False
    return after in _THINGS or (after.endswith("s") and after[:-1] in _THINGS)
