"""Audio in and out: ffmpeg decodes whatever the candidate sends, we resample for each transport.

Every decode runs ffmpeg in a subprocess with a wall-clock limit and a cap on how much it may
output, so a hostile or enormous file cannot hang or exhaust the bot; every failure becomes an
``AudioError`` whose message tells the candidate what to do.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import tempfile
import wave
from array import array
from pathlib import Path
from typing import Any

from bot.ports import AudioClip
from bot.speech.errors import AudioError, AudioProblem, SpeechUnavailable

STT_RATE = 16_000
DISCORD_RATE = 48_000
DISCORD_CHANNELS = 2
SILENCE_DBFS = -55.0  # peak below this: nothing was recorded

SUPPORTED = "WAV, MP3, OGG/Opus, M4A or WebM"


def ffmpeg_binary() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise SpeechUnavailable("ffmpeg is not installed (apt-get install ffmpeg)")
    return path


def _duration_text(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"
    if seconds >= 60:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return f"{seconds:.0f} s"


def _classify(stderr: str) -> AudioError:
    low = stderr.lower()
    if "moov atom not found" in low or "end of file" in low or "truncat" in low:
        return AudioError(
            AudioProblem.DAMAGED,
            "The recording seems cut off or damaged, so I couldn't play it. "
            "Please record the answer again.",
            stderr.strip()[-300:],
        )
    return AudioError(
        AudioProblem.UNSUPPORTED,
        f"That file doesn't look like audio I can read. Send {SUPPORTED}.",
        stderr.strip()[-300:],
    )


def _run_ffmpeg(args: list[str], source: Path, timeout_s: float, max_bytes: int) -> bytes:
    command = [ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(source)]
    try:
        done = subprocess.run(
            [*command, *args, "pipe:1"],
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AudioError(
            AudioProblem.TIMEOUT,
            "Reading the recording took too long. Please send a shorter or simpler file.",
            f"ffmpeg ran over {timeout_s:.0f} s",
        ) from exc
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0 or not done.stdout:
        if done.returncode == 0 and not done.stdout:
            raise AudioError(
                AudioProblem.UNSUPPORTED,
                f"That file has no audio track I can play. Send {SUPPORTED}.",
                stderr.strip()[-300:],
            )
        raise _classify(stderr)
    return done.stdout[:max_bytes]


def decode(
    data: bytes | Path,
    *,
    rate: int = STT_RATE,
    channels: int = 1,
    max_seconds: float = 600.0,
    max_bytes: int = 50 * 1024 * 1024,
    timeout_s: float = 30.0,
) -> AudioClip:
    """Any container/codec ffmpeg reads -> raw s16le PCM at ``rate``/``channels``.

    ffmpeg is told to stop after ``max_seconds`` plus a little, so a two-hour file costs the same
    as a ten-minute one; reaching that limit means the recording is too long.
    """
    if isinstance(data, Path):
        try:
            size = data.stat().st_size
        except OSError as exc:
            raise AudioError(AudioProblem.EMPTY, f"I can't open {data.name}.", str(exc)) from exc
    else:
        size = len(data)
    if size == 0:
        raise AudioError(AudioProblem.EMPTY, "The recording is empty. Please record it again.")
    if size > max_bytes:
        raise AudioError(
            AudioProblem.TOO_LARGE,
            f"The file is {size / 1e6:.0f} MB; recordings can be at most "
            f"{max_bytes / 1e6:.0f} MB. Send a shorter answer.",
        )
    limit = max_seconds + 0.5
    args = ["-vn", "-map", "0:a:0?", "-t", f"{limit:.3f}", "-f", "s16le"]
    args += ["-acodec", "pcm_s16le", "-ac", str(channels), "-ar", str(rate)]
    out_cap = int(limit * rate * channels * 2) + 4096
    if isinstance(data, Path):
        pcm = _run_ffmpeg(args, data, timeout_s, out_cap)
    else:
        with tempfile.NamedTemporaryFile(prefix="interview-bot-audio-", suffix=".bin") as handle:
            handle.write(data)
            handle.flush()
            pcm = _run_ffmpeg(args, Path(handle.name), timeout_s, out_cap)
    pcm = pcm[: len(pcm) - len(pcm) % (2 * channels)]
    clip = AudioClip(pcm, rate, channels)
    seconds = clip_seconds(clip)
    if seconds >= max_seconds:
        raise AudioError(
            AudioProblem.TOO_LONG,
            f"The recording is longer than {_duration_text(max_seconds)}, the longest answer I "
            "take. Trim it or record a shorter answer.",
        )
    if seconds < 0.1:
        raise AudioError(
            AudioProblem.DAMAGED,
            "The recording is too short or damaged to play. Please record it again.",
        )
    return clip


def clip_seconds(clip: AudioClip) -> float:
    """Duration of a raw PCM clip (``format`` s16le); 0 for encoded containers."""
    if clip.format != "s16le" or clip.sample_rate <= 0:
        return 0.0
    return len(clip.data) / (2 * clip.channels * clip.sample_rate)


def peak_dbfs(pcm: bytes) -> float:
    """Peak level of s16le samples in dBFS (-inf for digital silence)."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if not samples:
        return -math.inf
    peak = max(max(samples), -min(samples))
    return -math.inf if peak == 0 else 20 * math.log10(peak / 32768)


def ensure_not_silent(clip: AudioClip) -> None:
    if peak_dbfs(clip.data) < SILENCE_DBFS:
        raise AudioError(
            AudioProblem.SILENT,
            "I couldn't hear anything: the recording is silent. Check your microphone and "
            "answer again.",
        )


def _resample_in_process(clip: AudioClip, rate: int, channels: int) -> bytes | None:
    """Raw PCM resampled with libswresample through PyAV (installed with faster-whisper): no
    ffmpeg process per sentence, which cost ~150 ms of a voice turn. Mono is duplicated into
    stereo sample by sample (swresample's remix would lower the level by 3 dB). ``None`` when
    PyAV is missing or the layout is unusual, so the caller uses ffmpeg."""
    if clip.channels not in (1, 2) or channels not in (1, 2) or clip.channels > channels:
        return None
    try:
        import av
        import numpy as np
    except ImportError:
        return None
    samples = np.frombuffer(
        clip.data[: len(clip.data) - len(clip.data) % (2 * clip.channels)], np.int16
    )
    if samples.size == 0:
        return b""
    layout = "mono" if clip.channels == 1 else "stereo"
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout=layout)
    frame.sample_rate = clip.sample_rate
    resampler = av.AudioResampler(format="s16", layout=layout, rate=rate)
    parts = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    out = np.concatenate(parts) if parts else np.zeros(0, np.int16)
    if clip.channels == 1 and channels == 2:
        out = np.repeat(out, 2)
    return bytes(out.astype(np.int16).tobytes())


def to_pcm(clip: AudioClip, rate: int, channels: int, *, timeout_s: float = 30.0) -> bytes:
    """Resample/remix a clip (raw or encoded) to s16le ``rate``/``channels``: raw PCM in process
    when PyAV is there, otherwise (and for encoded files) with ffmpeg."""
    if clip.format == "s16le" and clip.sample_rate == rate and clip.channels == channels:
        return clip.data
    if clip.format == "s16le":
        fast = _resample_in_process(clip, rate, channels)
        if fast is not None:
            return fast
        command = [ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "error"]
        command += ["-f", "s16le", "-ar", str(clip.sample_rate), "-ac", str(clip.channels)]
        command += ["-i", "pipe:0", "-f", "s16le", "-ar", str(rate), "-ac", str(channels)]
        try:
            done = subprocess.run(
                [*command, "pipe:1"], input=clip.data, capture_output=True, timeout=timeout_s
            )
        except subprocess.TimeoutExpired as exc:
            raise AudioError(AudioProblem.TIMEOUT, "Converting audio took too long.") from exc
        if done.returncode != 0:
            raise _classify(done.stderr.decode("utf-8", "replace"))
        return done.stdout
    return decode(clip.data, rate=rate, channels=channels, timeout_s=timeout_s).data


class StreamResampler:
    """Live s16le audio (e.g. 20 ms Opus frames, 48 kHz stereo) to mono at ``rate``, packet by
    packet, keeping the filter state between packets (a fresh resampler per packet would click at
    every boundary). Channels are averaged first. PyAV's swresample when installed; otherwise, for
    whole-number ratios, a box average (enough for speech recognition)."""

    def __init__(self, in_rate: int, in_channels: int, rate: int) -> None:
        self.in_rate, self.in_channels, self.rate = in_rate, in_channels, rate
        self._resampler: object | None = None
        try:
            import av

            self._resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        except ImportError:
            if in_rate % rate:
                raise SpeechUnavailable(
                    "resampling live audio needs PyAV (faster-whisper)"
                ) from None
        self._carry = array("h")

    def feed(self, pcm: bytes) -> bytes:
        samples = array("h")
        samples.frombytes(pcm[: len(pcm) - len(pcm) % (2 * self.in_channels)])
        if self.in_channels > 1:
            n = self.in_channels
            samples = array("h", (sum(samples[i : i + n]) // n for i in range(0, len(samples), n)))
        if not samples:
            return b""
        if self._resampler is None:
            data = self._carry + samples
            step = self.in_rate // self.rate
            usable = len(data) - len(data) % step
            self._carry = data[usable:]
            out = array("h", (sum(data[i : i + step]) // step for i in range(0, usable, step)))
            return out.tobytes()
        import av
        import numpy as np

        frame = av.AudioFrame.from_ndarray(
            np.frombuffer(samples.tobytes(), np.int16).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = self.in_rate
        resampler: Any = self._resampler
        return b"".join(f.to_ndarray().tobytes() for f in resampler.resample(frame))


def to_discord(clip: AudioClip) -> bytes:
    """What discord.py's voice client plays: 48 kHz stereo s16le."""
    return to_pcm(clip, DISCORD_RATE, DISCORD_CHANNELS)


def wav_bytes(clip: AudioClip) -> bytes:
    """A WAV file of a raw clip (encoded clips are decoded first, keeping their rate)."""
    if clip.format != "s16le":
        clip = decode(clip.data, rate=clip.sample_rate or 22_050, channels=clip.channels)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(clip.channels)
        out.setsampwidth(2)
        out.setframerate(clip.sample_rate)
        out.writeframes(clip.data)
    return buffer.getvalue()


def read_wav(data: bytes) -> AudioClip:
    """A 16-bit PCM WAV (what espeak-ng writes) as a raw clip, without spawning ffmpeg."""
    try:
        with wave.open(io.BytesIO(data), "rb") as src:
            if src.getsampwidth() != 2:
                raise AudioError(AudioProblem.UNSUPPORTED, "Only 16-bit WAV is read directly.")
            frames = src.readframes(src.getnframes())
            return AudioClip(frames, src.getframerate(), src.getnchannels())
    except (wave.Error, EOFError) as exc:
        raise AudioError(AudioProblem.DAMAGED, "The WAV data is damaged.", str(exc)) from exc


def write_audio(clip: AudioClip, path: Path, *, timeout_s: float = 60.0) -> Path:
    """Write ``clip`` to ``path``: WAV directly, any other extension encoded by ffmpeg."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wav = wav_bytes(clip)
    if path.suffix.lower() == ".wav":
        path.write_bytes(wav)
        return path
    command = [ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-f", "wav", "-i", "pipe:0", str(path)]
    try:
        done = subprocess.run(command, input=wav, capture_output=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise AudioError(AudioProblem.TIMEOUT, "Encoding the audio took too long.") from exc
    if done.returncode != 0:
        raise AudioError(
            AudioProblem.UNSUPPORTED,
            f"ffmpeg could not write {path.suffix} files; use .wav.",
            done.stderr.decode("utf-8", "replace")[-300:],
        )
    return path
