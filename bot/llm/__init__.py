"""The LLM layer: an OpenAI-compatible client and ``LLMBrain``, with the offline brain as the floor.

Nothing here imports ``openai`` at module level: ``build_brain`` is called only when an endpoint
is configured, so the offline default works without the ``llm`` extra installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.brain import OfflineBrain
    from bot.llm.brain import LLMBrain
    from bot.llm.openai_client import OpenAICompatibleClient


def llm_configured(settings: Settings) -> bool:
    """An explicit endpoint, or an API key for the default (OpenAI) one."""
    return bool(settings.llm_base_url or settings.llm_api_key)


def build_client(settings: Settings) -> OpenAICompatibleClient:
    from bot.llm.openai_client import OpenAICompatibleClient

    return OpenAICompatibleClient(
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key,
        model=settings.llm_model,
        timeout_s=settings.llm_timeout_s,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
    )


def build_brain(settings: Settings, offline: OfflineBrain) -> LLMBrain:
    from bot.llm.brain import LLMBrain

    return LLMBrain(
        offline,
        build_client(settings),
        turn_deadline_s=settings.llm_turn_deadline_s,
        max_tokens=settings.llm_max_tokens,
    )
