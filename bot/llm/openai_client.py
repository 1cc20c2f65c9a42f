"""Any OpenAI-compatible chat endpoint (OpenAI, Ollama, llama.cpp, vLLM, LM Studio) via ``openai``.

The ``openai`` package is imported here only, and only when a client is built, so the offline
default runs without the ``llm`` extra installed. The SDK's own retries are switched off
(``max_retries=0``): the base class owns the retry policy, so a call is never retried twice over.

Structured output degrades per server, remembered per client: ``json_schema`` (OpenAI, vLLM,
recent llama.cpp/Ollama) → ``json_object`` (JSON mode) → plain text parsed defensively.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit, urlunsplit

from bot.llm.base import LLMClient, LLMError, RetryPolicy, UnsupportedFormat
from bot.ports import ChatMessage, LLMResult

if TYPE_CHECKING:
    from openai import AsyncOpenAI, AsyncStream
    from openai.types.chat import ChatCompletionChunk

log = logging.getLogger(__name__)

DEFAULT_OPENAI_URL = "https://api.openai.com/v1"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
_FORMATS = ("json_schema", "json_object", "none")


def _retry_after(headers: Any) -> float | None:
    try:
        value = headers.get("retry-after") if headers is not None else None
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def redact_url(url: str) -> str:
    """``https://user:key@host/v1`` -> ``https://host/v1``."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


class OpenAICompatibleClient(LLMClient):
    provider = "openai-compatible"

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        model: str | None,
        timeout_s: float = 20.0,
        max_tokens: int = 800,
        temperature: float = 0.3,
        retry: RetryPolicy | None = None,
    ) -> None:
        import openai  # lazy: only when an endpoint is configured

        self.base_url = (base_url or DEFAULT_OPENAI_URL).rstrip("/")
        # What logs and `doctor` may show: never credentials embedded in the URL.
        self.display_url = redact_url(self.base_url)
        default_model = DEFAULT_OPENAI_MODEL if base_url is None else ""
        super().__init__(model or default_model, timeout_s=timeout_s, retry=retry)
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.format_mode = _FORMATS[0]
        self._openai = openai
        # Local servers (Ollama, llama.cpp) need no key, but the SDK insists on one.
        self._client: AsyncOpenAI = openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=api_key or "not-needed",
            max_retries=0,
            timeout=timeout_s,
        )

    async def aclose(self) -> None:
        await self._client.close()

    # ---------------------------------------------------------------- helpers
    def _error(self, exc: Exception) -> LLMError:
        openai = self._openai
        if isinstance(exc, openai.APITimeoutError):
            return LLMError("request timed out", retryable=True)
        if isinstance(exc, openai.APIConnectionError):
            return LLMError(f"connection failed: {exc}", retryable=True)
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            retry_after = _retry_after(getattr(exc.response, "headers", None))
            retryable = status == 429 or status >= 500 or status == 408
            return LLMError(
                f"HTTP {status}: {exc.message}"[:300],
                retryable=retryable,
                status=status,
                retry_after=retry_after,
            )
        if isinstance(exc, openai.OpenAIError):
            return LLMError(f"{type(exc).__name__}: {exc}"[:300])
        raise exc

    async def resolve_model(self) -> str:
        """The configured model, or the server's first listed model (Ollama, llama.cpp)."""
        if self.model:
            return self.model
        try:
            page = await self._client.models.list()
        except Exception as exc:
            raise self._error(exc) from exc
        models = [m.id for m in page.data]
        if not models:
            raise LLMError("the server lists no models; set LLM_MODEL")
        self.model = models[0]
        log.info("llm model not configured; using the server's first model %s", self.model)
        return self.model

    def _format(self, schema: dict[str, object] | None) -> Any:
        if schema is None or self.format_mode == "none":
            return self._openai.omit
        if self.format_mode == "json_object":
            return {"type": "json_object"}
        return {
            "type": "json_schema",
            "json_schema": {"name": str(schema.get("title", "output")), "schema": schema},
        }

    # ---------------------------------------------------------------- provider hooks
    async def _complete_impl(
        self,
        messages: Sequence[ChatMessage],
        schema: dict[str, object] | None,
        max_tokens: int | None,
    ) -> LLMResult:
        model = await self.resolve_model()
        payload = [{"role": m.role, "content": m.content} for m in messages]
        while True:
            response_format = self._format(schema)
            try:
                response = await self._client.chat.completions.create(
                    model=model,
                    messages=payload,  # type: ignore[arg-type]
                    max_tokens=max_tokens or self.max_tokens,
                    temperature=self.temperature,
                    response_format=response_format,
                )
            except Exception as exc:
                error = self._error(exc)
                if (
                    error.status in (400, 422)
                    and response_format is not self._openai.omit
                    and any(w in str(exc).lower() for w in ("format", "json", "schema"))
                ):
                    self._downgrade(str(error))
                    continue
                raise error from exc
            break
        if not response.choices:
            raise LLMError("the response has no choices", retryable=True)
        choice = response.choices[0]
        message = choice.message
        refusal = getattr(message, "refusal", None) or ""
        if choice.finish_reason == "content_filter" and not refusal:
            refusal = "content filter"
        usage = response.usage
        return LLMResult(
            text=message.content or "",
            model=str(getattr(response, "model", "") or model),
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            finish_reason=str(getattr(choice, "finish_reason", None) or ""),
            refusal=refusal,
        )

    def _downgrade(self, reason: str) -> None:
        index = _FORMATS.index(self.format_mode)
        if index + 1 >= len(_FORMATS):
            raise UnsupportedFormat(reason)
        self.format_mode = _FORMATS[index + 1]
        log.info("llm server rejected structured output (%s); using %s", reason, self.format_mode)

    async def _stream_impl(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        model = await self.resolve_model()
        payload = [{"role": m.role, "content": m.content} for m in messages]
        try:
            created = await self._client.chat.completions.create(
                model=model,
                messages=payload,  # type: ignore[arg-type]
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                stream=True,
            )
        except Exception as exc:
            raise self._error(exc) from exc
        stream = cast("AsyncStream[ChatCompletionChunk]", created)
        try:
            async for chunk in stream:
                for choice in chunk.choices:
                    text = choice.delta.content if choice.delta else None
                    if text:
                        yield text
        except Exception as exc:
            raise self._error(exc) from exc
        finally:
            await stream.close()


def describe(client: LLMClient) -> str:
    """``model @ host`` for status lines; never includes the key."""
    base = getattr(client, "base_url", "")
    return f"{client.model or '(server default)'} @ {base}" if base else client.model
