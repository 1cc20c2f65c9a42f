"""Discord voice: questions spoken into the candidate's voice channel, answers heard from it.

Sending uses discord.py's own voice client (DAVE-capable since 2.7): we hand it an
``AudioSource`` that yields 20 ms frames of 48 kHz stereo s16le, which discord.py Opus-encodes.

Receiving (experimental): discord.py has no voice receive, and since Discord enforces DAVE
end-to-end encryption (1 March 2026) a receiver must also remove the DAVE layer. We use
``discord-ext-voice-recv`` for the transport (UDP, RTP, transport decryption, jitter buffer) and add
the DAVE step ourselves, after transport decryption and before Opus decoding, with the ``davey``
session discord.py keeps for the connection (``DaveStep``). Everything after the library is ours
and library-free (``CandidateStream``: one user's packets -> DAVE -> Opus -> 16 kHz mono), behind
the ``VoiceReceiver`` interface, so the receive library can be swapped. Anything that fails here
raises ``VoiceReceiveUnavailable``/``VoiceJoinFailed`` and the cog falls back to text answers.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import discord

from bot.ports import AudioClip
from bot.speech import audio

log = logging.getLogger(__name__)

FRAME_MS = 20
FRAME_BYTES = audio.DISCORD_RATE * audio.DISCORD_CHANNELS * 2 * FRAME_MS // 1000  # 3840
RECEIVE_UNAVAILABLE = (
    "Listening in voice channels isn't available on this bot (the voice-receive library is not "
    "installed). I'll speak the questions; please answer in the thread."
)
RECEIVE_FAILED = (
    "I couldn't start listening in the voice channel (voice receive is experimental). I'll speak "
    "the questions; please answer in the thread"
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


class StreamingPCM(discord.AudioSource):
    """48 kHz stereo s16le arriving in pieces (one synthesised sentence at a time), played as it
    comes: ``VoiceClient.play`` starts on the first sentence while the rest is synthesised.
    ``read`` runs on discord.py's player thread and waits (bounded) for the next piece."""

    def __init__(self, wait_s: float = 10.0) -> None:
        self._pieces: queue.Queue[bytes | None] = queue.Queue()
        self._buffer = bytearray()
        self._ended = False
        self.wait_s = wait_s

    def put(self, pcm: bytes) -> None:
        self._pieces.put(pcm[: len(pcm) - len(pcm) % 4])

    def finish(self) -> None:
        self._pieces.put(None)

    def read(self) -> bytes:
        while len(self._buffer) < FRAME_BYTES and not self._ended:
            try:
                piece = self._pieces.get(timeout=self.wait_s)
            except queue.Empty:
                piece = None  # synthesis stalled: end playback rather than block forever
            if piece is None:
                self._ended = True
            else:
                self._buffer += piece
        if not self._buffer:
            return b""
        frame = bytes(self._buffer[:FRAME_BYTES])
        del self._buffer[:FRAME_BYTES]
        return frame.ljust(FRAME_BYTES, b"\x00")

    def is_opus(self) -> bool:
        return False


# ---------------------------------------------------------------------------------- receiving
OPUS_SILENCE = b"\xf8\xff\xfe"  # what Discord clients send between words
DAVE_CLOSE_CODE = 4017  # the voice gateway's "E2EE/DAVE protocol required"


class DaveStep:
    """The DAVE (end-to-end) layer of a received packet, removed with the connection's ``davey``
    session after transport decryption. No session, or one not ready yet (no DAVE on this call):
    the payload is already plain Opus. During a protocol transition the session may pass
    unencrypted frames through. Anything else undecryptable is dropped (the Opus decoder would
    otherwise turn ciphertext into noise or crash)."""

    def __init__(self, session: Callable[[], Any]) -> None:
        self._session = session
        self.decrypted = 0
        self.dropped = 0

    def __call__(self, user_id: int, payload: bytes) -> bytes | None:
        session = self._session()
        if session is None or not getattr(session, "ready", False) or payload == OPUS_SILENCE:
            return payload
        import davey

        try:
            plain = bytes(session.decrypt(user_id, davey.MediaType.audio, payload))
        except Exception as exc:  # davey raises plain exceptions for every failure kind
            try:
                passthrough = bool(session.can_passthrough(user_id))
            except Exception:
                passthrough = False
            if passthrough:
                return payload
            self.dropped += 1
            if self.dropped in (1, 100, 1000):
                log.warning(
                    "DAVE decrypt failed for user %s (%d so far): %s", user_id, self.dropped, exc
                )
            return None
        self.decrypted += 1
        return plain


class CandidateStream:
    """One user's audio from a voice channel as 16 kHz mono chunks for the VAD and recogniser.

    ``push`` is called on the receive library's thread with each (transport-decrypted) Opus
    packet; other users' packets are ignored, so only the candidate is transcribed. Discord stops
    sending while someone is silent, so ``chunks`` fills gaps with silence on the clock: the
    end-of-answer policy must see the pause to end the answer.
    """

    CHUNK_S = 0.1

    def __init__(
        self,
        user_id: int,
        loop: asyncio.AbstractEventLoop,
        dave: Callable[[int, bytes], bytes | None] | None = None,
        decoder: Any = None,
    ) -> None:
        self.user_id = user_id
        self.loop = loop
        self.dave = dave
        self._decoder = decoder if decoder is not None else discord.opus.Decoder()  # type: ignore[no-untyped-call]
        self._resampler = audio.StreamResampler(audio.DISCORD_RATE, 2, audio.STT_RATE)
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._lock = threading.Lock()
        self.packets = 0
        self.closed = False

    def push(self, user_id: int | None, payload: bytes) -> None:
        if self.closed or user_id != self.user_id or not payload:
            return
        with self._lock:
            if self.dave is not None:
                plain = self.dave(user_id, payload)
                if plain is None:
                    return
                payload = plain
            try:
                pcm = self._decoder.decode(payload, fec=False)
            except discord.opus.OpusError:
                log.debug("undecodable Opus packet from %s dropped", user_id)
                return
            mono = self._resampler.feed(pcm)
            self.packets += 1
        if mono:
            self.loop.call_soon_threadsafe(self._queue.put_nowait, mono)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.loop.call_soon_threadsafe(self._queue.put_nowait, None)

    async def chunks(self, fill_silence: bool = True) -> AsyncIterator[bytes]:
        """Audio as it arrives; while no packets come, silence as long as the wall-clock gap
        (checked every ``CHUNK_S``), so the end-of-answer window runs in real time."""
        clock = asyncio.get_running_loop().time
        last = clock()
        while True:
            try:
                chunk = await asyncio.wait_for(self._queue.get(), self.CHUNK_S)
            except TimeoutError:
                if self.closed:
                    return
                if fill_silence:
                    now = clock()
                    samples = int((now - last) * audio.STT_RATE)
                    last = now
                    if samples > 0:
                        yield b"\x00\x00" * samples
                continue
            if chunk is None:
                return
            last = clock()
            yield chunk


class VoiceReceiver(Protocol):
    """Audio of one speaker in a voice channel, as 16 kHz mono s16le chunks (what the VAD and the
    recogniser take); the interface lets the receive library be swapped. ``client_class`` is the
    voice client to connect with (the library's, when it needs its own)."""

    client_class: type[discord.VoiceClient]

    def listen(self, voice_client: Any, user_id: int) -> AsyncIterator[bytes]: ...

    async def stop(self) -> None: ...


class UnavailableReceiver:
    """For installations without the receive library: always refuses, with the reason."""

    client_class: type[discord.VoiceClient] = discord.VoiceClient

    def listen(self, voice_client: Any, user_id: int) -> AsyncIterator[bytes]:
        raise VoiceReceiveUnavailable(RECEIVE_UNAVAILABLE)

    async def stop(self) -> None:
        return None


class VoiceRecvReceiver:
    """``VoiceReceiver`` on discord-ext-voice-recv plus our DAVE step (experimental).

    The library's sink is asked for Opus (``wants_opus``), so its own decoder never sees DAVE
    ciphertext; the sink hands each packet to a ``CandidateStream``."""

    def __init__(self) -> None:
        try:
            from discord.ext import voice_recv
        except ImportError as exc:
            raise VoiceReceiveUnavailable(RECEIVE_UNAVAILABLE) from exc
        self._lib = voice_recv
        self.client_class: type[discord.VoiceClient] = voice_recv.VoiceRecvClient
        self._streams: list[CandidateStream] = []
        self._clients: list[Any] = []

    def sink_for(self, stream: CandidateStream) -> Any:
        lib = self._lib

        class CandidateSink(lib.AudioSink):  # type: ignore[misc,name-defined]
            def wants_opus(self) -> bool:
                return True

            def write(self, user: Any, data: Any) -> None:
                stream.push(getattr(user, "id", None), bytes(data.opus or b""))

            def cleanup(self) -> None:
                stream.close()

        return CandidateSink()

    def listen(self, voice_client: Any, user_id: int) -> AsyncIterator[bytes]:
        if not hasattr(voice_client, "listen"):
            raise VoiceReceiveUnavailable(RECEIVE_UNAVAILABLE)
        connection = getattr(voice_client, "_connection", None)
        dave = DaveStep(lambda: getattr(connection, "dave_session", None))
        stream = CandidateStream(user_id, asyncio.get_running_loop(), dave)
        try:
            voice_client.listen(self.sink_for(stream))
        except Exception as exc:
            raise VoiceReceiveUnavailable(f"{RECEIVE_FAILED} ({exc})") from exc
        self._streams.append(stream)
        self._clients.append(voice_client)
        return stream.chunks()

    async def stop(self) -> None:
        for client in self._clients:
            try:
                if client.is_listening():
                    client.stop_listening()
            except Exception:
                log.debug("stop_listening failed", exc_info=True)
        for stream in self._streams:
            stream.close()
        self._streams.clear()
        self._clients.clear()


def build_receiver() -> VoiceReceiver:
    """The receive-capable implementation when its library is installed, else the refusal."""
    try:
        return VoiceRecvReceiver()
    except VoiceReceiveUnavailable:
        return UnavailableReceiver()


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
