"""The Slack adapter's share of issues 10 and 11, through bolt's real HTTP code path and the real
``AsyncWebClient`` against the loopback fake Slack: ``show`` with access checks, ``focus:weakest``,
share links, audio-clip answers, group practice (observers, peer mode, queue, schedule,
reminders) and workspace admin settings."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adapters.slack.app import SlackInterview
from adapters.slack.config import SlackConfig
from bot.domain import Evaluation, InterviewPlan, JobProfile, Turn
from bot.engine import InterviewEngine
from bot.planning.bank import QuestionBank
from bot.ports import AudioClip, SessionRecord, SpeechToText, Transcript
from bot.progress import weakest_focus
from bot.settings import Settings
from bot.speech.errors import SpeechUnavailable
from tests.conftest import JD_TEXT
from tests.fake_slack import BOT_TOKEN, FakeSlack, buttons, message_event
from tests.test_slack_http import SECRET, Harness, _drain, _posts_in, _start
from tests.test_speech_support import espeak_wav, hits, needs_audio, needs_stt

SHARE_SECRET = "s" * 32


def settings_for(tmp_path: Path, **values: Any) -> Settings:
    return Settings(
        data_dir=tmp_path,
        share_secret=SHARE_SECRET,
        public_url="https://interviews.example.org",
        **values,
    )


@contextlib.asynccontextmanager
async def harness_for(
    engine: InterviewEngine,
    tmp_path: Path,
    *,
    stt: SpeechToText | None = None,
    settings: Settings | None = None,
    fake: FakeSlack | None = None,
) -> AsyncIterator[Harness]:
    """The bolt HTTP app of a ``SlackInterview`` on loopback, against a (new or given) fake."""
    fake = fake or await FakeSlack().start()
    config = SlackConfig.from_env(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
        }
    )
    interview = SlackInterview(engine, config, settings=settings or settings_for(tmp_path), stt=stt)
    server = TestServer(interview.app.web_app(), host="127.0.0.1")
    await server.start_server()
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    h = Harness(fake, interview, http)
    h.url = str(server.make_url("/slack/events"))
    try:
        yield h
    finally:
        await http.close()
        await _drain()
        await interview.aclose()
        await server.close()
        await fake.stop()


@pytest.fixture
async def group(engine: InterviewEngine, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness_for(engine, tmp_path) as h:
        yield h


async def _response(h: Harness, needle: str, *, what: str = "") -> dict[str, Any]:
    """The latest response_url message whose text contains ``needle``."""
    found = await h.fake.wait_for(
        lambda: [r for r in h.fake.responses if needle in json.dumps(r)],
        what=what or repr(needle),
    )
    return dict(found[-1])


def finished_session(
    bank: QuestionBank, sid: str, user_key: str, scores: list[float]
) -> SessionRecord:
    """A finished Slack session of ``user_key`` with these scores on the bank's first questions."""
    questions = tuple(bank.questions[: len(scores)])
    turns = [
        Turn(
            seq=i,
            question_index=i,
            question_id=q.id,
            question_type=q.type,
            question_text=q.text,
            answer=f"my answer {i}",
            evaluation=Evaluation(score=score, feedback=f"feedback {i}"),
            created_at=1_700_000_000.0 + i,
        )
        for i, (q, score) in enumerate(zip(questions, scores, strict=True))
    ]
    return SessionRecord(
        id=sid,
        user_key=user_key,
        conversation_key="slack:C1:1699999999.000001",
        state="finished",
        profile=JobProfile(title="Data Engineer"),
        plan=InterviewPlan(questions=questions),
        created_at=1_700_000_000.0,
        updated_at=1_700_000_000.0,
        turns=turns,
    )


# ---------------------------------------------------------------------- show, focus, share
async def save(engine: InterviewEngine, record: SessionRecord) -> None:
    await engine.store.create_session(record)
    for turn in record.turns:
        await engine.store.save_progress(record, turn)


async def test_show_is_for_the_owner_and_refused_like_a_missing_id_for_others(
    group: Harness, engine: InterviewEngine, bank: QuestionBank
) -> None:
    h = group
    await save(engine, finished_session(bank, "past1", "slack:U1", [4.0, 2.0]))

    await h.command("show past1")
    shown = await _response(h, "Mock interview: Data Engineer", what="the session")
    assert shown["response_type"] == "ephemeral"
    text = json.dumps(shown["blocks"])
    assert "my answer 0" in text and "feedback 1" in text
    assert "**" not in text and "\\n# " not in text  # Markdown turned into Slack mrkdwn

    await h.command("show past1", user="U2")
    refused = await _response(h, "No such session: past1", what="refusal")
    await h.command("show nothere", user="U2")
    missing = await _response(h, "No such session: nothere", what="missing")
    assert refused["text"].replace("past1", "X") == missing["text"].replace("nothere", "X")
    assert "my answer" not in json.dumps(h.fake.responses[-2:])

    await h.command("show past1 markdown")
    upload = await h.fake.wait_calls("files.completeUploadExternal", 1)
    assert upload[0].params["channel_id"] == "DU1"
    assert any(b"# Mock interview: Data Engineer" in data for data in h.fake.uploads.values())


async def test_start_focus_weakest_plans_the_users_weakest_areas(
    group: Harness, engine: InterviewEngine, bank: QuestionBank
) -> None:
    h = group
    past = finished_session(bank, "past1", "slack:U1", [4.5, 1.5, 3.0])
    await save(engine, past)
    expected = weakest_focus(await engine.store.sessions_for_user("slack:U1"), bank)
    assert expected, "the fixture must give something to focus on"

    ts, summary = await _start(h, f"start length=short focus:weakest {JD_TEXT}")
    record = await engine.store.active_session("slack:U1", f"slack:C1:{ts}")
    assert record is not None
    assert record.plan.options.focus == expected
    assert "iv:begin" in buttons(summary["blocks"])


async def test_start_with_only_options_opens_the_form_and_keeps_them(group: Harness) -> None:
    h = group
    await h.command("start focus:weakest")
    opened = (await h.fake.wait_calls("views.open", 1))[0].params
    metadata = json.loads(opened["view"]["private_metadata"])
    assert metadata == {"channel": "C1", "options": {"focus": "weakest"}}


async def test_share_posts_the_link_ephemerally_and_unshare_revokes_it(
    group: Harness, engine: InterviewEngine, bank: QuestionBank
) -> None:
    from bot.share import ShareRefused, resolve_share

    h = group
    await save(engine, finished_session(bank, "past1", "slack:U1", [4.0, 2.0]))
    await h.command("share", user="U2")
    await _response(h, "no interview to share", what="nothing to share")
    await h.command("share past1", user="U2")
    await _response(h, "No such session: past1", what="stranger refused")

    await h.command("share")
    shared = await _response(h, "https://interviews.example.org/s/", what="the link")
    assert shared["response_type"] == "ephemeral"
    assert not h.fake.called("chat.postMessage"), "a link is never posted in the channel"
    url = shared["text"].split(": ", 1)[1]
    token = url.rsplit("/", 1)[1]
    settings = h.interview.settings
    assert settings is not None
    opened = await resolve_share(engine.store, settings, token, now=time.time())
    assert opened.id == "past1"

    await h.command("unshare past1")
    await _response(h, "Revoked 1 link(s)", what="revoked")
    with pytest.raises(ShareRefused):
        await resolve_share(engine.store, settings, token, now=time.time())


# ---------------------------------------------------------------------- spoken answers
SPOKEN = (
    "I moved our payments service to Kafka and tuned the PostgreSQL queries. "
    "Latency dropped by half."
)


FFMPEG_WEBM = ["ffmpeg", "-v", "error", "-f", "wav", "-i", "pipe:0", "-c:a", "libopus"]
FFMPEG_WEBM += ["-b:a", "32k", "-f", "webm", "pipe:1"]


def webm(text: str) -> bytes:
    """``text`` spoken by espeak-ng, encoded as Slack's own voice clips are (Opus in WebM)."""
    done = subprocess.run(
        FFMPEG_WEBM,
        input=espeak_wav(text),
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout


def clip_event(fake: FakeSlack, name: str, data: bytes, mimetype: str, ts: str) -> dict[str, Any]:
    file_id = fake.add_file(name, data, mimetype)
    return message_event(
        "",
        thread_ts=ts,
        subtype="file_share",
        files=[{"id": file_id, "name": name, "mimetype": mimetype, "subtype": "slack_audio"}],
    )


async def _begin(h: Harness) -> str:
    ts, summary = await _start(h)
    await h.click("iv:begin", buttons(summary["blocks"])["iv:begin"], message_ts=ts)
    await h.fake.wait_for(lambda: _posts_in(h.fake, "C1", ts), what="first question")
    return ts


def _ephemeral(fake: FakeSlack, needle: str) -> list[dict[str, Any]]:
    return [c.params for c in fake.called("chat.postEphemeral") if needle in c.params["text"]]


@needs_stt
async def test_voice_clip_in_the_thread_is_transcribed_into_the_answer(
    group: Harness, engine: InterviewEngine
) -> None:
    h, fake = group, group.fake
    ts = await _begin(h)
    posts = len(_posts_in(fake, "C1", ts))
    await h.event(clip_event(fake, "audio_message.webm", webm(SPOKEN), "audio/webm", ts))
    heard = await fake.wait_for(
        lambda: [p for p in _posts_in(fake, "C1", ts) if p["text"].startswith("I heard")],
        within=60,
        what="the transcript echoed",
    )
    assert hits(heard[0]["text"], ["Kafka", "PostgreSQL", "payment", "queries"]) >= 3
    assert "wpm" in json.dumps(heard[0]["blocks"]), "delivery metrics are shown"
    await fake.wait_for(lambda: len(_posts_in(fake, "C1", ts)) >= posts + 2, what="next question")
    record = await engine.store.active_session("slack:U1", f"slack:C1:{ts}")
    assert record is not None and len(record.turns) == 1
    assert hits(record.turns[0].answer, ["Kafka", "PostgreSQL", "payment"]) >= 2
    assert await engine.store.audio_for_session(record.id) == [], "not kept without opt-in"

    # Opted in, the next clip is kept with its question.
    await h.command("audio on")
    await _response(h, "Audio opt-in is on")
    await h.event(clip_event(fake, "answer.webm", webm(SPOKEN), "audio/webm", ts))
    await fake.wait_for(
        lambda: len([p for p in _posts_in(fake, "C1", ts) if p["text"].startswith("I heard")]) >= 2,
        within=60,
        what="the second transcript",
    )
    await fake.wait_for(lambda: len(_posts_in(fake, "C1", ts)) >= posts + 4, what="the reply")
    clips = await engine.store.audio_for_session(record.id)
    assert len(clips) == 1 and clips[0].format == "webm"
    assert clips[0].data.startswith(b"\x1aE\xdf\xa3"), "the clip as uploaded (WebM/EBML)"


@needs_audio
async def test_broken_silent_and_non_audio_clips_get_a_message_and_record_nothing(
    group: Harness, engine: InterviewEngine
) -> None:
    h, fake = group, group.fake
    ts = await _begin(h)
    await h.event(clip_event(fake, "voice.ogg", b"OggS" + b"\x00garbage" * 64, "audio/ogg", ts))
    await fake.wait_for(lambda: _ephemeral(fake, ":warning:"), within=30, what="broken audio")
    warning = _ephemeral(fake, ":warning:")[-1]
    assert warning["user"] == "U1" and "Nothing was recorded" in warning["text"]
    record = await engine.store.active_session("slack:U1", f"slack:C1:{ts}")
    assert record is not None and record.turns == []
    assert not [p for p in _posts_in(fake, "C1", ts) if p["text"].startswith("I heard")]


async def test_without_speech_installed_the_candidate_is_asked_to_type(
    engine: InterviewEngine, tmp_path: Path
) -> None:
    class NoSpeech:
        async def transcribe(self, clip: AudioClip, vocabulary: Sequence[str] = ()) -> Transcript:
            raise SpeechUnavailable("faster-whisper is not installed: pip install ...")

    async with harness_for(engine, tmp_path, stt=NoSpeech()) as h:
        ts = await _begin(h)
        await h.event(clip_event(h.fake, "a.webm", b"\x1aE\xdf\xa3 not really", "audio/webm", ts))
        told = await h.fake.wait_for(
            lambda: _ephemeral(h.fake, "Please type your answer"), what="type instead"
        )
        assert "faster-whisper is not installed" in told[0]["text"]
        record = await engine.store.active_session("slack:U1", f"slack:C1:{ts}")
        assert record is not None and record.turns == []
