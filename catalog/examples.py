"""Example requests for each catalog server (``catalog/example_requests.jsonl``): six things a
person might ask that this server is the tool for, written from the server's own entry and
never from a labelled request. Most name no product and many only describe a situation ("is it
too late to ring my colleague in Auckland?" for the time server), which a server's own summary
rarely matches: a need that reads like one of them fits that server even when it shares no
words with its description.

The vectors are held in memory per model, from the bundled vector cache when it has them
(``catalog.vector_cache``), else embedded once by the model's embedder on first use.
"""

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from catalog.embedders import Embedder
from catalog.vector_cache import vectors_for

__all__ = ["EXAMPLES_PATH", "ExampleIndex", "example_candidate", "example_index"]
__all__ += ["example_requests", "prepare_examples"]

EXAMPLES_PATH = Path(__file__).parent / "example_requests.jsonl"


@lru_cache(maxsize=1)
def example_requests() -> dict[str, tuple[str, ...]]:
    """slug -> its example requests, as bundled."""
    if not EXAMPLES_PATH.exists():
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for line in EXAMPLES_PATH.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out[str(row["slug"])] = tuple(str(e) for e in row["examples"])
    return out


@dataclass(frozen=True)
class ExampleIndex:
    """One model's unit vectors of every example, and the server each belongs to."""

    slugs: tuple[str, ...]
    vectors: np.ndarray  # one row per example, unit length

    def best(self, vector: list[float], slugs: list[str] | None = None) -> dict[str, float]:
        """slug -> how closely ``vector`` reads like that server's examples (for ``slugs``, or
        every server): the mean similarity of its two closest examples. One close example alone
        is often a shared detail ("a book on stoicism" and a notes vault's example searching
        notes on stoicism); a need that reads like the server's job is close to several."""
        query = np.asarray(vector, dtype=np.float32)
        query /= max(float(np.linalg.norm(query)), 1e-9)
        names, table = self._by_server
        # Pad each server's row with -inf (index -1) so servers with fewer examples line up.
        scores = np.append(self.vectors @ query, -np.inf)[table]
        ordered = np.sort(scores, axis=1)
        first, second = ordered[:, -1], ordered[:, -2]
        means = np.where(np.isfinite(second), (first + second) / 2, first).tolist()
        wanted = set(slugs) if slugs is not None else None
        return {
            slug: score
            for slug, score in zip(names, means, strict=True)
            if wanted is None or slug in wanted
        }

    @cached_property
    def _by_server(self) -> tuple[list[str], np.ndarray]:
        """The servers in order, and per server the row numbers of its examples (-1 pads)."""
        names = list(dict.fromkeys(self.slugs))
        rows: dict[str, list[int]] = {name: [] for name in names}
        for row, slug in enumerate(self.slugs):
            rows[slug].append(row)
        table = np.full((len(names), max([2, *(len(r) for r in rows.values())])), -1)
        for k, name in enumerate(names):
            table[k, : len(rows[name])] = rows[name]
        return names, table


# The server whose example requests read most like a need joins its candidates from this
# similarity (set with the selection's example floor, 0.45, on the tuning sets).
EXAMPLE_CANDIDATE = 0.42


def example_candidate(scores: dict[str, float], listed: set[str]) -> str | None:
    """The best-scoring server of ``scores`` when ``listed`` lacks it and it scores at least
    ``EXAMPLE_CANDIDATE`` ("somewhere cheap to crash in Kyoto": the stays search)."""
    top = max(scores, key=scores.__getitem__, default=None)
    return top if top and top not in listed and scores[top] >= EXAMPLE_CANDIDATE else None


_INDEXES: dict[str, ExampleIndex] = {}


def example_index(model_id: str) -> ExampleIndex | None:
    """The index of ``model_id``, once ``prepare_examples`` built it for that model."""
    return _INDEXES.get(model_id)


async def prepare_examples(embedder: Embedder) -> ExampleIndex | None:
    """Build (once per model) the example index of ``embedder``'s model."""
    if (ready := _INDEXES.get(embedder.model_id)) is not None:
        return ready
    pairs = [(slug, text) for slug, texts in example_requests().items() for text in texts]
    if not pairs:
        return None
    texts = [text for _, text in pairs]
    by_text, _ = await vectors_for(embedder, texts)
    vectors = np.asarray([by_text[t] for t in texts], dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    index = ExampleIndex(tuple(slug for slug, _ in pairs), vectors)
    _INDEXES[embedder.model_id] = index
    return index
