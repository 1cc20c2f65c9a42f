"""Does the offline grader agree with people? (issue #5)

Scores the team-written answers in ``bench/data/graded_answers.toml`` (each written at a known
quality level: 1 weak, 2 medium, 3 strong) with the offline grader and reports:

  * Spearman rank correlation between engine scores and intended levels (target >= 0.7);
  * ordering accuracy: strong scores strictly above weak for the same question (target >= 95%),
    plus strong > medium and medium > weak as the harder, informative pairs;
  * the score spread per level, and any inverted pair, so a regression is easy to read.

Spearman is implemented here (average ranks for ties, then Pearson on the ranks) because scipy is
not a dependency. Usage: python bench/grading_agreement.py [--json OUT] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import tomllib
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from bot.evaluation.scoring import evaluate
from bot.planning.bank import load_bank

DATA = Path(__file__).resolve().parent / "data" / "graded_answers.toml"
LEVEL_NAMES = {1: "weak", 2: "medium", 3: "strong"}


def average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks; tied values share the mean of the ranks they span."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        shared = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[order[k]] = shared
        i = j + 1
    return ranks


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    vx = sum((x - mx) ** 2 for x in xs)
    vy = sum((y - my) ** 2 for y in ys)
    return cov / math.sqrt(vx * vy) if vx and vy else 0.0


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    return pearson(average_ranks(xs), average_ranks(ys))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    parser.add_argument("--verbose", action="store_true", help="print every score")
    args = parser.parse_args()

    bank = load_bank()
    items = tomllib.loads(DATA.read_text(encoding="utf-8"))["answers"]
    levels: list[float] = []
    scores: list[float] = []
    by_question: dict[str, dict[int, float]] = defaultdict(dict)
    by_level: dict[int, list[float]] = defaultdict(list)
    types: set[str] = set()
    for item in items:
        question = bank.get(item["question"])
        if question is None:
            raise SystemExit(f"unknown question id in {DATA.name}: {item['question']}")
        types.add(question.type.value)
        evaluation = evaluate(question, item["text"])
        score = evaluation.score if evaluation.score is not None else 1.0
        levels.append(item["level"])
        scores.append(score)
        by_question[question.id][item["level"]] = score
        by_level[item["level"]].append(score)
        if args.verbose:
            print(f"{LEVEL_NAMES[item['level']]:>6} {score:.1f}  {question.id}")

    def pair_accuracy(high: int, low: int) -> tuple[int, int, list[str]]:
        ok, total, misses = 0, 0, []
        for qid, s in sorted(by_question.items()):
            if high in s and low in s:
                total += 1
                if s[high] > s[low]:
                    ok += 1
                else:
                    misses.append(f"{qid}: {LEVEL_NAMES[high]} {s[high]} <= {s[low]}")
        return ok, total, misses

    rho = spearman(scores, levels)
    result: dict[str, object] = {
        "answers": len(items),
        "questions": len(by_question),
        "question_types": sorted(types),
        "spearman": round(rho, 3),
        "python": platform.python_version(),
    }
    print(f"answers: {len(items)} over {len(by_question)} questions ({', '.join(sorted(types))})")
    print(f"Spearman rho (score vs intended level): {rho:.3f}  (target >= 0.7)")
    for high, low in ((3, 1), (3, 2), (2, 1)):
        ok, total, misses = pair_accuracy(high, low)
        share = ok / total if total else 0.0
        name = f"{LEVEL_NAMES[high]}>{LEVEL_NAMES[low]}"
        result[name] = {"ok": ok, "total": total, "share": round(share, 3), "misses": misses}
        target = "  (target >= 95%)" if (high, low) == (3, 1) else ""
        print(f"ordering {name}: {ok}/{total} = {share:.0%}{target}")
        for miss in misses:
            print(f"    {miss}")
    for level in sorted(by_level):
        values = by_level[level]
        print(
            f"{LEVEL_NAMES[level]:>6}: mean {statistics.fmean(values):.2f}, "
            f"min {min(values):.1f}, max {max(values):.1f}"
        )
        result[f"mean_{LEVEL_NAMES[level]}"] = round(statistics.fmean(values), 2)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
