"""Exporting one session to a file the candidate can send someone: Markdown or PDF (issue 11).

``export_session`` is the one entry point for every adapter: it applies the access rule (the
candidate and the people they let in; ``bot.access``) before rendering anything, and renders
off the event loop (the PDF and its chart are CPU work).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.access import viewable_session
from bot.ports import Store
from bot.progress import session_markdown

FORMATS = ("md", "pdf")
MEDIA_TYPES = {"md": "text/markdown; charset=utf-8", "pdf": "application/pdf"}


@dataclass(frozen=True, slots=True)
class Export:
    filename: str  # interview-<session id>.<format>: safe on every platform
    media_type: str
    data: bytes


async def export_session(store: Store, session_ref: str, user_key: str, fmt: str) -> Export:
    """Session ``session_ref`` (an id or unique prefix) as ``fmt`` ("md" or "pdf") for
    ``user_key``. Raises ``bot.access.AccessDenied`` (message safe to show) when that user may
    not view it, with the same message whether or not it exists; ``ValueError`` for a format not
    in ``FORMATS``."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}: use {' or '.join(FORMATS)}.")
    record = await viewable_session(store, session_ref, user_key)
    if fmt == "md":
        data = session_markdown(record).encode("utf-8")
    else:
        from bot.export.pdf import session_pdf

        data = await asyncio.to_thread(session_pdf, record)
    return Export(f"interview-{record.id}.{fmt}", MEDIA_TYPES[fmt], data)
