"""Discord voice: speaking questions into a voice channel; receiving is not implemented yet.

Sending uses discord.py's own voice client (DAVE-capable since 2.7): we hand it an
``AudioSource`` that yields 20 ms frames of 48 kHz stereo s16le, which discord.py Opus-encodes.

Receiving: discord.py has no voice receive, and since Discord enforces DAVE end-to-end encryption
(1 March 2026) a receiver must also decrypt DAVE frames. ``discord-ext-voice-recv`` plus a DAVE step
is the planned route (issue #10); it is deliberately not installed yet, so ``VoiceReceiver`` is an
interface with one implementation that says so. Adapters must fall back to text answers in the
thread when ``VoiceReceiveUnavailable`` is raised.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

import discord

from bot.ports import AudioClip
from bot.speech import audio

FRAME_MS = 20
FRAME_BYTES = audio.DISCORD_RATE * audio.DISCORD_CHANNELS * 2 * FRAME_MS // 1000  # 3840
RECEIVE_UNAVAILABLE = (
    "Listening in voice channels isn't available yet (Discord's end-to-end voice encryption needs "
    "a receiver this bot doesn't have). I'll speak the questions; please answer in the thread."
)


class PCMFrames(discord.AudioSource):
    """A finished clip as 20 ms frames of 48 kHz stereo s16le (3840 bytes): what
    ``VoiceClient.play`` reads every 20 ms. The last frame is padded with silence, since discord.py
    expects whole frames; an empty bytes object ends playback."""

    def __init__(self, pcm: bytes) -> None:
        if len(pcm) % 4:
            pcm = pcm[: len(pcm) - len(pcm) % 4]
        self._pcm = memoryview(pcm)
        self._offset = 0

    @classmethod
    def from_clip(cls, clip: AudioClip) -> PCMFrames:
        """Resamples with ffmpeg (blocking: call it in a thread)."""
        return cls(audio.to_discord(clip))

    @property
    def duration_s(self) -> float:
        return len(self._pcm) / (FRAME_BYTES * 1000 / FRAME_MS)

    def read(self) -> bytes:
        frame = bytes(self._pcm[self._offset : self._offset + FRAME_BYTES])
        self._offset += FRAME_BYTES
        if not frame:
            return b""
        if len(frame) < FRAME_BYTES:
            frame += b"\x00" * (FRAME_BYTES - len(frame))
        return frame

    def is_opus(self) -> bool:
        return False

    def cleanup(self) -> None:
        self._pcm.release()


class VoiceReceiveUnavailable(RuntimeError):
    """Voice receive is not possible here; ``str(exc)`` is the message for the candidate."""


class VoiceReceiver(Protocol):
    """Audio of one speaker in a voice channel, as 16 kHz mono s16le chunks (what the VAD and the
    recogniser take); the interface lets the receive library be swapped."""

    def listen(self, voice_client: Any, user_id: int) -> AsyncIterator[bytes]: ...

    async def stop(self) -> None: ...


class UnavailableReceiver:
    """The receiver until DAVE-capable receive lands: always refuses, with the reason."""

    def listen(self, voice_client: Any, user_id: int) -> AsyncIterator[bytes]:
        raise VoiceReceiveUnavailable(RECEIVE_UNAVAILABLE)

    async def stop(self) -> None:
        return None


async def play(voice_client: discord.VoiceClient, clip: AudioClip) -> None:
    """Speak ``clip`` in the connected channel and wait until it has been played."""
    import asyncio

    source = await asyncio.to_thread(PCMFrames.from_clip, clip)
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def finished(error: Exception | None) -> None:
        if done.done():
            return
        if error is not None:
            loop.call_soon_threadsafe(done.set_exception, error)
        else:
            loop.call_soon_threadsafe(done.set_result, None)

    if voice_client.is_playing():
        voice_client.stop()
    voice_client.play(source, after=finished)
    await done
