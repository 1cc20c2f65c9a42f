"""Token and cost accounting per interview session, for ``/status`` and the recap footer.

Prices are list prices per million tokens for hosted models we know; a local or unknown model is
reported as such instead of inventing a price.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.ports import LLMResult

# USD per 1M tokens (input, output). Longest prefix wins: "gpt-4o-mini-2024-07-18" -> gpt-4o-mini.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
    "o4-mini": (1.10, 4.40),
}


def price_for(model: str) -> tuple[float, float] | None:
    matches = [k for k in PRICES if model.startswith(k)]
    return PRICES[max(matches, key=len)] if matches else None


@dataclass(slots=True)
class Usage:
    model: str = ""
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    fallbacks: int = 0

    def add(self, result: LLMResult) -> None:
        self.model = result.model or self.model
        self.calls += 1
        self.prompt_tokens += result.prompt_tokens
        self.completion_tokens += result.completion_tokens

    def merge(self, other: Usage) -> None:
        self.model = other.model or self.model
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.fallbacks += other.fallbacks

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost(self) -> float | None:
        price = price_for(self.model)
        if price is None:
            return None
        return (self.prompt_tokens * price[0] + self.completion_tokens * price[1]) / 1_000_000

    def note(self, model: str) -> str:
        cost = self.cost
        money = f"≈ ${cost:.4f}" if cost is not None else "cost n/a (no price known for this model)"
        line = (
            f"Model: {self.model or model} · {self.calls} calls · {self.tokens:,} tokens · {money}"
        )
        if self.fallbacks:
            line += f" · {self.fallbacks} offline fallback(s)"
        return line
