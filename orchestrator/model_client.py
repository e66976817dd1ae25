"""The model behind the chat loop: the Anthropic Messages API, streamed, with retries.

``ModelClient`` is the interface the loop depends on; ``AnthropicModelClient`` implements it with
the async SDK and the offline planner implements it with a deterministic policy. Retries live
here (tenacity), not in the SDK (``max_retries=0``), so one policy honours ``retry-after`` and
one total deadline bounds the whole call.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import anthropic
import httpx
import httpx2
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from core.config import Settings

OnText = Callable[[str], Awaitable[None]]

log = logging.getLogger(__name__)

# The Anthropic usage counters logged per model call and per chat turn (0 when absent).
USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)


def usage_counts(usage: dict[str, Any] | None) -> dict[str, int]:
    """The token counters of an Anthropic ``usage`` object, missing or null ones as 0."""
    usage = usage or {}
    return {name: int(usage.get(name) or 0) for name in USAGE_FIELDS}


@dataclass
class ModelResponse:
    """One assistant message: Anthropic content blocks as plain dicts, and why it stopped."""

    content: list[dict[str, Any]]
    stop_reason: str | None = "end_turn"
    usage: dict[str, Any] = field(default_factory=dict)


class ModelClient(Protocol):
    async def respond(
        self,
        *,
        system: list[dict[str, Any]],
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        on_text: OnText | None = None,
    ) -> ModelResponse:
        """Return the next assistant message; stream its text through ``on_text``."""
        ...

    async def aclose(self) -> None: ...


class _StreamedAlready(Exception):
    """A failure after text reached the client: retrying would repeat that text."""


class ModelStreamError(Exception):
    """The model's stream broke (connection reset) or ended before ``message_stop``."""


# The SDK's HTTP client raises its transport errors raw when a stream breaks midway.
_TRANSPORT_ERRORS = (httpx.TransportError, httpx2.TransportError)


def _retryable(error: BaseException) -> bool:
    if isinstance(error, anthropic.APIConnectionError | ModelStreamError):  # incl. timeouts
        return True
    if isinstance(error, anthropic.APIStatusError):
        return error.status_code == 429 or error.status_code >= 500
    return False


def retry_after_seconds(error: BaseException) -> float | None:
    """The server's requested delay (``retry-after-ms`` or ``retry-after``), if any."""
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    if (value := headers.get("retry-after-ms")) is not None:
        try:
            return float(value) / 1000
        except ValueError:
            pass
    if (value := headers.get("retry-after")) is not None:
        try:
            return float(value)
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value)
            return max(0.0, parsed.timestamp() - time.time()) if parsed else None
    return None


class ModelError(Exception):
    """A model call that failed for good (retries spent). ``busy``: the model is overloaded or
    slow, worth retrying later; otherwise it is unreachable or broken. Chat maps it to HTTP."""

    def __init__(self, code: str, message: str, busy: bool) -> None:
        super().__init__(message)
        self.code, self.message, self.busy = code, message, busy


def model_failure(error: BaseException) -> ModelError:
    """What a final model failure means: busy (timeout, 429/529) or broken."""
    status = getattr(error, "status_code", None)
    if isinstance(error, anthropic.APITimeoutError) or isinstance(error, TimeoutError):
        return ModelError("model_timeout", "The model did not answer in time; try again.", True)
    if status in (429, 529):
        return ModelError(
            "model_unavailable", "The model is busy right now; try again in a minute.", True
        )
    if isinstance(error, anthropic.APIConnectionError):
        return ModelError(
            "model_unreachable", "Could not reach the model; try again shortly.", False
        )
    if isinstance(error, ModelStreamError):
        return ModelError(
            "model_stream_broken", "The model's answer was cut off; try again shortly.", False
        )
    return ModelError(
        "model_error", f"The model request failed (status {status}); try again shortly.", False
    )


class AnthropicModelClient:
    """Streams one Messages API call per ``respond``; created once at start-up."""

    def __init__(self, settings: Settings) -> None:
        assert settings.anthropic_api_key is not None
        self.settings = settings
        self.client = anthropic.AsyncAnthropic(
            api_key=settings.anthropic_api_key.get_secret_value(),
            base_url=settings.anthropic_base_url,
            max_retries=0,
            timeout=settings.model_deadline_seconds,
        )

    async def aclose(self) -> None:
        await self.client.close()

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        backoff = wait_exponential_jitter(
            initial=self.settings.model_retry_base_seconds,
            max=self.settings.model_retry_max_seconds,
        )(state)
        requested = retry_after_seconds(error) if error else None
        return max(backoff, requested) if requested is not None else backoff

    async def respond(
        self,
        *,
        system: list[dict[str, Any]],
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        on_text: OnText | None = None,
    ) -> ModelResponse:
        settings = self.settings
        retrying = AsyncRetrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(settings.model_max_retries + 1)
            | stop_before_delay(settings.model_deadline_seconds),
            wait=self._wait,
            reraise=True,
        )
        try:
            async with asyncio.timeout(settings.model_deadline_seconds):
                async for attempt in retrying:
                    with attempt:
                        return await self._stream_once(system, messages, tools, on_text)
        except _StreamedAlready as wrapped:
            raise model_failure(wrapped.__cause__ or wrapped) from wrapped
        except (anthropic.APIError, ModelStreamError, TimeoutError) as error:
            raise model_failure(error) from error
        raise AssertionError("unreachable")  # pragma: no cover

    async def _stream_once(
        self,
        system: list[dict[str, Any]],
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        on_text: OnText | None,
    ) -> ModelResponse:
        streamed = False
        try:
            async with self.client.messages.stream(
                model=self.settings.anthropic_model,
                max_tokens=self.settings.anthropic_max_tokens,
                system=system,  # type: ignore[arg-type]
                messages=messages,  # type: ignore[arg-type]
                tools=tools,  # type: ignore[arg-type]
            ) as stream:
                async for event in stream:
                    if event.type == "text" and on_text is not None and event.text:
                        streamed = True
                        await on_text(event.text)
                message = await stream.get_final_message()
            if message.stop_reason is None:  # no message_delta/message_stop: cut short
                raise ModelStreamError("the stream ended before the message was complete")
        except (anthropic.APIError, ModelStreamError, *_TRANSPORT_ERRORS) as error:
            if isinstance(error, _TRANSPORT_ERRORS):
                broken = ModelStreamError(f"the stream broke ({type(error).__name__})")
                if streamed:
                    raise _StreamedAlready() from broken
                raise broken from error
            if streamed:
                raise _StreamedAlready() from error
            raise
        content = [block.model_dump(mode="json", exclude_none=True) for block in message.content]
        for block in content:  # keep only what the API accepts back in history
            block.pop("citations", None)
        usage = message.usage.model_dump(mode="json")
        log.info(
            "model call: %s stop=%s",
            self.settings.anthropic_model,
            message.stop_reason,
            extra={
                "model": self.settings.anthropic_model,
                "stop_reason": message.stop_reason,
                **usage_counts(usage),
            },
        )
        return ModelResponse(content, message.stop_reason, usage)
