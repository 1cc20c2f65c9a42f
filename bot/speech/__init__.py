"""Voice for the interview (issue #10): speech to text, text to speech, end of answer, delivery.

Heavy dependencies (faster-whisper, piper, edge-tts, onnxruntime) are imported only when a model
or engine is first used, so importing this package is cheap and works without the voice extra.
Model weights from registry packages are hash-checked before loading (``models.py``).
"""

from __future__ import annotations

from bot.speech.answers import SpokenAnswer, speech_vocabulary, transcribe_answer
from bot.speech.config import SpeechConfig, SpeechConfigError
from bot.speech.errors import AudioError, AudioProblem, ModelIntegrityError, SpeechUnavailable
from bot.speech.live import LiveAnswer
from bot.speech.metrics import DeliveryMetrics, delivery_metrics
from bot.speech.speaker import QuestionVoice, next_question_text
from bot.speech.stt import WhisperSTT
from bot.speech.tts import SpeechSynthesizer, build_tts
from bot.speech.turns import EndOfAnswer, EndOfAnswerPolicy, EndReason, TurnConfig, decide

__all__ = [
    "AudioError",
    "AudioProblem",
    "DeliveryMetrics",
    "EndOfAnswer",
    "EndOfAnswerPolicy",
    "EndReason",
    "LiveAnswer",
    "ModelIntegrityError",
    "QuestionVoice",
    "SpeechConfig",
    "SpeechConfigError",
    "SpeechSynthesizer",
    "SpeechUnavailable",
    "SpokenAnswer",
    "TurnConfig",
    "WhisperSTT",
    "build_stt",
    "build_tts",
    "decide",
    "delivery_metrics",
    "next_question_text",
    "speech_vocabulary",
    "transcribe_answer",
]


def build_stt(config: SpeechConfig | None = None) -> WhisperSTT:
    """The configured ``SpeechToText`` (faster-whisper; see ``stt.resolve_model``)."""
    return WhisperSTT(config or SpeechConfig.from_env())
