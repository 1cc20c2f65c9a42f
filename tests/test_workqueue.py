"""The work queue for real: a redis-server on loopback, an arq worker, the real sandbox running
a Python program and faster-whisper transcribing speech synthesized by espeak-ng. Failures
(Redis down, no worker, a late result) must come back as the typed errors callers already
handle, and the coding round must degrade to its usual message."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from rich.console import Console

from bot.engine import InterviewEngine
from bot.observability import metrics
from bot.ports import AudioClip, CodeRunner, RunLimits
from bot.sandbox.exercises import load_bank
from bot.sandbox.pool import RunnerPool
from bot.sandbox.round import CodingRound, exercise_question
from bot.sandbox.selfcheck import SandboxUnavailable
from bot.settings import Settings
from bot.speech.errors import AudioError, AudioProblem, SpeechUnavailable
from bot.workqueue import (
    CodeQueueUnavailable,
    SpeechQueueUnavailable,
    code_runner_for,
    queue_status,
)
from bot.workqueue.client import QUEUE_NAME, QueuedCodeRunner, QueuedSpeechToText, WorkQueue
from bot.workqueue.worker import build_worker, default_code_runner
from tests.conftest import ROOT, cli
from tests.redis_server import RedisServer, free_port, needs_redis, redis_server
from tests.test_coding_round import REASON as SANDBOX_REASON
from tests.test_speech_support import espeak_clip, hits, needs_stt, silence

pytestmark = needs_redis
needs_sandbox = pytest.mark.skipif(bool(SANDBOX_REASON), reason=f"no sandbox: {SANDBOX_REASON}")


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


def _settings(server: RedisServer, tmp_path: Path, timeout_s: float = 60.0) -> Settings:
    return _settings_at(server.url, tmp_path, timeout_s)


def _settings_at(url: str, tmp_path: Path, timeout_s: float = 60.0) -> Settings:
    return Settings(data_dir=tmp_path, work_queue="redis", redis_url=url, work_timeout_s=timeout_s)


@contextlib.asynccontextmanager
async def running_worker(
    server: RedisServer, settings: Settings, queue_name: str, **parts: Any
) -> AsyncIterator[None]:
    """An arq worker in this event loop, started and seen alive (heartbeat key) before use."""
    worker = build_worker(settings, queue_name=queue_name, **parts)
    task = asyncio.create_task(worker.async_run())
    client = aioredis.from_url(server.url)
    try:
        for _ in range(200):  # 10 s at most
            if await client.exists(f"{queue_name}:health-check") or task.done():
                break
            await asyncio.sleep(0.05)
        if task.done():
            task.result()  # the worker failed to start: show why
        assert await client.exists(f"{queue_name}:health-check"), "worker never became ready"
        yield
    finally:
        await client.aclose()
        await worker.close()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def sandbox() -> AsyncIterator[CodeRunner]:
    runner, problem = await default_code_runner()
    if runner is None:
        pytest.skip(f"no sandbox here: {problem}")
    yield runner
    inner = getattr(runner, "runner", None)
    close = getattr(inner, "close", None)
    if callable(close):
        close()


def redis_sync_client(server: RedisServer) -> Any:
    import redis as redis_sync

    return redis_sync.Redis.from_url(server.url)


def _count(name: str, **labels: str) -> float:
    return metrics().value(name, labels) or 0.0


@needs_sandbox
async def test_a_sandboxed_program_runs_on_the_worker(
    redis: RedisServer, tmp_path: Path, sandbox: CodeRunner
) -> None:
    settings = _settings(redis, tmp_path)
    queue = "t:code"
    ok_before = _count("interview_bot_workqueue_seconds_count", job="run_code", outcome="ok")
    runs_before = _count("interview_bot_sandbox_seconds_count", status="ok")
    async with running_worker(redis, settings, queue, code_runner=sandbox):
        runner = QueuedCodeRunner(WorkQueue(redis.url, timeout_s=60, queue_name=queue))
        assert (await runner.check()).notes == (), "Redis and a worker are there"
        program = (
            "import sys, os\nprint(sum(int(x) for x in sys.stdin.read().split()), os.getuid())"
        )
        result = await runner.run(program, "python", stdin="1 2 3 36")
        total, uid = result.stdout.split()
        assert result.status == "ok" and total == "42"
        assert int(uid) >= 60000, "the worker ran it in the sandbox, as an unprivileged uid"
        failed = await runner.run("raise ValueError('boom')", "python")
        assert failed.status == "runtime_error" and "ValueError: boom" in failed.stderr
        await runner.aclose()
    assert _count("interview_bot_workqueue_seconds_count", job="run_code", outcome="ok") == (
        ok_before + 2
    )
    # The worker runs in this process here, so its sandbox timing lands in the same registry.
    assert _count("interview_bot_sandbox_seconds_count", status="ok") == runs_before + 1


@needs_sandbox
async def test_the_coding_round_judges_through_the_queue(
    redis: RedisServer, tmp_path: Path, sandbox: CodeRunner
) -> None:
    settings = _settings(redis, tmp_path)
    exercise = next(iter(load_bank().values()))
    question = exercise_question(exercise)
    answer = f"Here is my solution:\n```python\n{exercise.reference['python']}\n```"
    queue = "t:round"
    async with running_worker(redis, settings, queue, code_runner=sandbox):
        runner = QueuedCodeRunner(WorkQueue(redis.url, timeout_s=60, queue_name=queue))
        coding = CodingRound.load(RunnerPool(runner, concurrency=2))
        evaluation = await coding.judge_answer(question, answer, hints_used=0)
        await runner.aclose()
    assert evaluation is not None
    assert evaluation.code_status == "accepted", evaluation.feedback
    assert evaluation.score == 5.0


async def test_redis_down_is_a_typed_error_and_the_round_degrades(tmp_path: Path) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings = Settings(data_dir=tmp_path, work_queue="redis", redis_url=dead, work_timeout_s=10)
    runner = code_runner_for(settings)
    assert isinstance(runner, QueuedCodeRunner)
    with pytest.raises(CodeQueueUnavailable) as raised:
        await runner.run("print(1)", "python")
    assert raised.value.reason == "redis"
    assert isinstance(raised.value, SandboxUnavailable), "callers' existing handling applies"
    assert "127.0.0.1" in str(raised.value)

    exercise = next(iter(load_bank().values()))
    evaluation = await CodingRound.load(runner).judge_answer(
        exercise_question(exercise), f"```python\n{exercise.reference['python']}\n```", 0
    )
    assert evaluation is not None and evaluation.code_status == "error"
    assert "couldn't run your code" in evaluation.feedback

    report = await runner.check()  # what build_coding_round logs at start
    assert report.notes and "unreachable" in report.notes[0]

    stt = QueuedSpeechToText(WorkQueue(dead, timeout_s=10))
    with pytest.raises(SpeechQueueUnavailable) as speech:
        await stt.transcribe(AudioClip(silence(0.5), 16_000))
    assert isinstance(speech.value, SpeechUnavailable)


async def test_no_worker_running_is_reported_without_waiting_out_the_timeout(
    redis: RedisServer,
) -> None:
    queue = WorkQueue(redis.url, timeout_s=600, queue_name="t:nobody")
    with pytest.raises(CodeQueueUnavailable) as raised:
        await QueuedCodeRunner(queue).run("print(1)", "python")
    assert raised.value.reason == "no_worker"
    assert "interview-bot worker" in str(raised.value)
    report = await QueuedCodeRunner(queue).check()
    assert report.notes and "no worker" in report.notes[0]
    settings = Settings(work_queue="redis", redis_url=redis.url)
    status, details = await queue_status(settings)  # what doctor shows
    assert status == "NOT ready" and "no worker" in details
    assert "Discord live voice still recognises in this process" in details
    assert (await queue_status(Settings()))[0] == "inline"
    await queue.aclose()


@needs_sandbox
async def test_a_late_result_times_out(
    redis: RedisServer, tmp_path: Path, sandbox: CodeRunner
) -> None:
    settings = _settings(redis, tmp_path)
    queue = "t:slow"
    async with running_worker(redis, settings, queue, code_runner=sandbox):
        runner = QueuedCodeRunner(WorkQueue(redis.url, timeout_s=1.0, queue_name=queue))
        with pytest.raises(CodeQueueUnavailable) as raised:
            await runner.run(
                "import time\ntime.sleep(3)\nprint('late')",
                "python",
                limits=RunLimits(wall_seconds=5, cpu_seconds=2),
            )
        assert raised.value.reason == "timeout"
        await runner.aclose()


@needs_stt
async def test_speech_is_transcribed_on_the_worker(redis: RedisServer, tmp_path: Path) -> None:
    from bot.speech.config import SpeechConfig
    from bot.speech.stt import WhisperSTT

    stt = WhisperSTT(SpeechConfig(stt_threads=2))
    queue = "t:stt"
    try:
        async with running_worker(redis, _settings(redis, tmp_path), queue, stt=stt):
            client = QueuedSpeechToText(WorkQueue(redis.url, timeout_s=120, queue_name=queue))
            spoken = espeak_clip(
                "I would use a queue to decouple the services and retry failed messages."
            )
            transcript = await client.transcribe(spoken, ["Kafka", "RabbitMQ"])
            assert hits(transcript.text, ["queue", "services", "messages"]) >= 2, transcript.text
            assert transcript.model == "tiny.en" and transcript.words
            starts = [w.start for w in transcript.words]
            assert starts == sorted(starts)
            # A recording the worker cannot use comes back as the same AudioError, message and all.
            with pytest.raises(AudioError) as raised:
                await client.transcribe(AudioClip(silence(2.0), 16_000))
            assert raised.value.problem is AudioProblem.SILENT
            assert "silent" in raised.value.user_message
            await client.aclose()
    finally:
        stt.close()


@needs_sandbox
def test_worker_command_serves_health_metrics_and_runs_jobs(
    redis: RedisServer, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "REDIS_URL": redis.url,
        "HTTP_PORT": str(port),
        "INTERVIEW_BOT_DATA_DIR": str(tmp_path),
        "INTERVIEW_BOT_LOG_FORMAT": "json",
        "INTERVIEW_BOT_LOG_LEVEL": "INFO",
        "INTERVIEW_BOT_INSTANCE": "worker-test",
    }
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(cli("worker"), cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        health: dict[str, Any] = {}
        for _ in range(300):  # 30 s at most: the sandbox self-check runs first
            assert proc.poll() is None, (tmp_path / "worker.log").read_text()
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    health = json.loads(response.read())
                break
            except OSError:
                time.sleep(0.1)
        assert health.get("status") == "ok" and health["instance"] == "worker-test"
        assert health["checks"]["redis"]["ok"] is True

        async def job() -> str:
            queue = WorkQueue(redis.url, timeout_s=60)
            for _ in range(100):  # the worker may still be connecting to Redis
                try:
                    result = await QueuedCodeRunner(queue).run("print(6 * 7)", "python")
                    return result.stdout.strip()
                except CodeQueueUnavailable as exc:
                    if exc.reason != "no_worker":
                        raise
                    await asyncio.sleep(0.1)
                finally:
                    await queue.aclose()
            raise AssertionError("the worker never picked up the job")

        assert asyncio.run(job()) == "42"
        ready = Settings(work_queue="redis", redis_url=redis.url)
        assert asyncio.run(queue_status(ready))[0] == "ready"  # doctor's row
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
            text = response.read().decode()
        assert 'interview_bot_sandbox_seconds_count{status="ok"} 1.0' in text
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
            raise
        log.close()
    assert code == 0, (tmp_path / "worker.log").read_text()
    lines = [
        json.loads(line)
        for line in (tmp_path / "worker.log").read_text().splitlines()
        if line.startswith("{")
    ]
    assert any(r["instance"] == "worker-test" and r["level"] == "WARNING" for r in lines)


async def test_worker_health_is_503_while_redis_is_unreachable(
    redis: RedisServer, tmp_path: Path
) -> None:
    import aiohttp

    from adapters.web.server import HttpServer, build_app
    from bot.workqueue.client import redis_health

    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings = Settings(data_dir=tmp_path, instance_name="w1")
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        for url, expected in ((redis.url, 200), (dead, 503)):
            checks = {"redis": lambda url=url: redis_health(url)}
            async with (
                HttpServer(build_app(settings, None, checks=checks), "127.0.0.1", 0) as server,
                http.get(f"{server.url}/healthz") as response,
            ):
                body = await response.json()
            assert response.status == expected, body
            assert body["checks"]["redis"]["ok"] is (expected == 200)
            assert body["checks"]["store"]["ok"] is True  # a worker has no store to lose


def test_worker_command_without_redis_url_says_how_to_configure_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "WORK_QUEUE")}
    env["INTERVIEW_BOT_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        cli("worker"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "REDIS_URL" in done.stderr


def test_worker_command_stops_cleanly_on_ctrl_c(redis: RedisServer, tmp_path: Path) -> None:
    env = {**os.environ, "REDIS_URL": redis.url, "INTERVIEW_BOT_DATA_DIR": str(tmp_path)}
    env["INTERVIEW_BOT_SANDBOX_MODE"] = "nonsense"  # no sandbox: the worker still starts
    proc = subprocess.Popen(
        cli("worker"), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        client = redis_sync_client(redis)
        for _ in range(300):  # 30 s at most for the heartbeat
            if client.exists("interview-bot:work:health-check") or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert proc.poll() is None, proc.communicate()[0]
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=20)[0].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 0, output
    assert "sandbox unavailable" in output, "the worker says what it cannot do"
    assert "Traceback" not in output


# ---------------------------------------------------------------------- recorded answers (issue 12)
SPOKEN = "In my last job I built a payment service in Python with PostgreSQL and Kafka."


@pytest.fixture(scope="module")
def worker_stt() -> Iterator[Any]:
    """One tiny.en for the worker in the tests below (loaded on the first job)."""
    from bot.speech.config import SpeechConfig
    from bot.speech.stt import WhisperSTT

    stt = WhisperSTT(SpeechConfig(stt_threads=2))
    yield stt
    stt.close()


@needs_stt
async def test_a_slack_voice_clip_is_transcribed_on_the_worker(
    redis: RedisServer, tmp_path: Path, worker_stt: Any
) -> None:
    """Slack's recogniser comes from the settings: with WORK_QUEUE=redis the clip (Opus in WebM,
    as Slack records them) goes to the worker as uploaded, and the worker decodes it."""
    from adapters.slack.voice import Listener
    from tests.test_slack_group import webm

    settings = _settings(redis, tmp_path, timeout_s=120)
    clip = webm(SPOKEN)
    jobs = _count("interview_bot_workqueue_seconds_count", job="transcribe", outcome="ok")
    recognised = _count("interview_bot_stt_seconds_count", outcome="ok")
    listener = Listener(settings=settings)
    try:
        async with running_worker(redis, settings, QUEUE_NAME, stt=worker_stt):
            heard = await listener.hear(clip, "webm", ["Python", "PostgreSQL", "Kafka"])
    finally:
        await listener.aclose()
    assert hits(heard.text, ["payment", "Python", "PostgreSQL", "Kafka"]) >= 3, heard.text
    assert heard.spoken.delivery is not None and heard.spoken.delivery.words_per_minute > 0
    assert heard.echo().startswith("I heard:")
    assert _count("interview_bot_workqueue_seconds_count", job="transcribe", outcome="ok") == (
        jobs + 1
    )
    # The worker runs in this process here, so its recognition lands in the same registry.
    assert _count("interview_bot_stt_seconds_count", outcome="ok") == recognised + 1


@needs_stt
async def test_console_voice_answers_go_through_the_queue(
    redis: RedisServer, tmp_path: Path, worker_stt: Any
) -> None:
    """``console --voice-in`` with WORK_QUEUE=redis: the chat side never loads a model; an OGG
    file is recognised by the worker and becomes the stored answer."""
    from adapters.cli import _parser
    from adapters.voice_console import run_voice_console
    from bot.speech import audio
    from tests.test_speech_support import espeak_wav

    answers = tmp_path / "answers"
    answers.mkdir()
    wav = tmp_path / "first.wav"
    wav.write_bytes(espeak_wav(SPOKEN))
    audio.write_audio(audio.read_wav(wav.read_bytes()), answers / "01-first.ogg")
    session = tmp_path / "session.json"
    sample = ["--sample", "backend-engineer-senior", "--length", "short"]
    args = _parser().parse_args(
        ["console", *sample, "--voice-in", str(answers), "--json", str(session)]
    )
    settings = _settings(redis, tmp_path / "data", timeout_s=120)
    text = io.StringIO()
    jobs = _count("interview_bot_workqueue_seconds_count", job="transcribe", outcome="ok")
    async with running_worker(redis, settings, QUEUE_NAME, stt=worker_stt):
        code = await run_voice_console(args, settings, Console(file=text, width=200))
    output = text.getvalue()
    assert code == 0, output
    assert "[01-first.ogg]" in output and "wpm" in output
    assert _count("interview_bot_workqueue_seconds_count", job="transcribe", outcome="ok") == (
        jobs + 1
    )
    turns = json.loads(session.read_text())["turns"]
    assert hits(turns[0]["answer"], ["payment", "Python", "PostgreSQL", "Kafka"]) >= 3, turns


async def test_a_recorded_answer_without_a_working_queue_asks_for_a_typed_one(
    engine: InterviewEngine, redis: RedisServer, tmp_path: Path
) -> None:
    """Redis down on Slack: the candidate reads the usual "type your answer" message and nothing
    is recorded. The clip is not even decoded here (garbage bytes would otherwise be called
    damaged). No worker, and the console: the same, in their words."""
    from adapters.slack.voice import UNAVAILABLE, Listener, unavailable_message
    from tests.test_slack_group import _begin, _ephemeral, clip_event, harness_for, settings_for

    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings = settings_for(tmp_path, work_queue="redis", redis_url=dead, work_timeout_s=10)
    async with harness_for(engine, tmp_path, settings=settings) as h:
        ts = await _begin(h)
        await h.event(clip_event(h.fake, "a.webm", b"\x1aE\xdf\xa3" * 64, "audio/webm", ts))
        told = await h.fake.wait_for(
            lambda: _ephemeral(h.fake, "Please type your answer"), within=30, what="type instead"
        )
        assert "the speech worker is not answering" in told[0]["text"], told
        assert "redis://" not in told[0]["text"], "addresses belong in the log"
        record = await engine.store.active_session("slack:U1", f"slack:C1:{ts}")
        assert record is not None and record.turns == []

    # Redis up, no worker (database 1: no heartbeat from the other tests' workers there).
    nobody = Settings(work_queue="redis", redis_url=redis.url[:-1] + "1", work_timeout_s=600)
    listener = Listener(settings=nobody)
    try:
        with pytest.raises(SpeechQueueUnavailable) as raised:
            await listener.hear(b"OggS" * 64, "ogg", [])
    finally:
        await listener.aclose()
    assert raised.value.reason == "no_worker"
    message = unavailable_message(raised.value)
    assert message == UNAVAILABLE.format(reason="the speech worker is not answering just now")

    # An upload over the size limit is refused before it goes anywhere.
    small = QueuedSpeechToText(WorkQueue(dead, timeout_s=10), max_bytes=100)
    with pytest.raises(AudioError) as too_big:
        await small.transcribe(AudioClip(b"\x00" * 101, 0, format="ogg"))
    assert too_big.value.problem is AudioProblem.TOO_LARGE

    # The console: a clear message, exit 2, how to answer instead.
    from adapters.cli import _parser
    from adapters.voice_console import run_voice_console

    answers = tmp_path / "answers"
    answers.mkdir()
    (answers / "01.ogg").write_bytes(b"OggS" * 64)
    args = _parser().parse_args(
        ["console", "--sample", "backend-engineer-senior", "--voice-in", str(answers)]
    )
    console_settings = _settings_at(dead, tmp_path / "console")
    text = io.StringIO()
    code = await run_voice_console(args, console_settings, Console(file=text, width=200))
    assert code == 2, text.getvalue()
    assert "Voice is not available here" in text.getvalue()
    assert "Type your answers instead" in text.getvalue()
