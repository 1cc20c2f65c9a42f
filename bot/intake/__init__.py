"""Job description intake: text or files in, clean text or a specific refusal out."""

from bot.intake.errors import IntakeError
from bot.intake.limits import IntakeLimits
from bot.intake.normalise import normalise
from bot.intake.text import JobText, from_bytes, from_path, from_text, read_upload

__all__ = [
    "IntakeError",
    "IntakeLimits",
    "JobText",
    "from_bytes",
    "from_path",
    "from_text",
    "normalise",
    "read_upload",
]
