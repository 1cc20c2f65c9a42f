"""``interview-bot`` command line: the composition root that picks an adapter and runs it.

Contracts (documented in README and docs/JSON.md, kept stable):
  interview-bot console [--jd FILE | --sample NAME] [--answers FILE] [--json OUT] [--resume]
  interview-bot analyze FILE [--json]
Exit codes: 0 ok, 1 the interview could not start (bad input), 2 configuration or store error,
130 interrupted (progress saved).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from rich.console import Console

from adapters.console import ConsoleAdapter, console_user, samples, split_answers, write_json
from bot.analysis import analyse
from bot.app import build_engine, configure_logging
from bot.events import Command, IncomingEvent, ReplyKind
from bot.intake import IntakeError, from_path
from bot.render import profile_summary
from bot.report import profile_json
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
    return parser


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
    async with build_engine(settings) as engine:
        adapter = ConsoleAdapter(engine, console_user(args.user), out)
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
            code = await adapter.run_interactive(sys.stdin, options, resume=True)
        else:
            code = await adapter.run_interactive(sys.stdin, options, args.resume)
        if args.json_out:
            record = await adapter.latest()
            if record is not None:
                write_json(record, args.json_out)
        return code


def _analyze(args: argparse.Namespace, settings: Settings, out: Console) -> int:
    job = from_path(args.file, max_bytes=settings.max_jd_bytes, max_chars=settings.max_jd_chars)
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
