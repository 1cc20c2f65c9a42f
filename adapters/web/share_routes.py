"""``GET /s/{token}``: the page a share link opens, on the bot's own HTTP server (aiohttp).

Translation only: the token goes to ``bot.share.resolve_share_link``, the page comes from
``bot.web.share_page``. Status codes tell a link that can never work (403: tampered, unknown)
from one that used to (410: expired, revoked). The headers make the page inert whatever it
contains: no scripts, connections, frames or outside resources (CSP), no Referer leaking the
token to anyone, no MIME sniffing, and no caching (a revoked link must stop working at once, not
when a proxy's copy expires).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from aiohttp import web

from bot.ports import Store
from bot.settings import Settings
from bot.share import ShareRefused, resolve_share_link
from bot.web.share_page import refusal_page, session_page

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}
# Rendered pages kept (about 25 KiB each): a mentor reloading a page should not redraw the chart.
PAGE_CACHE_SIZE = 64
# ...but not for long: after ``forget`` or retention the transcript must leave this process's
# memory too, not wait for 64 other pages to push it out. Pruned on every request.
PAGE_CACHE_TTL_S = 600.0
STATUS = {"tampered": 403, "unknown": 403, "expired": 410, "revoked": 410}


def _html(text: str, status: int) -> web.Response:
    return web.Response(
        text=text, status=status, content_type="text/html", charset="utf-8",
        headers=SECURITY_HEADERS,
    )  # fmt: skip


def share_routes(
    store: Store, settings: Settings, *, clock: Callable[[], float] = time.time
) -> Callable[[web.Application], None]:
    """An installer for ``build_app(routes=...)``: adds ``GET /s/{token}`` (HEAD too)."""

    # key -> (page, last served); oldest use first.
    pages: OrderedDict[tuple[str, float, float], tuple[str, float]] = OrderedDict()

    async def page(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        now = clock()
        while pages and next(iter(pages.values()))[1] < now - PAGE_CACHE_TTL_S:
            pages.popitem(last=False)
        try:
            link, record = await resolve_share_link(store, settings, token, now=now)
        except ShareRefused as refused:
            # The reason only: a token is a credential and never goes into the logs.
            log.info("share link refused: %s", refused.reason)
            return _html(refusal_page(refused.reason), STATUS[refused.reason])
        # The link was checked above on every request (so revoking works at once); only the
        # rendering is cached, per session version and link expiry.
        key = (record.id, record.updated_at, link.expires_at)
        cached = pages.get(key)
        if cached is None:
            # Drawing the chart is CPU work (matplotlib, ~0.2 s): keep it off the event loop.
            text = await asyncio.to_thread(session_page, record, expires_at=link.expires_at)
            while len(pages) >= PAGE_CACHE_SIZE:
                pages.popitem(last=False)
        else:
            text = cached[0]
            pages.move_to_end(key)
        pages[key] = (text, now)
        return _html(text, 200)

    def install(app: web.Application) -> None:
        app.router.add_get("/s/{token}", page)

    install.pages = pages  # type: ignore[attr-defined]  # for tests: what this process still holds
    return install
