"""Job description intake: text or files in, clean text or a specific refusal out."""

from bot.intake.text import IntakeError, JobText, from_bytes, from_path, from_text, normalise

__all__ = ["IntakeError", "JobText", "from_bytes", "from_path", "from_text", "normalise"]
