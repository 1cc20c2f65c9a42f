"""``interview-bot`` command line: the composition root that picks an adapter and runs it.

Contracts (documented in README and docs/JSON.md, kept stable):
  interview-bot console [--jd FILE | --sample NAME] [--answers FILE] [--json OUT] [--resume]
  interview-bot analyze FILE [--json]
  interview-bot share SESSION [--user U] [--revoke] [--json]
  interview-bot export SESSION [--format md|pdf] -o FILE
  interview-bot export SESSION --audio DIR   (the candidate's kept recordings, q01.ogg, …)
Exit codes: 0 ok, 1 the interview could not start (bad input), 2 configuration or store error,
130 interrupted (progress saved).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from rich.console import Console

from adapters.console import ConsoleAdapter, console_user, samples, split_answers, write_json
from bot.analysis import analyse
from bot.app import build_engine, configure_logging
from bot.events import Command, IncomingEvent, ReplyKind, UserRef
from bot.intake import IntakeError, IntakeLimits, from_path
from bot.ports import Store
from bot.progress import resolve_focus
from bot.render import profile_summary, score_text
from bot.report import profile_json
from bot.retention import retention_task
from bot.settings import Settings, SettingsError, load_settings
from bot.store.sqlite import StoreError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interview-bot", description="AI mock-interview coach (offline by default)."
    )
    parser.add_argument("--config", type=Path, help="TOML config file (see README)")
    parser.add_argument("--db", type=Path, help="SQLite database file (default: in the data dir)")
    sub = parser.add_subparsers(dest="command")

    console = sub.add_parser("console", help="run a mock interview in the terminal")
    source = console.add_mutually_exclusive_group()
    source.add_argument("--jd", type=Path, help="job description file (.txt, .md)")
    source.add_argument("--sample", help="a bundled sample job description, by name")
    console.add_argument(
        "--answers", type=Path, help="scripted mode: answers separated by lines holding only ---"
    )
    console.add_argument("--json", type=Path, dest="json_out", help="write the session as JSON")
    console.add_argument("--resume", action="store_true", help="continue the unfinished interview")
    console.add_argument("--length", choices=("short", "standard", "long"))
    console.add_argument("--coding", choices=("yes", "no", "auto"), default="auto")
    console.add_argument("--focus", default="", help="comma-separated skills or competencies")
    console.add_argument("--user", help="user name to keep sessions under (default: login name)")

    analyze = sub.add_parser("analyze", help="analyse a job description and print the profile")
    analyze.add_argument("file", type=Path)
    analyze.add_argument("--json", action="store_true", help="print the profile as JSON")

    sub.add_parser("samples", help="list the bundled sample job descriptions")
    sub.add_parser("discord", help="run the Discord bot (needs DISCORD_TOKEN; see README)")
    slack = sub.add_parser("slack", help="run the Slack app (needs SLACK_BOT_TOKEN; see README)")
    slack.add_argument("--port", type=int, help="HTTP mode port (default $SLACK_PORT or 3000)")
    sub.add_parser("doctor", help="show which LLM, speech, sandbox and data the bot would use")
    sub.add_parser("worker", help="run the work-queue worker (WORK_QUEUE=redis; needs REDIS_URL)")
    _sandbox_parsers(sub)
    _progress_parsers(sub)
    _speech_parsers(sub, console)
    return parser


def _progress_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """history, show, forget and privacy (issue 11): progress and privacy from the terminal."""
    history = sub.add_parser("history", help="list your past interviews")
    history.add_argument("--user", help="whose interviews (default: login name)")
    history.add_argument("--chart", type=Path, help="write a score-trend chart (PNG) here")
    show = sub.add_parser("show", help="one past interview: questions, answers, scores, recap")
    show.add_argument("session_id")
    show.add_argument("--user", help="whose interview (default: login name)")
    show.add_argument("--markdown", type=Path, help="write it as Markdown to this file")
    share = sub.add_parser("share", help="a read-only, expiring link to one interview")
    share.add_argument("session_id", help="session id (or a unique prefix) from history")
    share.add_argument("--user", help="whose interview (default: login name)")
    share.add_argument("--revoke", action="store_true", help="turn off this interview's links")
    share.add_argument("--json", action="store_true", help="print the result as JSON")
    export = sub.add_parser("export", help="write one interview to a Markdown or PDF file")
    export.add_argument("session_id", help="session id (or a unique prefix) from history")
    export.add_argument("--format", choices=("md", "pdf"), help="default: from -o's extension")
    export.add_argument("-o", "--output", type=Path, help="file to write")
    export.add_argument(
        "--audio",
        type=Path,
        metavar="DIR",
        help="write the recordings kept of your spoken answers (audio opt-in) into DIR",
    )
    export.add_argument("--user", help="whose interview (default: login name)")
    serve = sub.add_parser("serve", help="serve share links (and /healthz, /metrics) over HTTP")
    serve.add_argument("--port", type=int, help="default $HTTP_PORT, else 8080; 0 = any free")
    serve.add_argument("--host", help="default $HTTP_HOST (127.0.0.1); 0.0.0.0 to expose it")
    forget = sub.add_parser("forget", help="delete all your interviews and answers")
    forget.add_argument("--user", help="whose data (default: login name)")
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    sub.add_parser("privacy", help="what is stored, for how long, and how to delete it")


def _sandbox_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """run-code and judge (issue #7): the sandbox from the command line."""
    run_code = sub.add_parser("run-code", help="run a program in the code sandbox")
    run_code.add_argument("file", type=Path)
    run_code.add_argument("--language", help="python, javascript, cpp, java, go, rust")
    run_code.add_argument("--stdin", type=Path, help="file to feed on standard input")
    run_code.add_argument("--json", action="store_true", help="print the result as JSON")
    judge = sub.add_parser("judge", help="judge a solution against a coding exercise's tests")
    judge.add_argument("file", type=Path)
    judge.add_argument("--exercise", required=True, help="exercise id (data/exercises)")
    judge.add_argument("--language", help="override the language guessed from the extension")
    judge.add_argument("--json", action="store_true", help="print the verdict as JSON")


def _speech_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], console: argparse.ArgumentParser
) -> None:
    """transcribe, say and the console's audio-file options (issue #10)."""
    console.add_argument(
        "--voice-in", type=Path, help="answers from audio files in DIR (sorted, one per turn)"
    )
    console.add_argument("--voice-out", type=Path, help="write each question as audio into DIR")
    transcribe = sub.add_parser("transcribe", help="transcribe an audio file (speech to text)")
    transcribe.add_argument("audio", type=Path)
    transcribe.add_argument("--json", action="store_true", help="text, words with times, model")
    transcribe.add_argument(
        "--vocabulary", default="", help="comma-separated terms to bias towards (job skills)"
    )
    say = sub.add_parser("say", help="speak TEXT into an audio file (text to speech)")
    say.add_argument("text")
    say.add_argument("-o", "--output", type=Path, required=True, help="FILE.wav (or .mp3, .ogg)")
    say.add_argument("--engine", choices=("auto", "edge", "piper", "espeak"))


def _speech_command(args: argparse.Namespace, settings: Settings, out: Console) -> int | None:
    """transcribe / say / console with --voice-in or --voice-out; ``None``: not a speech command."""
    voice_console = getattr(args, "voice_in", None) or getattr(args, "voice_out", None)
    if args.command not in ("transcribe", "say") and not voice_console:
        return None
    from bot.speech import commands

    if args.command == "transcribe":
        vocabulary = [v.strip() for v in args.vocabulary.split(",") if v.strip()]
        code, data = commands.transcribe_file(args.audio, vocabulary)
        if args.json:
            print(commands.dumps(data))
        elif code == 0:
            out.print(data["text"], markup=False)
        else:
            out.print(f"! {data['error']}", markup=False)
        return code
    if args.command == "say":
        code, message = asyncio.run(commands.say(args.text, args.output, args.engine))
        out.print(message if code == 0 else f"! {message}", markup=False)
        return code
    from adapters.voice_console import run_voice_console

    return asyncio.run(run_voice_console(args, settings, out))


async def _sandbox_status() -> tuple[str, str]:
    from bot.sandbox.commands import make_runner
    from bot.sandbox.selfcheck import SandboxUnavailable

    runner = make_runner()
    check = getattr(runner, "check", None)
    if check is None:
        return "remote", type(runner).__name__
    try:
        report = await check()
    except SandboxUnavailable as exc:
        return "unavailable", f"{exc.reason} · coding rounds are walkthroughs"
    return "ready", f"{report.mode} mode · bubblewrap {report.bwrap or 'no'} · per-run uid"


def _sandbox_command(args: argparse.Namespace, out: Console) -> int:
    """Exit 0 when the sandbox worked (whatever the program did), 1 bad input, 2 refused."""
    from bot.sandbox import commands

    if args.command == "run-code":
        code, data = asyncio.run(commands.run_code(args.file, args.language, args.stdin))
        text = commands.dumps(data) if args.json else commands.render_run(data)
    else:
        code, data = asyncio.run(commands.judge_file(args.file, args.exercise, args.language))
        text = commands.dumps(data) if args.json else commands.render_verdict(data)
    out.print(text, markup=False, highlight=False)
    return code


def _sample_path(name: str) -> Path:
    for path in samples():
        if name in (path.stem, path.name):
            return path
    known = ", ".join(p.stem for p in samples())
    raise IntakeError(f"No sample called {name!r}. Available: {known}")


async def _console(args: argparse.Namespace, settings: Settings, out: Console) -> int:
    options = {"length": args.length or settings.default_length, "coding": args.coding}
    if args.focus:
        options["focus"] = args.focus
    jd_path = _sample_path(args.sample) if args.sample else args.jd
    async with (
        build_engine(settings) as engine,
        retention_task(engine.store, settings.retention_days),
    ):
        adapter = ConsoleAdapter(
            engine, console_user(args.user), out, chart_dir=settings.data_dir / "charts"
        )
        if args.focus:  # "weakest" becomes this user's weakest areas (spaced practice)
            options["focus"] = await resolve_focus(engine.store, adapter.user.key, args.focus)
        if args.answers is not None:
            if jd_path is None and not args.resume:
                out.print("Scripted mode needs --jd FILE or --sample NAME (or --resume).")
                return 1
            answers_text = args.answers.read_text(encoding="utf-8", errors="replace")
            record = await adapter.run_scripted(
                jd_path, split_answers(answers_text), options, args.resume
            )
            if record is None:
                return 1
            if args.json_out:
                write_json(record, args.json_out)
                out.print(f"Session written to {args.json_out}", style="dim")
            return 0
        if jd_path is not None:
            replies = await adapter.start(jd_path, options)
            if not replies or replies[-1].kind is ReplyKind.ERROR:
                return 1
            await adapter.dispatch(
                IncomingEvent.do(adapter.user, adapter.conversation, Command.BEGIN)
            )
            code = await adapter.run_interactive(
                sys.stdin, options, resume=True, show_current=False
            )
        else:
            code = await adapter.run_interactive(sys.stdin, options, args.resume)
        if args.json_out:
            record = await adapter.latest()
            if record is not None:
                write_json(record, args.json_out)
        return code


async def _history(args: argparse.Namespace, settings: Settings, out: Console) -> int:
    from bot.progress import HISTORY_LIMIT, mastery, when

    user = console_user(args.user)
    async with build_engine(settings) as engine:
        records = await engine.store.sessions_for_user(user.key, limit=HISTORY_LIMIT)
    if not records:
        out.print("No interviews yet. Start one with: interview-bot console", markup=False)
        return 0
    for record in records:
        overall = score_text(record.recap.overall) if record.recap else "-"
        state = record.state.replace("_", " ")
        line = f"{record.id}  {when(record.created_at)}  {overall:>6}  {state:<10}  "
        out.print(line + record.profile.title, markup=False)
    if args.chart is not None:
        from bot.evaluation.trend import trend_chart

        png = trend_chart(
            mastery(records), title=f"Progress of {user.display_name or user.user_id}"
        )
        if png is None:
            out.print("No scored answers yet: no chart written.", markup=False)
        else:
            args.chart.write_bytes(png)
            out.print(f"Chart: {args.chart}", markup=False)
    return 0


@contextlib.asynccontextmanager
async def _store_only(settings: Settings) -> AsyncIterator[Store]:
    """Just the store, for commands that only read or write records (show, share, export): no
    taxonomy load or sandbox self-check, which ``build_engine`` does and these never need."""
    from bot.store import open_store

    store = await open_store(settings)
    try:
        yield store
    finally:
        await store.close()


async def _show(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    """A session is shown only to its candidate and invited observers (bot.access); anyone else
    gets the same answer as for an id that does not exist, so an id cannot be probed for."""
    from bot.access import AccessDenied, viewable_session
    from bot.progress import session_markdown

    user = console_user(args.user)
    async with _store_only(settings) as store:
        try:
            record = await viewable_session(store, args.session_id, user.key)
        except AccessDenied as exc:
            err.print(f"! {exc}", markup=False)
            return 1
    text = session_markdown(record)
    if args.markdown is not None:
        args.markdown.write_text(text, encoding="utf-8")
        out.print(f"Written to {args.markdown}", markup=False)
    else:
        out.print(text, markup=False)
    return 0


async def _share(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    """share SESSION [--revoke]: exit 0 done, 1 not the user's session (bot.share, bot.access)."""
    import time

    from bot.access import AccessDenied
    from bot.share import create_share, revoke_shares

    user = console_user(args.user)
    async with _store_only(settings) as store:
        try:
            if args.revoke:
                revoked = await revoke_shares(
                    store, user.key, session_id=args.session_id, now=time.time()
                )
            else:
                made = await create_share(
                    store, settings, args.session_id, user.key, now=time.time()
                )
        except AccessDenied as exc:
            if args.json:
                print(json.dumps({"version": 1, "error": str(exc)}))
            err.print(f"! {exc}", markup=False)
            return 1
    if args.revoke:
        if args.json:
            print(json.dumps({"version": 1, "session_id": args.session_id, "revoked": revoked}))
        else:
            out.print(f"Revoked {revoked} link(s): they now show 'revoked'.", markup=False)
        return 0
    from datetime import UTC, datetime

    expires = datetime.fromtimestamp(made.expires_at, UTC)
    if args.json:
        data = {
            "version": 1,
            "session_id": made.link.session_id,
            "url": made.url,
            "expires_at": expires.isoformat().replace("+00:00", "Z"),
            "served": made.served,
        }
        print(json.dumps(data))
        return 0
    out.print(made.url, markup=False)
    out.print(
        f"Read-only, no login needed; expires {expires:%Y-%m-%d %H:%M} UTC. Revoke early with: "
        f"interview-bot share {made.link.session_id} --revoke",
        markup=False,
    )
    if made.served:
        note = "The link works while the bot's HTTP server (HTTP_PORT) runs and is reachable there."
    else:
        note = (
            "Neither PUBLIC_URL nor HTTP_PORT is set, so this is only the link's path: run the bot "
            "with HTTP_PORT (and PUBLIC_URL, the address others reach) to serve it."
        )
    out.print(note, markup=False)
    return 0


async def _export(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    """export SESSION -o FILE and/or --audio DIR: exit 0 written (or no recordings kept), 1 not
    the user's session, unknown format or DIR unwritable. Recordings are the candidate's only."""
    from bot.access import AccessDenied
    from bot.community.prefs import Recording, recordings
    from bot.export import export_session

    if args.output is None and args.audio is None:
        err.print("! export needs -o FILE (the transcript), --audio DIR (recordings) or both.")
        return 1
    user = console_user(args.user)
    exported = None
    clips: list[Recording] = []
    async with _store_only(settings) as store:
        try:
            if args.output is not None:
                fmt = args.format or ("pdf" if args.output.suffix.lower() == ".pdf" else "md")
                exported = await export_session(store, args.session_id, user.key, fmt)
            if args.audio is not None:
                _, clips = await recordings(store, args.session_id, user.key)
        except AccessDenied as exc:
            err.print(f"! {exc}", markup=False)
            return 1
    if exported is not None:
        args.output.write_bytes(exported.data)
        out.print(f"Written to {args.output} ({fmt}, {len(exported.data)} bytes)", markup=False)
    if args.audio is not None:
        if not clips:
            out.print(
                "No recordings are kept for this interview (audio opt-in was off, or no answer "
                "was spoken).",
                markup=False,
            )
            return 0
        try:
            args.audio.mkdir(parents=True, exist_ok=True)
            for clip in clips:
                (args.audio / clip.filename).write_bytes(clip.data)
        except OSError as exc:
            err.print(f"! Could not write to {args.audio}: {exc.strerror or exc}", markup=False)
            return 1
        names = ", ".join(c.filename for c in clips)
        out.print(f"Wrote {len(clips)} recording(s) to {args.audio}: {names}", markup=False)
    return 0


def _serve(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    """The HTTP server alone, for installations without a Discord or Slack process to serve the
    links ``share`` prints. Runs until interrupted; exit 2 when the port cannot be used."""
    from adapters.web.server import http_server

    port = args.port if args.port is not None else settings.http_port
    port = 8080 if port is None else port
    if not 0 <= port < 65536:
        err.print(f"! --port {port} is not a TCP port (0-65535).", markup=False)
        return 2
    settings = settings.model_copy(
        update={"http_port": port, "http_host": args.host or settings.http_host}
    )

    async def run() -> None:
        async with _store_only(settings) as store, http_server(settings, store) as server:
            assert server is not None  # http_port is set
            out.print(
                f"Serving share links on {server.url}/s/… (and /healthz, /metrics). Ctrl-C stops.",
                markup=False,
            )
            sys.stdout.flush()
            await asyncio.Event().wait()

    try:
        asyncio.run(run())
    except OSError as exc:
        err.print(f"! Cannot listen on {settings.http_host}:{port}: {exc.strerror}", markup=False)
        return 2
    except KeyboardInterrupt:
        out.print("Stopped.", markup=False)
    return 0


def _forget(args: argparse.Namespace, settings: Settings, out: Console) -> int:
    user = console_user(args.user)
    if not args.yes:
        answer = input(f"Delete all interviews of {user.user_id}? This cannot be undone [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            out.print("Nothing deleted.", markup=False)
            return 0
    return asyncio.run(_forget_now(user, settings, out))


async def _forget_now(user: UserRef, settings: Settings, out: Console) -> int:
    async with build_engine(settings) as engine:
        report = await engine.store.forget_user(user.key)
    out.print(f"Deleted {report.sessions} interview(s) and {report.turns} answer(s).", markup=False)
    return 0


def _analyze(args: argparse.Namespace, settings: Settings, out: Console) -> int:
    job = from_path(args.file, limits=IntakeLimits.from_settings(settings))
    profile = analyse(job.text)
    if args.json:
        print(json.dumps(profile_json(profile), indent=2, ensure_ascii=False))
    else:
        for notice in job.notices:
            out.print(notice, markup=False)
        out.print(profile_summary(profile, 0).rsplit("\n", 1)[0], markup=False)
        if profile.responsibilities:
            out.print("Responsibilities:", markup=False)
            for item in profile.responsibilities:
                out.print(f"  - {item}", markup=False)
        for skill in profile.skills:
            out.print(
                f"  · {skill.name} [{skill.kind.value}, {skill.importance.value}] "
                f"“{skill.evidence}”",
                markup=False,
            )
    return 0


def _doctor(args: argparse.Namespace, settings: Settings, out: Console) -> int:
    """One table of what this installation would use, so a misconfiguration shows before an
    interview does. Exit 1 when an LLM is configured but does not answer (interviews would still
    run, on the offline engine)."""
    import sqlite3
    import time

    from bot.analysis import load_taxonomy
    from bot.llm import build_client, llm_configured
    from bot.llm.base import LLMError, RetryPolicy
    from bot.planning.bank import load_bank
    from bot.ports import ChatMessage
    from bot.store.sqlite import SCHEMA_VERSION

    rows: list[tuple[str, str, str]] = []
    code = 0
    if not llm_configured(settings):
        rows.append(("LLM", "offline", "no endpoint configured: rules, taxonomy and question bank"))
    else:

        async def probe() -> tuple[str, str]:
            try:
                client = build_client(settings)
            except ImportError as exc:
                return "not installed", f"install the llm extra ({exc})"
            client.retry = RetryPolicy(attempts=1)
            client.timeout_s = min(client.timeout_s, 10.0)
            where = f"{client.display_url} · model {client.model or '(server default)'}"
            started = time.perf_counter()
            try:
                result = await client.complete(
                    [ChatMessage("user", "Reply with: ok")], tag="doctor-probe", max_tokens=1
                )
            except LLMError as exc:
                return "NOT answering", f"{where} · {exc} · interviews fall back to offline"
            finally:
                await client.aclose()
            took = (time.perf_counter() - started) * 1000
            return "answering", (
                f"{client.display_url} · model {result.model} · 1-token probe {took:.0f} ms"
            )

        status, detail = asyncio.run(probe())
        code = 0 if status == "answering" else 1
        rows.append(("LLM", status, detail))
    from bot.speech.config import SpeechConfig
    from bot.speech.doctor import speech_rows

    rows.extend(speech_rows(SpeechConfig.from_settings(settings)))
    rows.append(("Code sandbox", *asyncio.run(_sandbox_status())))
    from bot.workqueue import http_status, queue_status

    rows.append(("Work queue", *asyncio.run(queue_status(settings))))
    rows.append(("HTTP server", *http_status(settings)))
    from bot.store import POSTGRES_SCHEMES, sqlite_path_from_url

    url = settings.database_url or ""
    path = sqlite_path_from_url(url) if url.startswith("sqlite:///") else settings.database_file
    if url.startswith(POSTGRES_SCHEMES):
        status, detail = asyncio.run(_postgres_status(url))
        rows.append(("Database", status, detail))
        code = code or (0 if status in ("ok", "not created yet") else 2)
        claims = "PostgreSQL advisory locks: sessions shared safely between processes"
    else:
        claims = "SQLite: one process (use DATABASE_URL=postgresql://… to run several)"
        if path.exists():
            try:
                with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                    version = int(db.execute("PRAGMA user_version").fetchone()[0])
                state = "ok" if version == SCHEMA_VERSION else "needs migration"
                detail = f"{path} · schema v{version} (this build: v{SCHEMA_VERSION})"
                rows.append(("Database", state, detail))
            except sqlite3.DatabaseError as exc:
                rows.append(("Database", "unreadable", f"{path} · {exc}"))
                code = 2
        else:
            detail = f"{path} · created at first interview (schema v{SCHEMA_VERSION})"
            rows.append(("Database", "not created yet", detail))
    rows.append(("Instance", settings.instance_name, f"session claims · {claims}"))
    if settings.shard_count is None:
        shards = ("auto", "the count Discord recommends, all in this process")
    else:
        ids = settings.shard_ids or tuple(range(settings.shard_count))
        shards = (
            f"{len(ids)} of {settings.shard_count}",
            f"this process opens shard(s) {', '.join(map(str, ids))} of {settings.shard_count}",
        )
    rows.append(("Discord shards", *shards))
    rows.append(("Question bank", "ok", f"{len(load_bank().questions)} questions"))
    rows.append(("Taxonomy", "ok", f"{len(load_taxonomy().entries)} skills"))
    widths = [max(len(r[i]) for r in [("component", "status", ""), *rows]) for i in range(2)]
    out.print(f"{'component':<{widths[0]}}  {'status':<{widths[1]}}  details", markup=False)
    out.print(f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * 40}", markup=False)
    for name, status, detail in rows:
        out.print(f"{name:<{widths[0]}}  {status:<{widths[1]}}  {detail}", markup=False)
    return code


async def _postgres_status(url: str) -> tuple[str, str]:
    """Reach the server and read the schema version without migrating anything (doctor only
    looks). The URL is shown without its password."""
    from bot.store import describe_url
    from bot.store.postgres import SCHEMA_VERSION, VERSION_TABLE

    name = describe_url(url)
    try:
        import psycopg
    except ImportError:
        return "driver missing", f"{name} · pip install 'interview-bot[postgres]'"
    try:
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=5)
        async with conn:
            cur = await conn.execute("SELECT to_regclass(%s) IS NOT NULL", (VERSION_TABLE,))
            row = await cur.fetchone()
            if not (row and row[0]):
                return "not created yet", f"{name} · created at start (schema v{SCHEMA_VERSION})"
            cur = await conn.execute(f"SELECT version FROM {VERSION_TABLE}")
            found = await cur.fetchone()
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return "unreachable", f"{name} · {first.replace(url, name)}"
    version = int(found[0]) if found else 0
    state = "ok" if version == SCHEMA_VERSION else "needs migration"
    return state, f"{name} · PostgreSQL · schema v{version} (this build: v{SCHEMA_VERSION})"


def _discord(settings: Settings, err: Console) -> int:
    """The Discord bot (adapters/discord): exit 2 with a clear message when it can't start."""
    try:
        from adapters.discord.config import DiscordConfig, DiscordConfigError
    except ImportError:
        err.print(
            "! The Discord bot needs discord.py: pip install 'interview-bot[discord]'",
            markup=False,
        )
        return 2
    try:
        config = DiscordConfig.from_env()
    except DiscordConfigError as exc:
        err.print(f"! {exc}", markup=False)
        return 2
    if not config.token:
        err.print(
            "! DISCORD_TOKEN is not set. Create an application at "
            "https://discord.com/developers/applications, add a bot, copy its token and run: "
            "DISCORD_TOKEN=... interview-bot discord (README: Discord).",
            markup=False,
        )
        return 2
    from adapters.discord.client import run_bot

    async def run() -> int:
        async with build_engine(settings) as engine:
            return await run_bot(engine, config, settings.default_length, settings)

    try:
        return asyncio.run(run())
    except KeyboardInterrupt:
        err.print(
            "\nDiscord bot stopped. Open interviews resume when it starts again.", markup=False
        )
        return 130


def _slack(args: argparse.Namespace, settings: Settings, err: Console) -> int:
    """The Slack app (adapters/slack): Socket Mode with SLACK_APP_TOKEN, else HTTP on --port;
    exit 2 with a clear message when it can't start."""
    import dataclasses

    try:
        from adapters.slack.app import run_slack
        from adapters.slack.config import SlackConfig, SlackConfigError
    except ImportError:
        err.print(
            "! The Slack app needs slack-bolt: pip install 'interview-bot[slack]'", markup=False
        )
        return 2
    try:
        config = SlackConfig.from_env()
    except SlackConfigError as exc:
        err.print(f"! {exc}", markup=False)
        return 2
    if args.port is not None:
        if not 0 < args.port < 65536:
            err.print(f"! --port {args.port} is not a TCP port (1-65535).", markup=False)
            return 2
        config = dataclasses.replace(config, port=args.port)
    missing = config.missing()
    if missing:
        err.print("! " + "\n! ".join(missing) + " (README: Slack)", markup=False)
        return 2

    async def run() -> int:
        async with build_engine(settings) as engine:
            return await run_slack(
                engine,
                config,
                default_length=settings.default_length,
                say=lambda text: err.print(text, markup=False),
                settings=settings,
            )

    try:
        return asyncio.run(run())
    except KeyboardInterrupt:
        err.print(
            "\nSlack app stopped. Open interviews continue when it starts again.", markup=False
        )
        return 130


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        settings = load_settings(config_file=args.config, database_path=args.db)
    except SettingsError as exc:
        err.print(str(exc), markup=False)
        return 2
    configure_logging(settings)
    command = args.command or "console"
    if args.command is None:
        args = _parser().parse_args([*(argv or []), "console"])
    try:
        if command == "analyze":
            return _analyze(args, settings, out)
        if command == "doctor":
            return _doctor(args, settings, out)
        if (code := _speech_command(args, settings, out)) is not None:
            return code
        if command in ("run-code", "judge"):
            return _sandbox_command(args, out)
        if command == "discord":
            return _discord(settings, err)
        if command == "slack":
            return _slack(args, settings, err)
        if command == "worker":
            from adapters.worker import run_worker_command

            return asyncio.run(run_worker_command(settings, lambda t: err.print(t, markup=False)))
        if command == "history":
            return asyncio.run(_history(args, settings, out))
        if command == "show":
            return asyncio.run(_show(args, settings, out, err))
        if command == "share":
            return asyncio.run(_share(args, settings, out, err))
        if command == "export":
            return asyncio.run(_export(args, settings, out, err))
        if command == "serve":
            return _serve(args, settings, out, err)
        if command == "forget":
            return _forget(args, settings, out)
        if command == "privacy":
            from bot.privacy import privacy_statement

            text = privacy_statement(settings, delete_hint="`interview-bot forget`")
            out.print(text.replace("**", ""), markup=False)
            return 0
        if command == "samples":
            for path in samples():
                out.print(path.stem, markup=False)
            return 0
        return asyncio.run(_console(args, settings, out))
    except IntakeError as exc:
        err.print(f"! {exc}", markup=False)
        return 1
    except StoreError as exc:
        err.print(f"! {exc}", markup=False)
        return 2
    except KeyboardInterrupt:
        err.print(
            "\nInterrupted. Your progress is saved; continue with: interview-bot console --resume",
            markup=False,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
