"""The recap chart: a real PNG, the same bytes every time, and no matplotlib cost per turn."""

from __future__ import annotations

import subprocess
import sys

from bot.domain import CompetencyScore, Recap
from bot.evaluation.chart import competency_chart

RECAP = Recap(
    overall=3.3,
    competencies=(
        CompetencyScore(name="Python", score=4.5),
        CompetencyScore(name="Conflict Resolution", score=2.0),
        CompetencyScore(name="System Design", score=None),
    ),
    strengths=(),
    improvements=(),
)


def test_chart_is_a_deterministic_png() -> None:
    first = competency_chart(RECAP)
    assert first is not None and first.startswith(b"\x89PNG\r\n\x1a\n")
    assert competency_chart(RECAP) == first
    other = RECAP.model_copy(update={"overall": 2.0})
    assert competency_chart(other) != first


def test_no_competencies_no_chart() -> None:
    assert (
        competency_chart(Recap(overall=None, competencies=(), strengths=(), improvements=()))
        is None
    )


def test_engine_import_does_not_load_matplotlib() -> None:
    code = (
        "import sys, bot.engine, bot.brain, bot.evaluation.chart; "
        "sys.exit(1 if 'matplotlib' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
