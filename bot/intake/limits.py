"""Intake limits as one frozen value, so every entry point (chat, console, CLI) refuses alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from bot.settings import Settings

LanguagePolicy = Literal["warn", "refuse"]


@dataclass(frozen=True, slots=True)
class IntakeLimits:
    """Defaults mirror ``Settings`` so tests and callers without settings get the same behaviour.

    ``max_pdf_pages`` is a reading limit, not a refusal: a longer PDF is read up to that page and a
    notice says so, because postings are often followed by pages of benefits or legal text.
    """

    max_bytes: int = 2 * 1024 * 1024
    max_chars: int = 60_000
    max_pdf_pages: int = 20
    timeout_s: float = 10.0
    language_policy: LanguagePolicy = "warn"

    def __post_init__(self) -> None:
        if self.max_bytes < 1 or self.max_chars < 1 or self.max_pdf_pages < 1:
            raise ValueError("intake limits must be positive")
        if self.timeout_s <= 0:
            raise ValueError("extraction timeout must be positive")
        if self.language_policy not in ("warn", "refuse"):
            raise ValueError(f"unknown language policy {self.language_policy!r}")

    @classmethod
    def from_settings(cls, settings: Settings) -> IntakeLimits:
        policy: LanguagePolicy = "refuse" if settings.jd_language_policy == "refuse" else "warn"
        return cls(
            max_bytes=settings.max_jd_bytes,
            max_chars=settings.max_jd_chars,
            max_pdf_pages=settings.max_pdf_pages,
            timeout_s=settings.extraction_timeout_s,
            language_policy=policy,
        )
