"""Entry point of the intake worker process (``python -m bot.intake.child``).

Kept apart from ``worker.py`` so the package import that precedes ``-m`` never loads this module
a second time as ``__main__``. The child caps its own memory and CPU before parsing anything.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from bot.intake.errors import IntakeError
from bot.intake.worker import extract

WORKER_MEMORY_BYTES = 1024 * 1024 * 1024


def _limit_resources(timeout_s: float) -> None:
    try:
        import resource
    except ImportError:  # not POSIX
        return
    for limit, value in (
        (resource.RLIMIT_AS, WORKER_MEMORY_BYTES),
        (resource.RLIMIT_CPU, int(timeout_s) + 5),
    ):
        try:
            _soft, hard = resource.getrlimit(limit)
            if hard == resource.RLIM_INFINITY or value < hard:
                resource.setrlimit(limit, (value, hard))
        except (ValueError, OSError):
            pass


def main() -> int:
    stream = sys.stdin.buffer
    header = json.loads(stream.readline())
    data = stream.read()
    _limit_resources(float(header.get("timeout_s", 60)))
    try:
        result = extract(
            str(header["kind"]),
            str(header["source"]),
            data,
            max_pages=int(header["max_pages"]),
            max_chars=int(header["max_chars"]),
        )
        reply: dict[str, Any] = {"text": result.text, "notices": list(result.notices)}
    except IntakeError as exc:
        reply = {"error": str(exc)}
    sys.stdout.buffer.write(json.dumps(reply).encode("ascii"))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
