"""Precomputed vectors of the bundled catalog for the local models (MiniLM and the
multilingual e5 beside it, catalog.embedders.readers), so a fresh database (first
``serve``, every test session) loads in about a second instead of embedding ~400 entries.

Vectors are keyed by the sha256 of the exact text embedded: an edited entry misses the cache
and is embedded live, so a stale cache only costs time, never a wrong vector. Regenerate
after editing the catalog:

    .venv/bin/python -m catalog.vector_cache
"""

import asyncio
import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np

from catalog.embedders import Embedder, LocalEmbedder, readers

CACHE_DIR = Path(__file__).parent / "data"


def cache_path(model_id: str) -> Path:
    return CACHE_DIR / f"vectors.{model_id}.npz"


@lru_cache(maxsize=4)
def _read(model_id: str) -> dict[str, np.ndarray]:
    path = cache_path(model_id)
    if not path.exists():
        return {}
    with np.load(path) as data:
        return dict(zip(data["hashes"].tolist(), data["vectors"].astype(np.float32), strict=True))


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def cached_vectors(model_id: str, texts: list[str]) -> dict[str, list[float]]:
    """Cached vectors of ``model_id`` for those of ``texts`` in the cache, keyed by text."""
    table = _read(model_id)
    return {t: table[text_key(t)].tolist() for t in texts if text_key(t) in table}


async def vectors_for(
    embedder: Embedder, texts: list[str], *, use_cache: bool = True
) -> tuple[dict[str, list[float]], int]:
    """Vectors of ``embedder``'s model for ``texts``, keyed by text: from the bundled cache
    where it has them, embedded live (each distinct text once) where it does not. Also
    returns how many distinct texts came from the cache."""
    cached = cached_vectors(embedder.model_id, texts) if use_cache else {}
    missing = [t for t in dict.fromkeys(texts) if t not in cached]
    fresh = await embedder.embed(missing) if missing else []
    return {**cached, **dict(zip(missing, fresh, strict=True))}, len(cached)


async def rebuild() -> list[Path]:
    """Embed every bundled entry, each of its tools (catalog.tool_index) and its example
    requests (catalog.examples) with each local model and write their cache files."""
    from catalog.examples import example_requests
    from catalog.loader import validate_catalog
    from catalog.tool_index import tool_texts

    entries, errors, _ = validate_catalog()
    if errors:
        raise SystemExit("fix the catalog first:\n" + "\n".join(errors))
    texts = [e.embedding_text() for e in entries]
    texts += [text for e in entries for text in tool_texts(e).values()]
    texts += [text for examples in example_requests().values() for text in examples]
    texts = list(dict.fromkeys(texts))
    paths = []
    for embedder in readers(LocalEmbedder()):
        vectors = await embedder.embed(texts)
        paths.append(cache_path(embedder.model_id))
        np.savez_compressed(
            paths[-1],
            hashes=np.array([text_key(t) for t in texts]),
            vectors=np.array(vectors, dtype=np.float16),
        )
    _read.cache_clear()
    return paths


if __name__ == "__main__":
    print("wrote", *asyncio.run(rebuild()))
