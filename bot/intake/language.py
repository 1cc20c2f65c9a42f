"""Which language a posting is in, only when we can say so with confidence.

The analyser, taxonomy and question bank are English; a French posting would yield an empty
profile and a confusing interview, so we say what we detected instead. Short or list-like texts
("Python, Docker, Kafka") are not judged at all: identifiers are unreliable on them.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

log = logging.getLogger(__name__)

MIN_WORDS = 12
MIN_CONFIDENCE = 0.9
SAMPLE_CHARS = 5_000
ENGLISH_SHARE = 0.12
_WORD = re.compile(r"[^\W\d_]{2,}")
_ENGLISH = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "in",
        "for",
        "with",
        "you",
        "we",
        "our",
        "is",
        "are",
        "will",
        "on",
        "be",
        "as",
        "your",
        "this",
        "that",
        "or",
        "an",
        "at",
        "by",
        "from",
        "have",
        "has",
        "it",
        "who",
        "can",
    ]
)

NAMES = {
    "af": "Afrikaans", "ar": "Arabic", "bg": "Bulgarian", "ca": "Catalan", "cs": "Czech",
    "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek", "es": "Spanish",
    "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fr": "French",
    "ga": "Irish", "gl": "Galician", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian",
    "hu": "Hungarian", "id": "Indonesian", "is": "Icelandic", "it": "Italian", "ja": "Japanese",
    "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "ms": "Malay", "nb": "Norwegian",
    "nl": "Dutch", "nn": "Norwegian", "no": "Norwegian", "pl": "Polish", "pt": "Portuguese",
    "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sl": "Slovenian", "sr": "Serbian",
    "sv": "Swedish", "sw": "Swahili", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian",
    "ur": "Urdu", "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> tuple[str, str, float] | None:
    """``(code, name, confidence)`` of a confidently non-English text, else ``None``."""
    sample = text[:SAMPLE_CHARS]
    # CJK scripts have no spaces between words; count characters for them instead.
    if len(_WORD.findall(sample)) < MIN_WORDS and len(sample) < 4 * MIN_WORDS * 5:
        return None
    # Plainly English prose (real postings run at 18-35% of these words) skips the model, whose
    # first load costs about a second per process.
    words = [w.lower() for w in _WORD.findall(sample)]
    if words and sum(w in _ENGLISH for w in words) >= ENGLISH_SHARE * len(words):
        return None
    try:
        code, confidence = _identifier().classify(sample)
    except Exception:  # a detector failure must never block an interview
        log.warning("language detection failed", exc_info=True)
        return None
    code, confidence = str(code), float(confidence)
    if code == "en" or confidence < MIN_CONFIDENCE:
        return None
    return code, NAMES.get(code, code), confidence


def warm_up() -> None:
    """Load the model now (about a second) rather than during someone's first upload."""
    _identifier()
