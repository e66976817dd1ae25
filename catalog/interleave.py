"""Merge the per-need rankings of one search into one list, best of every need first."""

from typing import Protocol

__all__ = ["interleave"]


class _Ranked(Protocol):
    slug: str


def interleave[R: _Ranked](rankings: list[list[R]], limit: int) -> list[R]:
    """Round-robin over the rankings, skipping servers already taken."""
    out: list[R] = []
    seen: set[str] = set()
    depth = max((len(r) for r in rankings), default=0)
    for rank in range(depth):
        for ranking in rankings:
            if rank < len(ranking) and ranking[rank].slug not in seen:
                seen.add(ranking[rank].slug)
                out.append(ranking[rank])
                if len(out) == limit:
                    return out
    return out
