"""The terminal interview with audio files: answers read from recordings, questions written as
speech (``interview-bot console --voice-in DIR --voice-out DIR``).

It is the console adapter plus the voice pipeline a live voice channel uses (decode -> VAD and the
end-of-answer policy -> speech to text with the job's skills as vocabulary -> delivery metrics;
question -> text to speech -> file), so the whole pipeline is testable end to end from files.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from adapters.console import ConsoleAdapter, console_user, split_answers, write_json
from bot.app import build_engine
from bot.events import Command, IncomingEvent, Reply, ReplyKind
from bot.ports import AudioClip, SessionRecord, SpeechToText, Transcript
from bot.settings import Settings
from bot.speech import audio
from bot.speech.answers import SpokenAnswer, speech_vocabulary, transcribe_answer
from bot.speech.config import SpeechConfig
from bot.speech.errors import AudioError, SpeechUnavailable
from bot.speech.metrics import delivery_metrics
from bot.speech.stt import WhisperSTT
from bot.speech.tts import SpeechSynthesizer, build_tts, speakable
from bot.speech.turns import EndOfAnswer, EndReason, SileroVAD, TurnConfig, decide
from bot.workqueue import WorkQueueUnavailable, speech_to_text_for

TYPE_INSTEAD = "Type your answers instead: run without --voice-in (or with --answers FILE)."
AUDIO_SUFFIXES = frozenset({".wav", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".webm", ".flac"})


def answer_files(folder: Path) -> list[Path]:
    """Audio files in ``folder``, sorted by name: one per turn."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)


def delivery_line(answer: SpokenAnswer) -> str:
    return delivery_metrics(answer.transcript.words).summary()


async def close_recogniser(stt: SpeechToText | None) -> None:
    """The model's thread, or the work queue's Redis connections."""
    if isinstance(stt, WhisperSTT):
        stt.close()
    aclose = getattr(stt, "aclose", None)
    if callable(aclose):
        await aclose()


def utterances(transcript: Transcript, gap_s: float = 0.5) -> list[tuple[float, str]]:
    """Words grouped into utterances at pauses, each timed at its last word (as a streaming
    recogniser would deliver it): what the end-of-answer policy hears."""
    groups: list[list[tuple[float, float, str]]] = []
    for word in transcript.words:
        if groups and word.start - groups[-1][-1][1] < gap_s:
            groups[-1].append((word.start, word.end, word.text))
        else:
            groups.append([(word.start, word.end, word.text)])
    return [(g[-1][1], " ".join(w for _, _, w in g)) for g in groups]


@dataclass
class VoiceConsoleAdapter(ConsoleAdapter):
    stt: SpeechToText | None = None
    tts: SpeechSynthesizer | None = None
    voice_out: Path | None = None
    turns: TurnConfig | None = None
    spoken: int = 0

    async def dispatch(self, event: IncomingEvent) -> list[Reply]:
        replies = await super().dispatch(event)
        await self.speak(replies)
        return replies

    async def start(self, jd_path: Path, options: dict[str, str]) -> list[Reply]:
        replies = await super().start(jd_path, options)
        await self.speak(replies)
        return replies

    async def speak(self, replies: list[Reply]) -> None:
        """Each question as an audio file in ``voice_out`` (numbered in the order asked)."""
        if self.tts is None or self.voice_out is None:
            return
        for reply in replies:
            if reply.kind is not ReplyKind.QUESTION:
                continue
            self.spoken += 1
            tag = "followup" if reply.follow_up else "question"
            path = self.voice_out / f"{self.spoken:02d}-{tag}-{reply.question_number}.wav"
            try:
                clip = await self.tts.synthesize(speakable(reply.text))
                await asyncio.to_thread(audio.write_audio, clip, path)
            except (SpeechUnavailable, AudioError) as exc:
                self.out.print(f"! Could not speak the question: {exc}", markup=False)
                continue
            self.out.print(f"(spoken: {path} · {self.tts.last_engine})", style="dim", markup=False)

    async def hear(self, path: Path, session: SessionRecord) -> SpokenAnswer | None:
        """One recording -> the answer (or a command), printing transcript and delivery;
        ``None`` when the recording is unusable (the message says why; the question stays).
        ``SpeechUnavailable`` (no recogniser here, or a work queue that did not answer) ends
        the run with nothing recorded for this question."""
        assert self.stt is not None
        vocabulary = speech_vocabulary(session.profile)
        try:
            data = await asyncio.to_thread(path.read_bytes)
            clip = AudioClip(data, 0, 1, format=path.suffix.lstrip(".").lower())
            if isinstance(self.stt, WhisperSTT):  # decoded once, for recognition and live_end
                clip = await asyncio.to_thread(self.stt.decode, clip)
            answer = await transcribe_answer(self.stt, clip, vocabulary)
        except (AudioError, OSError) as exc:
            message = exc.user_message if isinstance(exc, AudioError) else str(exc)
            self.out.print(f"! {path.name}: {message}", style="red", markup=False)
            return None
        transcript = answer.transcript
        self.out.print(f"> [{path.name}] {transcript.text}", style="cyan", markup=False)
        if answer.delivery is not None:
            self.out.print(f"  delivery: {delivery_line(answer)}", style="dim", markup=False)
        end = await asyncio.to_thread(self.live_end, clip, transcript)
        if end is not None and transcript.words and end.at < transcript.words[-1].start:
            self.out.print(
                f"  (live, the bot would have taken {end.at:.1f} s as the end of this answer: "
                f"{end.reason.value.replace('_', ' ')})",
                style="dim",
                markup=False,
            )
        return answer

    def live_end(self, clip: AudioClip, transcript: Transcript) -> EndOfAnswer | None:
        """Where the live end-of-answer policy would have stopped listening (VAD frames plus the
        utterances), so a recording shows what a voice channel would do with it. A diagnostic: a
        recording recognised on a worker is decoded here for it too (ffmpeg, cheap next to
        recognition), and any trouble just leaves the line out."""
        try:
            pcm = clip if clip.format == "s16le" else audio.decode(clip.data)
            frames = SileroVAD().frames(pcm.data)
        except (SpeechUnavailable, AudioError):
            return None
        end = decide(frames, utterances(transcript), self.turns)
        return None if end is None or end.reason is EndReason.NO_SPEECH else end

    async def run_voice(
        self, jd_path: Path, files: list[Path], options: dict[str, str]
    ) -> SessionRecord | None:
        replies = await self.start(jd_path, {**options, "auto_begin": "yes"})
        if not replies or replies[-1].kind is ReplyKind.ERROR:
            return None
        for path in files:
            session = await self.active()
            if session is None:
                break
            answer = await self.hear(path, session)
            if answer is None:
                continue
            event = (
                self.event_for(answer.text)
                if answer.is_command
                else IncomingEvent.spoken(
                    self.user, self.conversation, answer.text, answer.delivery
                )
            )
            replies = await self.dispatch(event)
            if any(r.kind is ReplyKind.RECAP for r in replies):
                break
        else:
            if await self.active() is not None:
                self.out.print("(recordings finished: ending the interview)", style="dim")
                await self.dispatch(IncomingEvent.do(self.user, self.conversation, Command.END))
        return await self.latest()


def no_voice(out: Console, exc: BaseException) -> int:
    """No recogniser (not installed, or a work queue that did not answer): say why and how to
    answer instead; exit 2, with nothing recorded for the question that was open."""
    out.print(
        f"! Voice is not available here: {str(exc).rstrip('.')}. {TYPE_INSTEAD}", markup=False
    )
    return 2


async def run_voice_console(args: argparse.Namespace, settings: Settings, out: Console) -> int:
    """``console`` with ``--voice-in`` and/or ``--voice-out``: exit codes as the console's."""
    from adapters.cli import _sample_path

    config = SpeechConfig.from_settings(settings)
    files: list[Path] = []
    if args.voice_in is not None:
        if not args.voice_in.is_dir():
            out.print(f"! --voice-in {args.voice_in} is not a folder.", markup=False)
            return 1
        files = answer_files(args.voice_in)
        if not files:
            out.print(
                f"! No recordings in {args.voice_in} (.wav .mp3 .ogg .m4a .webm).", markup=False
            )
            return 1
    jd_path = _sample_path(args.sample) if args.sample else args.jd
    if (files or args.answers is not None) and jd_path is None:
        out.print("Audio and scripted answers need --jd FILE or --sample NAME.", markup=False)
        return 1
    options = {"length": args.length or settings.default_length, "coding": args.coding}
    if args.focus:
        options["focus"] = args.focus
    try:  # faster-whisper here, or a worker with WORK_QUEUE=redis (issue 12)
        stt = speech_to_text_for(settings) if files else None
    except (SpeechUnavailable, WorkQueueUnavailable, ImportError) as exc:
        return no_voice(out, exc)
    tts = build_tts(config) if args.voice_out is not None else None
    async with build_engine(settings) as engine:
        adapter = VoiceConsoleAdapter(
            engine,
            console_user(args.user),
            out,
            chart_dir=settings.data_dir / "charts",
            stt=stt,
            tts=tts,
            voice_out=args.voice_out,
            turns=TurnConfig.from_speech(config),
        )
        warm: asyncio.Task[None] | None = None
        if isinstance(stt, WhisperSTT):  # the model loads while the job description is read
            warm = asyncio.create_task(stt.warm_up())
            warm.add_done_callback(lambda task: task.cancelled() or task.exception())
        try:
            if stt is not None:
                assert jd_path is not None
                record = await adapter.run_voice(jd_path, files, options)
            elif args.answers is not None:
                text = args.answers.read_text(encoding="utf-8", errors="replace")
                record = await adapter.run_scripted(
                    jd_path, split_answers(text), options, args.resume
                )
            else:
                code = await adapter.run_interactive(sys.stdin, options, args.resume)
                record = await adapter.latest() if args.json_out else None
                if record is not None and args.json_out:
                    write_json(record, args.json_out)
                return code
        except SpeechUnavailable as exc:  # a work queue that did not answer too (issue 12)
            return no_voice(out, exc)
        finally:
            if warm is not None and not warm.done():
                warm.cancel()
            await close_recogniser(stt)
        if record is None:
            return 1
        if args.json_out:
            write_json(record, args.json_out)
            out.print(f"Session written to {args.json_out}", style="dim")
        return 0
