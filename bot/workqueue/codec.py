"""What travels through Redis: JSON, never pickle.

Why JSON: arq's default serializer is pickle, and unpickling bytes read from Redis runs whatever
code anyone who can write to that Redis put there. Jobs and results are plain dicts of strings
and numbers (audio as base64), so a shared or exposed Redis can at worst send us a bad job.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

from bot.ports import AudioClip, RunLimits, RunResult, Transcript, Word


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes) -> Any:
    return json.loads(data)


def limits_to_json(limits: RunLimits) -> dict[str, Any]:
    return dataclasses.asdict(limits)


# The most a job read from Redis may ask of the sandbox. Whoever can write to Redis can queue
# code (that is what the sandbox is for) but must not loosen its limits into a denial of service
# of the worker's machine. Above everything the bot itself asks for (the judge: 16 MiB output).
LIMIT_CEILINGS: dict[str, float] = {
    "wall_seconds": 120.0,
    "cpu_seconds": 120.0,
    "memory_mb": 2048,
    "output_bytes": 16 * 1024 * 1024,
    "file_bytes": 64 * 1024 * 1024,
    "open_files": 256,
    "processes": 256,
}


def _limit(name: str, value: Any) -> Any:
    """One limit from a job: a positive finite number, capped at its ceiling; else ValueError."""
    if name == "processes" and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"job limit {name}={value!r} is not a positive number")
    capped = min(value, LIMIT_CEILINGS[name])
    return float(capped) if name.endswith("_seconds") else int(capped)


def limits_from_json(data: dict[str, Any]) -> RunLimits:
    """The job's limits, validated and capped at ``LIMIT_CEILINGS`` (``ValueError`` for a
    wrong type or sign); unknown keys are ignored."""
    known = {f.name for f in dataclasses.fields(RunLimits)}
    return RunLimits(**{k: _limit(k, v) for k, v in data.items() if k in known})


def result_to_json(result: RunResult) -> dict[str, Any]:
    return dataclasses.asdict(result)


def result_from_json(data: dict[str, Any]) -> RunResult:
    known = {f.name for f in dataclasses.fields(RunResult)}
    return RunResult(**{k: v for k, v in data.items() if k in known})


def clip_to_json(clip: AudioClip) -> dict[str, Any]:
    return {
        "data": base64.b64encode(clip.data).decode("ascii"),
        "sample_rate": clip.sample_rate,
        "channels": clip.channels,
        "format": clip.format,
    }


def clip_from_json(data: dict[str, Any]) -> AudioClip:
    return AudioClip(
        data=base64.b64decode(data["data"], validate=True),
        sample_rate=int(data["sample_rate"]),
        channels=int(data["channels"]),
        format=str(data["format"]),
    )


def transcript_to_json(transcript: Transcript) -> dict[str, Any]:
    return {
        "text": transcript.text,
        "words": [[w.text, w.start, w.end] for w in transcript.words],
        "language": transcript.language,
        "duration": transcript.duration,
        "model": transcript.model,
    }


def transcript_from_json(data: dict[str, Any]) -> Transcript:
    return Transcript(
        text=str(data["text"]),
        words=tuple(Word(str(t), float(s), float(e)) for t, s, e in data.get("words", ())),
        language=str(data.get("language", "")),
        duration=float(data.get("duration", 0.0)),
        model=str(data.get("model", "")),
    )
