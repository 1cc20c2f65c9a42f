"""Operations (issue 12): Prometheus metrics and structured logs, with no adapter imports.

The HTTP server that exposes ``/metrics`` and ``/healthz`` is an adapter
(``adapters/web/server.py``); this package only records and renders.
"""

from __future__ import annotations

from bot.observability.logs import (
    JsonFormatter,
    SecretScrubber,
    TextFormatter,
    configure_logging,
    settings_secrets,
)
from bot.observability.metrics import (
    CONTENT_TYPE,
    Metrics,
    SessionCounts,
    count_error,
    metrics,
    observe_llm,
    observe_queue,
    observe_sandbox,
    observe_stt,
    observe_turn,
    refresh_sessions_active,
    render_metrics,
    set_info,
    timed_turn,
    use_metrics,
)

__all__ = [
    "CONTENT_TYPE",
    "JsonFormatter",
    "Metrics",
    "SecretScrubber",
    "SessionCounts",
    "TextFormatter",
    "configure_logging",
    "count_error",
    "metrics",
    "observe_llm",
    "observe_queue",
    "observe_sandbox",
    "observe_stt",
    "observe_turn",
    "refresh_sessions_active",
    "render_metrics",
    "set_info",
    "settings_secrets",
    "timed_turn",
    "use_metrics",
]
