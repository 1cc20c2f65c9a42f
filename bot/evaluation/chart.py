"""The recap's competency chart as PNG bytes, for adapters that can attach files.

matplotlib is imported inside the function: the engine imports this package on every turn, and a
chart is drawn once per interview, so nobody should pay matplotlib's import time per turn. We use
the object API with the Agg canvas directly (no pyplot, no global backend switch), which works
headless, is safe inside a host application that set its own backend, and leaks no figures.

Deterministic: same recap, same bytes (no timestamps or software tag in the PNG metadata), so the
chart can be cached, compared in tests and replayed with a transcript.
"""

from __future__ import annotations

import io
import textwrap

from bot.domain import Recap

# Colour by band, matching the recap's anchors: weak (< 2.5), adequate (< 4), strong.
_BANDS = ((2.5, "#d9534f"), (4.0, "#f0ad4e"), (5.1, "#5cb85c"))
_UNSCORED = "#bbbbbb"


def _colour(score: float | None) -> str:
    if score is None:
        return _UNSCORED
    return next(colour for limit, colour in _BANDS if score < limit)


def competency_chart(recap: Recap, *, title: str = "Interview recap") -> bytes | None:
    """A horizontal bar chart of competency scores (1-5) as PNG, or None with nothing to draw.

    A bar chart rather than a radar: it reads correctly with one or two competencies, labels stay
    legible, and bar length is easier to compare than radar area.
    """
    items = list(recap.competencies)
    if not items:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    height = 1.2 + 0.45 * len(items)
    figure = Figure(figsize=(7.0, height), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = ["\n".join(textwrap.wrap(c.name, 24)) for c in items]
    values = [c.score if c.score is not None else 0.0 for c in items]
    positions = list(range(len(items)))[::-1]
    axes.barh(positions, values, color=[_colour(c.score) for c in items], height=0.6)
    for position, item in zip(positions, items, strict=True):
        text = "not answered" if item.score is None else f"{item.score:.1f}"
        axes.text(
            (item.score or 0.0) + 0.05, position, text, va="center", fontsize=9, color="#333333"
        )
    axes.set_yticks(positions, labels, fontsize=9)
    axes.set_xlim(0, 5.6)
    axes.set_xticks([1, 2, 3, 4, 5])
    axes.axvline(3.0, color="#888888", linewidth=0.8, linestyle="--")
    axes.grid(axis="x", color="#eeeeee")
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    overall = "n/a" if recap.overall is None else f"{recap.overall:.1f}/5"
    axes.set_title(f"{title} — overall {overall}", fontsize=11, loc="left")
    axes.set_xlabel("score (1 weak · 3 adequate · 5 strong)", fontsize=9)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
