"""Plan quality on real postings (issue #5).

For every posting in ``../shared/data/jobs-skillspan/postings_dev.jsonl`` (analysed with
``bot.analysis.analyse``) and every plan length, measures:

  * required-skill hit rate: of the posting's required skills that have a technical question in
    the bank, the share that the plan's technical questions test. Reported raw, and bounded by
    capacity (a plan with four technical slots cannot test eleven skills, so the bounded figure
    divides by min(required-with-bank-entry, technical questions in the plan)): the bounded figure
    says whether the planner spends its technical slots on required skills first (target >= 90%);
  * repeats: across 100 generated plans (postings x seeds x lengths), questions repeated within a
    plan and themes (skill / competency / design / coding) tested twice (target: zero);
  * the mix: question types per plan, by engineering vs other families.

Usage: python bench/plan_quality.py [--postings PATH] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
from collections import Counter
from pathlib import Path

from bot.analysis import analyse
from bot.domain import Importance, JobProfile, PlanOptions, QuestionType
from bot.planning.bank import load_bank
from bot.planning.planner import Planner, is_engineering, themes

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTINGS = ROOT.parent / "shared" / "data" / "jobs-skillspan" / "postings_dev.jsonl"
LENGTHS = ("short", "standard", "long")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postings", type=Path, default=DEFAULT_POSTINGS)
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args()

    bank = load_bank()
    planner = Planner(bank)
    bank_skills = {s.casefold() for q in bank.of_type(QuestionType.TECHNICAL) for s in q.skills}
    profiles: list[JobProfile] = []
    with args.postings.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                profiles.append(analyse(json.loads(line)["text"]))

    result: dict[str, object] = {"postings": len(profiles), "python": platform.python_version()}
    print(f"postings: {len(profiles)}")
    for length in LENGTHS:
        wanted = hit = bounded_denominator = postings_with_required = full = complete = 0
        for n, profile in enumerate(profiles):
            required = {
                s.name.casefold()
                for s in profile.technical_skills
                if s.importance is Importance.REQUIRED and s.name.casefold() in bank_skills
            }
            if not required:
                continue
            postings_with_required += 1
            plan = planner.plan(profile, PlanOptions(length=length), random.Random(n))
            technical = [q for q in plan.questions if q.type is QuestionType.TECHNICAL]
            tested = {s.casefold() for q in technical for s in q.skills}
            hits = len(required & tested)
            wanted += len(required)
            hit += hits
            bound = min(len(required), len(technical))
            bounded_denominator += bound
            full += hits >= bound
            complete += hits == len(required)
        raw = hit / wanted if wanted else 0.0
        bounded = hit / bounded_denominator if bounded_denominator else 0.0
        result[length] = {
            "postings_with_required_bank_skills": postings_with_required,
            "required_with_bank_entry": wanted,
            "hit": hit,
            "raw_share": round(raw, 3),
            "capacity_bounded_share": round(bounded, 3),
            "plans_fully_on_required": full,
            "plans_hitting_every_required_skill": complete,
        }
        print(
            f"{length:>8}: required skills with a bank entry hit {hit}/{wanted} = {raw:.0%} raw; "
            f"{hit}/{bounded_denominator} = {bounded:.0%} of technical capacity "
            f"({full}/{postings_with_required} plans spend every technical slot on required skills; "
            f"{complete}/{postings_with_required} test every required skill)"
        )

    repeated_ids = repeated_themes = 0
    mix: dict[str, Counter[str]] = {"engineering": Counter(), "other": Counter()}
    plans = 0
    for n in range(100):
        profile = profiles[n % len(profiles)]
        length = LENGTHS[n % 3]
        coding = "yes" if n % 4 == 0 else "auto"
        plan = planner.plan(profile, PlanOptions(length=length, coding=coding), random.Random(n))
        plans += 1
        ids = [q.id for q in plan.questions]
        repeated_ids += len(ids) - len(set(ids))
        seen: Counter[str] = Counter()
        for question in plan.questions:
            seen.update(themes(question))
        repeated_themes += sum(c - 1 for c in seen.values() if c > 1)
        group = "engineering" if is_engineering(profile) else "other"
        mix[group].update(q.type.value for q in plan.questions)
    result["plans"] = plans
    result["repeated_questions"] = repeated_ids
    result["repeated_themes"] = repeated_themes
    result["mix"] = {k: dict(v) for k, v in mix.items()}
    print(f"{plans} plans: {repeated_ids} repeated questions, {repeated_themes} repeated themes")
    for group, counts in mix.items():
        total = sum(counts.values()) or 1
        shares = ", ".join(f"{k} {v / total:.0%}" for k, v in counts.most_common())
        print(f"  mix ({group}): {shares}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
