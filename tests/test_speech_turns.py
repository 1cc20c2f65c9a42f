"""End-of-answer policy on synthetic (time, speech?) patterns, the silero VAD on synthesized
speech, and delivery metrics from word timestamps."""

from __future__ import annotations

import pytest

from bot.ports import Word
from bot.speech import audio
from bot.speech.metrics import delivery_metrics
from bot.speech.turns import (
    FRAME_S,
    EndOfAnswerPolicy,
    EndReason,
    SileroVAD,
    TurnConfig,
    decide,
    is_done_command,
)
from tests.test_speech_support import HAVE_WHISPER, espeak_wav, needs_audio, silence

STEP = 0.02


def pattern(*spans: tuple[float, bool]) -> list[tuple[float, bool]]:
    """Frames every 20 ms from (duration, speech?) spans."""
    frames: list[tuple[float, bool]] = []
    t = 0.0
    for duration, speech in spans:
        for _ in range(round(duration / STEP)):
            t = round(t + STEP, 4)
            frames.append((t, speech))
    return frames


def test_ends_after_configured_silence() -> None:
    end = decide(pattern((0.5, False), (6.0, True), (3.0, False)))
    assert end is not None and end.reason is EndReason.SILENCE
    assert end.at == pytest.approx(6.5 + 1.8, abs=0.03)


def test_never_ends_within_the_first_five_seconds() -> None:
    # Two seconds of speech, a 2.5 s pause (longer than 1.8 s), then more speech.
    frames = pattern((2.0, True), (2.5, False), (3.0, True), (2.0, False))
    end = decide(frames)
    assert end is not None and end.at == pytest.approx(7.5 + 1.8, abs=0.03)
    # Had the pause come later it would have ended the answer:
    later = decide(pattern((6.0, True), (2.5, False), (3.0, True)))
    assert later is not None and later.at == pytest.approx(7.8, abs=0.03)


def test_let_me_think_extends_the_window_until_they_speak_again() -> None:
    frames = pattern((6.0, True), (6.0, False), (4.0, True), (3.0, False))
    assert decide(frames).at == pytest.approx(7.8, abs=0.03)  # type: ignore[union-attr]
    end = decide(frames, [(6.0, "Hmm, let me think about that.")])
    assert end is not None and end.reason is EndReason.SILENCE
    assert end.at == pytest.approx(16.0 + 1.8, abs=0.03)  # normal patience after they resume
    # Thinking for longer than the extension still ends the answer.
    long_pause = pattern((6.0, True), (10.0, False))
    assert decide(long_pause, [(6.0, "let me think")]).at == pytest.approx(14.0, abs=0.03)  # type: ignore[union-attr]


def test_spoken_next_or_done_ends_at_once() -> None:
    frames = pattern((2.0, True), (0.6, False), (0.4, True), (5.0, False))
    end = decide(frames, [(3.0, "Okay, next question.")])
    assert end is not None and end.reason is EndReason.SPOKEN_COMMAND and end.at == 3.0
    assert is_done_command("done") and is_done_command("I'm done.")
    assert not is_done_command("and then I got it done")
    assert not is_done_command("the next step was to profile it")


def test_maximum_length_and_no_speech() -> None:
    config = TurnConfig(max_answer_s=20.0)
    end = decide(pattern((30.0, True)), config=config)
    assert end is not None and end.reason is EndReason.MAX_LENGTH and end.at == pytest.approx(20.0)
    quiet = decide(pattern((40.0, False)))
    assert (
        quiet is not None
        and quiet.reason is EndReason.NO_SPEECH
        and quiet.at == pytest.approx(30.0)
    )


def test_policy_is_incremental_and_sticky() -> None:
    policy = EndOfAnswerPolicy(TurnConfig(end_silence_s=1.0, min_answer_s=0.0), start=100.0)
    assert policy.feed(100.5, True) is None
    assert policy.feed(101.0, False) is None
    first = policy.feed(101.6, False)
    assert first is not None and first.at == 101.6
    assert policy.feed(102.0, True) is first


@needs_audio
@pytest.mark.skipif(not HAVE_WHISPER, reason="faster-whisper (silero VAD) needed")
def test_silero_vad_frames_find_the_speech() -> None:
    speech = audio.decode(espeak_wav("Tell me about the hardest bug you fixed.")).data
    pcm = silence(1.0) + speech + silence(2.5)
    vad = SileroVAD()
    # Fed in odd-sized chunks, as live audio arrives.
    frames = []
    for i in range(0, len(pcm), 3000):
        frames.extend(vad.frames(pcm[i : i + 3000]))
    assert frames[0][0] == pytest.approx(FRAME_S)
    speaking = [t for t, s in frames if s]
    assert speaking, "speech detected"
    assert 0.8 <= speaking[0] <= 1.4
    speech_end = 1.0 + len(speech) / 32_000  # espeak pads its own trailing silence
    assert speech_end - 1.0 <= speaking[-1] <= speech_end + 0.5
    end = decide(frames, config=TurnConfig(min_answer_s=0.0))
    assert end is not None and end.reason is EndReason.SILENCE


def _words(spec: str, start: float = 0.0, step: float = 0.4) -> list[Word]:
    words, t = [], start
    for token in spec.split(" "):
        if token.startswith("[") and token.endswith("]"):
            t += float(token[1:-1])
            continue
        words.append(Word(token, round(t, 2), round(t + step * 0.8, 2)))
        t += step
    return words


def test_delivery_metrics() -> None:
    words = _words("So um I built the, like, pipeline [4.0] and uh you know, it scaled, you know.")
    metrics = delivery_metrics(words)
    assert metrics.words == 15
    counts = dict(metrics.filler_counts)
    assert counts == {"um": 1, "uh": 1, "like": 1, "you know": 2}
    assert metrics.fillers == 5
    assert metrics.long_pauses == 1 and metrics.longest_pause_s == pytest.approx(4.08, abs=0.01)
    span = words[-1].end - words[0].start
    assert metrics.words_per_minute == pytest.approx(15 / span * 60, rel=0.01)
    assert "wpm" in metrics.summary() and "long pause" in metrics.summary()


def test_delivery_metrics_leave_meaningful_words_alone() -> None:
    metrics = delivery_metrics(_words("I like Rust. You know what happened next? I mean it."))
    assert dict(metrics.filler_counts) == {}
    assert delivery_metrics([]).words_per_minute == 0.0
