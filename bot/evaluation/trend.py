"""Mastery over time as a PNG line chart: one line per competency or skill (issue 11).

Same approach as ``bot.evaluation.chart`` and for the same reasons: matplotlib imported inside the
function, the object API on an Agg canvas (headless, no global state, no leaked figures), and no
timestamp or software tag in the PNG, so the same history gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.progress import Series

MAX_LINES = 8  # more lines than this is unreadable; callers pass the areas that matter most


def trend_chart(series: Sequence[Series], *, title: str = "Progress") -> bytes | None:
    """Scores (1-5) per session date, one line per area, as PNG; None with nothing to draw.

    The x axis is the sequence of session dates (evenly spaced, labelled by date) rather than a
    time scale: practice comes in bursts, and a true time axis would squash a week of sessions
    into one point next to a months-long gap.
    """
    drawn = [s for s in series if s.points][:MAX_LINES]
    if not drawn:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    times = sorted({t for s in drawn for t, _ in s.points})
    position = {t: i for i, t in enumerate(times)}
    figure = Figure(figsize=(8.0, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for item in drawn:
        xs = [position[t] for t, _ in item.points]
        ys = [score for _, score in item.points]
        axes.plot(xs, ys, marker="o", linewidth=1.5, markersize=4, label=item.label)
    labels = [datetime.fromtimestamp(t, UTC).strftime("%m-%d") for t in times]
    axes.set_xticks(range(len(times)), labels, fontsize=8, rotation=45 if len(times) > 8 else 0)
    axes.set_xlim(-0.5, max(len(times) - 0.5, 0.5))
    axes.set_ylim(0.8, 5.2)
    axes.set_yticks([1, 2, 3, 4, 5])
    axes.axhline(3.0, color="#888888", linewidth=0.8, linestyle="--")
    axes.grid(axis="y", color="#eeeeee")
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_title(title, fontsize=11, loc="left")
    axes.set_ylabel("score (1 weak · 3 adequate · 5 strong)", fontsize=9)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
