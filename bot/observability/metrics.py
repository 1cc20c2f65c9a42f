"""Prometheus metrics for the bot, in a registry of our own.

Why our own registry rather than prometheus_client's global one: a test (or a process embedding
the bot) sees exactly our metrics, and nothing a library registers by import leaks into
``/metrics``. Code that does work calls the small ``observe_*`` functions; it never touches
prometheus_client types, so the instrumented modules stay readable and the metric names live in
one place (the README's Operations section lists them).

``sessions_active`` is not tracked turn by turn (a second process or a restart would make a
running count wrong): it is counted from the store when ``/metrics`` is scraped, through the
optional :class:`SessionCounts` capability of a store, cached for a few seconds so a scrape
storm cannot load the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from functools import wraps
from typing import Any, Protocol, TypeVar, runtime_checkable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

log = logging.getLogger(__name__)

#: The text exposition format Prometheus scrapes (``/metrics`` answers with it).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
PREFIX = "interview_bot"

# Buckets in seconds. Turns include an LLM call (up to the turn deadline, 12 s by default);
# sandbox runs and speech recognition take from a fraction of a second to the wall limit.
TURN_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60)
WORK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120)


class Metrics:
    """Every metric the bot exports, registered in ``self.registry``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        r = self.registry
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        self.info = Gauge(
            f"{PREFIX}_info",
            "Always 1; labels name this process.",
            ["version", "instance"],
            registry=r,
        )
        self.sessions_active = Gauge(
            f"{PREFIX}_sessions_active",
            "Open interviews (briefing, asking, follow-up, paused) in the store, per platform.",
            ["platform"],
            registry=r,
        )
        self.turn_seconds = Histogram(
            f"{PREFIX}_turn_seconds",
            "Time the engine took to answer one event, by command.",
            ["command"],
            buckets=TURN_BUCKETS,
            registry=r,
        )
        self.llm_seconds = Histogram(
            f"{PREFIX}_llm_seconds",
            "LLM completion latency including retries, by outcome (ok/error).",
            ["outcome"],
            buckets=TURN_BUCKETS,
            registry=r,
        )
        self.stt_seconds = Histogram(
            f"{PREFIX}_stt_seconds",
            "Speech-to-text latency per recording, by outcome (ok/error).",
            ["outcome"],
            buckets=WORK_BUCKETS,
            registry=r,
        )
        self.sandbox_seconds = Histogram(
            f"{PREFIX}_sandbox_seconds",
            "Sandboxed program runs, by result status (ok, runtime_error, timeout, ..., error).",
            ["status"],
            buckets=WORK_BUCKETS,
            registry=r,
        )
        self.queue_seconds = Histogram(
            f"{PREFIX}_workqueue_seconds",
            "Jobs sent to the work queue, enqueue to result, by job and outcome.",
            ["job", "outcome"],
            buckets=WORK_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            f"{PREFIX}_errors",
            "Failures by component (turn, llm, stt, sandbox, workqueue, store) and kind.",
            ["component", "kind"],
            registry=r,
        )
        self._sessions_counted_at = 0.0

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def value(self, name: str, labels: Mapping[str, str] | None = None) -> float | None:
        """One sample's current value (tests and the doctor read metrics through this)."""
        return self.registry.get_sample_value(name, dict(labels or {}))


#: The process's metrics. Replace only in tests that need a clean slate (``use_metrics``).
METRICS = Metrics()


def metrics() -> Metrics:
    return METRICS


def use_metrics(replacement: Metrics) -> Metrics:
    """Swap the process's metrics (returns the previous ones, to restore)."""
    global METRICS
    previous, METRICS = METRICS, replacement
    return previous


def _outcome(ok: bool) -> str:
    return "ok" if ok else "error"


def set_info(version: str, instance: str) -> None:
    METRICS.info.clear()
    METRICS.info.labels(version=version, instance=instance).set(1)


def observe_turn(command: str, seconds: float, *, ok: bool = True) -> None:
    METRICS.turn_seconds.labels(command=command).observe(seconds)
    if not ok:
        METRICS.errors.labels(component="turn", kind=command).inc()


def observe_llm(seconds: float, ok: bool, *, kind: str = "") -> None:
    METRICS.llm_seconds.labels(outcome=_outcome(ok)).observe(seconds)
    if not ok:
        METRICS.errors.labels(component="llm", kind=kind or "error").inc()


def observe_stt(seconds: float, ok: bool, *, kind: str = "") -> None:
    METRICS.stt_seconds.labels(outcome=_outcome(ok)).observe(seconds)
    if not ok:
        METRICS.errors.labels(component="stt", kind=kind or "error").inc()


def observe_sandbox(seconds: float, status: str) -> None:
    """``status`` is the RunResult status, or ``error`` when the runner raised."""
    METRICS.sandbox_seconds.labels(status=status).observe(seconds)
    if status in ("error", "refused"):
        METRICS.errors.labels(component="sandbox", kind=status).inc()


def observe_queue(job: str, seconds: float, outcome: str) -> None:
    METRICS.queue_seconds.labels(job=job, outcome=outcome).observe(seconds)
    if outcome != "ok":
        METRICS.errors.labels(component="workqueue", kind=outcome).inc()


def count_error(component: str, kind: str) -> None:
    METRICS.errors.labels(component=component, kind=kind).inc()


def render_metrics() -> bytes:
    """The Prometheus text format (``CONTENT_TYPE``) of every metric."""
    return METRICS.render()


# ---------------------------------------------------------------------------- sessions
@runtime_checkable
class SessionCounts(Protocol):
    """The optional part of a store that counts open sessions per platform in one query."""

    async def count_open_sessions(self) -> dict[str, int]: ...


async def refresh_sessions_active(
    store: object, *, max_age_s: float = 10.0, timeout_s: float = 2.0
) -> bool:
    """Re-count ``sessions_active`` from ``store`` unless counted less than ``max_age_s`` ago.

    Returns false when the store cannot count (no capability, an error or a time-out: the gauge
    keeps its last values and ``errors{component="store"}`` goes up); never raises, because a
    scrape must answer even while the database is down.
    """
    if not isinstance(store, SessionCounts):
        return False
    now = time.monotonic()
    if now - METRICS._sessions_counted_at < max_age_s:
        return True
    try:
        counts = await asyncio.wait_for(store.count_open_sessions(), timeout_s)
    except Exception as exc:
        log.warning("counting open sessions failed: %s", exc)
        count_error("store", type(exc).__name__)
        return False
    METRICS._sessions_counted_at = now
    METRICS.sessions_active.clear()
    for platform, count in counts.items():
        METRICS.sessions_active.labels(platform=platform).set(count)
    return True


# ---------------------------------------------------------------------------- turn timing
_Handler = TypeVar("_Handler", bound=Callable[..., Awaitable[Any]])


def timed_turn(handle: _Handler) -> _Handler:
    """Decorates ``InterviewEngine.handle``: one ``turn_seconds`` sample per event, labelled by
    the command asked for (free text counts as ``answer``), and an error count when it raises."""

    @wraps(handle)
    async def timed(self: object, event: Any, *args: Any, **kwargs: Any) -> Any:
        command = getattr(event, "command", None)
        label = str(getattr(command, "value", command) or "answer")
        started = time.perf_counter()
        ok = False
        try:
            result = await handle(self, event, *args, **kwargs)
            ok = True
            return result
        finally:
            observe_turn(label, time.perf_counter() - started, ok=ok)

    return timed  # type: ignore[return-value]
