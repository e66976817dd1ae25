"""The OpenAI embedder through the real ``openai`` SDK against a local fake API."""

import openai
import pytest

from catalog.embedders import LocalEmbedder, OpenAIEmbedder, get_embedder
from tests.conftest import make_settings
from tests.fakes.openai_server import FakeOpenAI, fake_vector


@pytest.fixture
def fake_api():
    with FakeOpenAI() as fake:
        yield fake


def _embedder(fake: FakeOpenAI, **kwargs: object) -> OpenAIEmbedder:
    return OpenAIEmbedder("sk-test-key", base_url=fake.base_url, max_wait=0.05, **kwargs)  # type: ignore[arg-type]


async def test_embeds_in_batches_and_keeps_input_order(fake_api: FakeOpenAI) -> None:
    texts = [f"text {i}" for i in range(5)]
    vectors = await _embedder(fake_api, batch_size=2).embed(texts)
    assert [len(r["input"]) for r in fake_api.requests] == [2, 2, 1]
    assert all(r["model"] == "text-embedding-3-small" for r in fake_api.requests)
    assert vectors == [pytest.approx(fake_vector(t, 1536)) for t in texts]
    assert fake_api.auth_headers[0] == "Bearer sk-test-key"


async def test_retries_429_then_succeeds(fake_api: FakeOpenAI) -> None:
    fake_api.failures = [429, 503]
    vectors = await _embedder(fake_api).embed(["hello"])
    assert len(fake_api.requests) == 3
    assert len(vectors) == 1 and len(vectors[0]) == 1536


async def test_gives_up_after_max_attempts(fake_api: FakeOpenAI) -> None:
    fake_api.failures = [429, 429, 429]
    with pytest.raises(openai.RateLimitError):
        await _embedder(fake_api, max_attempts=3).embed(["hello"])
    assert len(fake_api.requests) == 3


async def test_client_errors_are_not_retried(fake_api: FakeOpenAI) -> None:
    fake_api.failures = [400]
    with pytest.raises(openai.BadRequestError):
        await _embedder(fake_api).embed(["hello"])
    assert len(fake_api.requests) == 1


def test_get_embedder_prefers_openai_when_a_key_is_set(tmp_path) -> None:
    chosen = get_embedder(
        make_settings(tmp_path, openai_api_key="sk-x", openai_base_url="http://127.0.0.1:9/v1")
    )
    assert isinstance(chosen, OpenAIEmbedder)
    assert (chosen.model_id, chosen.dimensions) == ("text-embedding-3-small", 1536)
    assert isinstance(get_embedder(make_settings(tmp_path)), LocalEmbedder)
