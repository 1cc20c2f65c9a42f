"""The LLM client base class: retries, back-off, time-outs and logging, written once.

Providers implement only ``_complete_impl`` / ``_stream_impl`` (the livekit agents
``recognize``/``_recognize_impl`` shape). Everything that must behave the same for every endpoint,
and that is easy to get subtly wrong per provider, lives here: which failures are retried (429,
5xx, time-outs, dropped connections) and which are not (4xx, refusals), how long to back off
(exponential with jitter, honouring ``Retry-After`` up to a cap), and one log line per call with
model, prompt tag, tokens and latency. The API key never reaches this layer's logs.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace

from bot.observability import observe_llm
from bot.ports import ChatMessage, LLMResult

log = logging.getLogger(__name__)


class LLMError(RuntimeError):
    """A call failed. ``retryable`` says whether trying again could help (429, 5xx, time-out)."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


class UnsupportedFormat(LLMError):
    """The server rejected the requested ``response_format``; the caller may downgrade it."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded on purpose: a live interview cannot wait through a long retry storm."""

    attempts: int = 3
    base_delay_s: float = 0.25
    max_delay_s: float = 2.0
    max_retry_after_s: float = 5.0

    def delay(self, attempt: int, error: LLMError, rng: random.Random) -> float:
        if error.retry_after is not None:
            return min(self.max_retry_after_s, max(0.0, error.retry_after))
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1)))
        # Full jitter: spreads retries from many sessions hitting the same rate limit.
        return rng.uniform(ceiling / 2, ceiling)


UsageHook = Callable[[str, LLMResult], None]


class LLMClient(ABC):
    """Base for every endpoint: ``complete()`` adds timeout/retry/logging around the provider hook."""

    provider = "base"
    display_url = "(in process)"  # where the endpoint is, safe to log (no credentials)

    def __init__(
        self,
        model: str,
        *,
        timeout_s: float = 20.0,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.model = model
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        self._rng = rng or random.Random()
        self.on_usage: list[UsageHook] = []

    # ---------------------------------------------------------------- provider hooks
    @abstractmethod
    async def _complete_impl(
        self,
        messages: Sequence[ChatMessage],
        schema: dict[str, object] | None,
        max_tokens: int | None,
    ) -> LLMResult:
        """One attempt. Raise ``LLMError`` (retryable or not); never retry here."""

    async def _stream_impl(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        """Providers without streaming yield the whole completion as one chunk."""
        result = await self._complete_impl(messages, None, None)
        yield result.text

    async def aclose(self) -> None:  # noqa: B027 - optional hook, default: nothing to release
        """Release connections; the default client holds none."""

    # ---------------------------------------------------------------- the shared policy
    async def _pause(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        schema: dict[str, object] | None = None,
        *,
        tag: str = "",
        max_tokens: int | None = None,
    ) -> LLMResult:
        started = time.perf_counter()
        last: LLMError | None = None
        for attempt in range(1, max(1, self.retry.attempts) + 1):
            try:
                async with asyncio.timeout(self.timeout_s):
                    result = await self._complete_impl(messages, schema, max_tokens)
            except TimeoutError:
                last = LLMError(f"no answer within {self.timeout_s:g} s", retryable=True)
            except LLMError as exc:
                last = exc
            else:
                result = replace(
                    result,
                    latency_ms=(time.perf_counter() - started) * 1000,
                    attempts=attempt,
                )
                observe_llm(result.latency_ms / 1000, True)
                log.info(
                    "llm call ok: model=%s prompt=%s tokens=%d+%d latency=%.0fms attempts=%d%s",
                    result.model,
                    tag or "-",
                    result.prompt_tokens,
                    result.completion_tokens,
                    result.latency_ms,
                    attempt,
                    " refusal" if result.refusal else "",
                )
                for hook in self.on_usage:
                    hook(tag, result)
                return result
            if not last.retryable or attempt >= self.retry.attempts:
                break
            wait = self.retry.delay(attempt, last, self._rng)
            log.warning(
                "llm call failed (model=%s prompt=%s attempt %d/%d: %s); retrying in %.2fs",
                self.model,
                tag or "-",
                attempt,
                self.retry.attempts,
                last,
                wait,
            )
            await self._pause(wait)
        assert last is not None
        kind = f"http_{last.status}" if last.status else "error"
        observe_llm(time.perf_counter() - started, False, kind=kind)
        log.warning(
            "llm call gave up: model=%s prompt=%s after %.0fms: %s",
            self.model,
            tag or "-",
            (time.perf_counter() - started) * 1000,
            last,
        )
        raise last

    async def stream(self, messages: Sequence[ChatMessage], *, tag: str = "") -> AsyncIterator[str]:
        """Partial text as it arrives. Retried only before the first chunk: once text has been
        shown to someone, starting again would duplicate it."""
        started = time.perf_counter()
        for attempt in range(1, max(1, self.retry.attempts) + 1):
            iterator = self._stream_impl(messages).__aiter__()
            try:
                async with asyncio.timeout(self.timeout_s):
                    first = await iterator.__anext__()
            except StopAsyncIteration:
                return
            except (TimeoutError, LLMError) as exc:
                error = (
                    exc
                    if isinstance(exc, LLMError)
                    else LLMError(f"no first token within {self.timeout_s:g} s", retryable=True)
                )
                await _close(iterator)
                if not error.retryable or attempt >= self.retry.attempts:
                    raise error from None
                await self._pause(self.retry.delay(attempt, error, self._rng))
                continue
            log.info(
                "llm stream first token: model=%s prompt=%s ttft=%.0fms",
                self.model,
                tag or "-",
                (time.perf_counter() - started) * 1000,
            )
            yield first
            try:
                while True:
                    try:
                        async with asyncio.timeout(self.timeout_s):
                            chunk = await iterator.__anext__()
                    except StopAsyncIteration:
                        return
                    except TimeoutError:
                        raise LLMError(
                            f"stream stalled for {self.timeout_s:g} s", retryable=False
                        ) from None
                    yield chunk
            finally:
                await _close(iterator)
        return


async def _close(iterator: AsyncIterator[str]) -> None:
    closer = getattr(iterator, "aclose", None)
    if closer is not None:
        await closer()
