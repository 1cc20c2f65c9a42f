"""The bot's own HTTP server (aiohttp): ``/healthz``, ``/metrics``, and whatever routes the
running adapter mounts on it (Slack's event endpoint, share pages).

Why one server: an operator opens one port per process and points the load balancer's health
check, Prometheus and Slack's Request URL at it. Route installers (``Callable[[Application],
None]``) keep this module ignorant of Slack and of the share pages; each adapter passes its own.

``/healthz`` answers 200 ``{"status": "ok"}`` when the store answers a cheap query within
``HEALTH_TIMEOUT_S``, else 503 ``{"status": "degraded"}`` naming the failing check, so an
orchestrator stops routing to (or restarts) a process whose database is gone. The error text of a
failing check is logged, never sent: this port also serves share pages, so it is often public,
and a driver's message names database hosts and users.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from bot.observability import CONTENT_TYPE, refresh_sessions_active, render_metrics, set_info
from bot.ports import Store
from bot.settings import Settings

log = logging.getLogger(__name__)

RouteInstaller = Callable[[web.Application], None]
# A named extra health check (a worker's Redis): (healthy, detail), bounded by HEALTH_TIMEOUT_S.
HealthCheck = Callable[[], Awaitable[tuple[bool, str]]]
HEALTH_TIMEOUT_S = 2.0
# A session id no session ever has: the probe is an indexed lookup that finds nothing.
_PROBE_ID = "healthz-probe"

SETTINGS_KEY = web.AppKey("settings", Settings)
STORE_KEY = web.AppKey("store", object)
CHECKS_KEY = web.AppKey("checks", dict)
STARTED_KEY = web.AppKey("started", float)


def _version() -> str:
    try:
        return importlib.metadata.version("interview-bot")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


async def check_store(store: Store | None, timeout_s: float = HEALTH_TIMEOUT_S) -> tuple[bool, str]:
    """(reachable, detail). ``None`` (a process without a store, such as a worker) is fine."""
    if store is None:
        return True, "not used by this process"
    started = time.perf_counter()
    try:
        await asyncio.wait_for(store.load_session(_PROBE_ID), timeout_s)
    except TimeoutError:
        return False, f"no answer within {timeout_s:g} s"
    except Exception as exc:
        log.warning("health check: the store failed: %s: %s", type(exc).__name__, exc)
        return False, f"{type(exc).__name__} (details in this process's log)"
    return True, f"answered in {(time.perf_counter() - started) * 1000:.0f} ms"


async def healthz(request: web.Request) -> web.Response:
    app = request.app
    settings = app[SETTINGS_KEY]
    store: Any = app[STORE_KEY]
    ok, detail = await check_store(store)
    checks = {"store": {"ok": ok, "detail": detail}}
    for name, check in app[CHECKS_KEY].items():
        try:
            passed, about = await asyncio.wait_for(check(), HEALTH_TIMEOUT_S)
        except TimeoutError:
            passed, about = False, f"no answer within {HEALTH_TIMEOUT_S:g} s"
        except Exception as exc:
            passed, about = False, f"{type(exc).__name__}: {exc}"
        if not passed:
            # The reason can name hosts, users and ports: the log gets it, the response does not.
            log.warning("health check %s failed: %s", name, about)
            about = "failing (details in this process's log)"
        checks[name] = {"ok": passed, "detail": about}
        ok = ok and passed
    body = {
        "status": "ok" if ok else "degraded",
        "checks": checks,
        "instance": settings.instance_name,
        "version": _version(),
        "uptime_s": round(time.monotonic() - app[STARTED_KEY], 1),
    }
    return web.json_response(body, status=200 if ok else 503)


async def metrics(request: web.Request) -> web.Response:
    await refresh_sessions_active(request.app[STORE_KEY])
    response = web.Response(body=render_metrics())
    # Set the header whole: aiohttp's content_type= would drop the ``version=0.0.4`` parameter.
    response.headers["Content-Type"] = CONTENT_TYPE
    return response


def build_app(
    settings: Settings,
    store: Store | None,
    *,
    routes: Iterable[RouteInstaller] = (),
    checks: Mapping[str, HealthCheck] | None = None,
) -> web.Application:
    """``/healthz`` (the store plus ``checks``) and ``/metrics``, then each installer's routes."""
    app = web.Application()
    app[SETTINGS_KEY] = settings
    app[STORE_KEY] = store
    app[CHECKS_KEY] = dict(checks or {})
    app[STARTED_KEY] = time.monotonic()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    for install in routes:
        install(app)
    set_info(_version(), settings.instance_name)
    return app


def slack_routes(bolt_app: Any, path: str) -> RouteInstaller:
    """Slack's Events/Interactivity endpoint on this server: POST ``path`` goes to bolt's
    dispatcher (signature and timestamp are checked by bolt, as in its own web app)."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

    async def handle(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        bolt_response = await bolt_app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    def install(app: web.Application) -> None:
        app.router.add_post(path, handle)

    return install


def default_routes(settings: Settings, store: Store | None) -> list[RouteInstaller]:
    """Routes every chat process serves besides health and metrics: the share pages (issue 11),
    which need the store (a worker has none and serves only health and metrics)."""
    if store is None:
        return []
    from adapters.web.share_routes import share_routes

    return [share_routes(store, settings)]


class HttpServer:
    """The server bound to ``host:port`` (port 0 picks a free one; ``port`` says which)."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        for address in runner.addresses:
            if isinstance(address, tuple) and len(address) >= 2:
                self.port = int(address[1])
                break
        log.info("HTTP server listening on %s (/healthz, /metrics)", self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> HttpServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


@asynccontextmanager
async def http_server(
    settings: Settings,
    store: Store | None,
    *,
    routes: Sequence[RouteInstaller] | None = None,
    checks: Mapping[str, HealthCheck] | None = None,
) -> AsyncIterator[HttpServer | None]:
    """The server when ``settings.http_port`` is set (else ``None``: nothing listens).

    ``routes=None`` means :func:`default_routes`; pass a list to choose exactly.
    """
    if settings.http_port is None:
        yield None
        return
    chosen = default_routes(settings, store) if routes is None else list(routes)
    server = HttpServer(
        build_app(settings, store, routes=chosen, checks=checks),
        settings.http_host,
        settings.http_port,
    )
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@asynccontextmanager
async def chat_http_server(
    settings: Settings | None, store: Store | None, *, extra: Sequence[RouteInstaller] = ()
) -> AsyncIterator[HttpServer | None]:
    """What a chat runner (Discord, Slack) wraps itself in: nothing without settings or
    ``HTTP_PORT``; otherwise health, metrics, the default routes and ``extra`` (Slack's events)."""
    if settings is None or settings.http_port is None:
        yield None
        return
    async with http_server(settings, store, routes=[*default_routes(settings, store), *extra]) as s:
        if s is not None:
            log.warning("HTTP server on %s: /healthz, /metrics", s.url)
        yield s
