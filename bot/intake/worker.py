"""Run a document parser in a child process that can be killed at a deadline.

Why a fresh ``python -m bot.intake.child`` per file rather than the alternatives:

* a thread cannot be stopped, so a parser stuck in a hostile PDF would keep a core busy forever;
* ``ProcessPoolExecutor`` cannot cancel a call that has started, and killing one of its workers
  breaks the whole pool;
* ``multiprocessing`` with fork is unsafe in a process that already runs threads (the event
  loop's executor, aiosqlite), and its spawn/forkserver modes re-import the caller's
  ``__main__`` in every child;
* a cooperative budget would need checkpoints inside pypdf, python-docx and BeautifulSoup.

A subprocess has none of those problems and costs roughly 0.15-0.3 s of interpreter start and
imports, which is small next to reading a document. The child also caps its own address space
and CPU time, so a decompression bomb inside a PDF stream dies there rather than here.

Protocol: one JSON header line, then the raw bytes, on stdin; one JSON object on stdout.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.intake.errors import IntakeError
from bot.intake.extract import Extracted, extract_docx, extract_html, extract_pdf, extract_rtf

log = logging.getLogger(__name__)

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_LABELS = {"pdf": "PDF", "docx": "Word document", "html": "HTML page", "rtf": "RTF document"}


_PASSED_ENV = frozenset({"PATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "HOME", "VIRTUAL_ENV"})


def extract(kind: str, source: str, data: bytes, *, max_pages: int, max_chars: int) -> Extracted:
    """The parser itself, in whatever process calls it; raises only ``IntakeError``."""
    try:
        if kind == "pdf":
            result = extract_pdf(source, data, max_pages)
        elif kind == "docx":
            result = extract_docx(source, data)
        elif kind == "html":
            result = extract_html(data.decode("utf-8", errors="replace"))
        elif kind == "rtf":
            result = extract_rtf(data.decode("latin-1"))
        else:
            raise IntakeError(f"{source}: no reader for {kind!r} files.")
    except IntakeError:
        raise
    except (MemoryError, RecursionError) as exc:
        raise IntakeError(
            f"{source}: this {_LABELS.get(kind, kind)} is too large or too deeply nested to "
            "read. Paste the text instead."
        ) from exc
    except Exception as exc:
        raise IntakeError(
            f"{source}: I could not read this {_LABELS.get(kind, kind)} (it looks damaged). "
            "Paste the text instead."
        ) from exc
    # Extracted text far beyond the character limit cannot pass it after normalisation either;
    # refusing here keeps a decompressed monster off the pipe.
    if len(result.text) > 8 * max_chars + 10_000:
        raise IntakeError(
            f"{source} contains over {len(result.text):,} characters of text; the limit is "
            f"{max_chars:,}. Paste just the role's description, responsibilities and requirements."
        )
    return result


def run_isolated(
    kind: str, source: str, data: bytes, *, max_pages: int, max_chars: int, timeout_s: float
) -> Extracted:
    """``extract`` in a child process, killed after ``timeout_s`` seconds."""
    header = json.dumps(
        {
            "kind": kind,
            "source": source,
            "max_pages": max_pages,
            "max_chars": max_chars,
            "timeout_s": timeout_s,
        }
    ).encode()
    # The parser reads hostile files: it gets no tokens or keys from the bot's environment.
    env = {k: v for k, v in os.environ.items() if k in _PASSED_ENV}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (_PACKAGE_ROOT, os.environ.get("PYTHONPATH")) if p
    )
    env["PYTHONIOENCODING"] = "utf-8"
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.intake.child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
    except OSError:
        # No way to start a process (a locked-down sandbox): read in-process rather than lose
        # every document format; the size limits still bound the work.
        log.warning("cannot start the intake worker; parsing %s in-process", kind, exc_info=True)
        return extract(kind, source, data, max_pages=max_pages, max_chars=max_chars)
    try:
        out, err = process.communicate(header + b"\n" + data, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise IntakeError(
            f"{source}: reading this {_LABELS.get(kind, kind)} took longer than {timeout_s:g} s, "
            "so I stopped. It may be very large or malformed; open it and paste the text instead."
        ) from None
    reply = _parse_reply(out)
    if reply is None:
        log.warning(
            "intake worker for %s exited with %s: %s",
            kind,
            process.returncode,
            err.decode("utf-8", "replace")[-2000:],
        )
        raise IntakeError(
            f"{source}: the {_LABELS.get(kind, kind)} reader failed on this file (it may be "
            "damaged or too complex). Open it and paste the text instead."
        )
    if "error" in reply:
        raise IntakeError(str(reply["error"]))
    return Extracted(str(reply["text"]), tuple(str(n) for n in reply.get("notices", ())))


def _parse_reply(out: bytes) -> dict[str, Any] | None:
    try:
        reply = json.loads(out.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(reply, dict) or not ("error" in reply or "text" in reply):
        return None
    return reply
