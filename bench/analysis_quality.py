"""JD analysis quality and speed against hand-labelled real postings (issue #4).

Scores the offline analyser (``bot.analysis.analyse``) on SkillSpan postings
(``../shared/data/jobs-skillspan/postings_{train,dev}.jsonl``; train is for development, dev is
only reported) against the gold ``knowledge`` spans and, separately, the gold ``skills`` spans,
per source (``tech`` / ``house``) and overall, next to a naive baseline measured in the same run.

Why a loose match: the gold spans are free-text phrases ("A degree in Computer Science",
"Java or Kotlin") while the analyser emits skill names with evidence ("Computer Science",
"Java"); demanding identical boundaries would score boundary conventions, not whether the right
thing was found.

Match rule (the same for both gold kinds):
  * normalise a span: lowercase, every non-alphanumeric character except "+" and "#" becomes a
    space (so "C++" and "C#" stay distinct from "C"), split on whitespace, drop stopwords.
    Stopwords are English function words plus job-ad filler that names no skill on its own
    ("experience", "knowledge", "skills", "strong", "good", "ability", "years"...), see
    ``STOPWORDS``; otherwise a prediction "communication skills" would match every gold span
    that ends in "skills";
  * a predicted skill matches a gold span if their content-token sets share at least one token.
    A prediction is tested with the tokens of its evidence (the exact posting text) and of its
    canonical name, so "k8s" -> "Kubernetes" matches a gold "Kubernetes" span too;
  * gold spans are deduplicated per posting by their content-token set ("docker" in the tags
    and "Docker" in the text count once); spans with no content token are dropped;
  * predictions are deduplicated per posting by their content-token set as well;
  * recall = gold spans matched by >= 1 prediction / gold spans; precision = predictions that
    match >= 1 gold span / predictions. Counts are summed over postings (micro average).
  * every skill the analyser emits counts as a prediction, soft skills and all importances
    included, because each one can drive an interview question.
A stricter figure is printed too ("exact"): normalised token sets equal.

Baseline: every name, alias and cased form in ``data/taxonomy/skills.json`` looked up in the
text case-insensitively, longest match first, no context rules, no sections, no phrases.

Speed: p50/p95 of ``analyse`` over postings padded/cut to ~5 kB after a warm-up, the time to
load the taxonomy in a fresh interpreter, and that interpreter's peak RSS after the load.

Usage: python bench/analysis_quality.py [--split dev|train] [--json OUT] [--no-speed]
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data" / "jobs-skillspan"

_STOPWORD_TEXT = """
    a an the and or nor of in on at to for from by with without as into onto about over under
    via per than then this that these those it its is are be been being was were will would can
    could should shall may might must do does did has have had having not no any all some such
    other others etc e g i ie eg vs our your their his her we you they he she us them who whom
    which what when where how why also well very more most less least both either each every
    one two three four five six seven eight nine ten plus within across using use used
    experience experienced knowledge skill skills ability abilities able strong good solid
    excellent great proven demonstrated understanding familiarity familiar proficiency
    proficient expertise expert years year least related relevant similar equivalent field
    fields area areas work working basic advanced deep
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_SPLIT_RE = re.compile(r"[^0-9a-z+#]+")


def content_tokens(span: str) -> frozenset[str]:
    """The normalised content tokens of a span (see the module docstring)."""
    return frozenset(t for t in _SPLIT_RE.split(span.casefold()) if t and t not in STOPWORDS)


@dataclass
class Score:
    gold: int = 0
    gold_hit: int = 0
    pred: int = 0
    pred_hit: int = 0
    gold_exact: int = 0
    pred_exact: int = 0

    def add(self, other: Score) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def recall(self) -> float:
        return self.gold_hit / self.gold if self.gold else 0.0

    @property
    def precision(self) -> float:
        return self.pred_hit / self.pred if self.pred else 0.0

    @property
    def recall_exact(self) -> float:
        return self.gold_exact / self.gold if self.gold else 0.0

    @property
    def precision_exact(self) -> float:
        return self.pred_exact / self.pred if self.pred else 0.0


def score_posting(predictions: Iterable[Iterable[str]], gold_spans: Iterable[str]) -> Score:
    """One posting: each prediction is a group of strings (evidence, name) tested together."""
    gold = {toks for span in gold_spans if (toks := content_tokens(span))}
    preds: dict[frozenset[str], list[frozenset[str]]] = {}
    for group in predictions:
        sets = [toks for s in group if (toks := content_tokens(s))]
        if sets:
            preds.setdefault(sets[0], sets)
    s = Score(gold=len(gold), pred=len(preds))
    for g in gold:
        if any(g & p for sets in preds.values() for p in sets):
            s.gold_hit += 1
        if any(g == p for sets in preds.values() for p in sets):
            s.gold_exact += 1
    for sets in preds.values():
        if any(g & p for g in gold for p in sets):
            s.pred_hit += 1
        if any(g == p for g in gold for p in sets):
            s.pred_exact += 1
    return s


@dataclass
class Result:
    knowledge: dict[str, Score] = field(default_factory=dict)
    skills: dict[str, Score] = field(default_factory=dict)
    predictions: int = 0


def evaluate(
    records: list[dict[str, object]], predict: Callable[[str], list[tuple[str, ...]]]
) -> Result:
    """Scores ``predict`` (text -> prediction groups) per source and overall ("all")."""
    result = Result()
    for rec in records:
        source = str(rec["source"])
        groups = predict(str(rec["text"]))
        result.predictions += len(groups)
        for gold_key, table in (("knowledge", result.knowledge), ("skills", result.skills)):
            spans = rec[gold_key]
            assert isinstance(spans, list)
            posting = score_posting(groups, [str(x) for x in spans])
            for key in (source, "all"):
                table.setdefault(key, Score()).add(posting)
    return result


def load_records(split: str) -> list[dict[str, object]]:
    path = SHARED / f"postings_{split}.jsonl"
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# ------------------------------------------------------------------ predictors
def analyser_predict(text: str) -> list[tuple[str, ...]]:
    from bot.analysis import analyse

    return [(s.evidence, s.name) for s in analyse(text).skills]


def make_baseline() -> Callable[[str], list[tuple[str, ...]]]:
    """Exact taxonomy lookup: every surface form, case-insensitive, longest match, no rules."""
    from bot.analysis.taxonomy import tokenize

    doc = json.loads((REPO / "data" / "taxonomy" / "skills.json").read_text(encoding="utf-8"))
    forms: dict[tuple[str, ...], str] = {}
    for raw in doc["skills"]:
        surfaces = [raw["name"], *raw.get("aliases", ()), *raw.get("cased", ())]
        surfaces += raw.get("ambiguous_forms", ())
        for surface in surfaces:
            key = tuple(t.low for t in tokenize(surface))
            if key:
                forms.setdefault(key, raw["name"])
    longest = max(len(k) for k in forms)

    def predict(text: str) -> list[tuple[str, ...]]:
        toks = tokenize(text)
        out: list[tuple[str, ...]] = []
        i = 0
        while i < len(toks):
            for n in range(min(longest, len(toks) - i), 0, -1):
                name = forms.get(tuple(t.low for t in toks[i : i + n]))
                if name is not None:
                    out.append((text[toks[i].start : toks[i + n - 1].end], name))
                    i += n
                    break
            else:
                i += 1
        return out

    return predict


# ------------------------------------------------------------------ speed
_LOAD_PROBE = """
import json, resource, time
t0 = time.perf_counter()
from bot.analysis import load_taxonomy, analyse
tax = load_taxonomy()
t1 = time.perf_counter()
analyse("Senior Python developer. Requirements: Python, Docker, SQL.")
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"load_s": t1 - t0, "rss_mb": rss / 1024}))
"""


def speed(records: list[dict[str, object]]) -> dict[str, float]:
    from bot.analysis import analyse, load_taxonomy

    probe = subprocess.run(
        [sys.executable, "-c", _LOAD_PROBE], capture_output=True, text=True, check=True, cwd=REPO
    )
    loaded = json.loads(probe.stdout.strip().splitlines()[-1])
    load_taxonomy()
    texts = []
    for rec in records:
        body = str(rec["text"])
        while len(body) < 5000:
            body += "\n" + body
        texts.append(body[:5000])
    for body in texts[:5]:
        analyse(body)
    timings = []
    for _ in range(3):
        for body in texts:
            t0 = time.perf_counter()
            analyse(body)
            timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    return {
        "postings_timed": len(timings),
        "p50_ms": timings[len(timings) // 2],
        "p95_ms": timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))],
        "max_ms": timings[-1],
        "load_s": float(loaded["load_s"]),
        "rss_mb": float(loaded["rss_mb"]),
    }


# ------------------------------------------------------------------ report
def _table(name: str, ours: Result, base: Result) -> list[str]:
    rows = [
        f"{name}",
        "| gold | source | ours P | ours R | ours P exact | ours R exact | baseline P | baseline R |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for gold_key in ("knowledge", "skills"):
        table_o: dict[str, Score] = getattr(ours, gold_key)
        table_b: dict[str, Score] = getattr(base, gold_key)
        for source in ("tech", "house", "all"):
            if source not in table_o:
                continue
            o, b = table_o[source], table_b[source]
            rows.append(
                f"| {gold_key} | {source} | {o.precision:.3f} | {o.recall:.3f} | "
                f"{o.precision_exact:.3f} | {o.recall_exact:.3f} | {b.precision:.3f} | "
                f"{b.recall:.3f} |"
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("train", "dev"), default="dev")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args(argv)

    records = load_records(args.split)
    ours = evaluate(records, analyser_predict)
    base = evaluate(records, make_baseline())
    n_tech = sum(1 for r in records if r["source"] == "tech")
    print(
        f"split={args.split} postings={len(records)} (tech {n_tech}, house {len(records) - n_tech})"
    )
    print(
        f"predictions per posting: ours {ours.predictions / len(records):.1f}, "
        f"baseline {base.predictions / len(records):.1f}"
    )
    print("\n".join(_table(f"## {args.split}", ours, base)))
    out: dict[str, object] = {
        "split": args.split,
        "machine": f"{platform.machine()} {platform.processor()} {platform.python_version()}",
        "ours": {
            k: {s: vars(v) for s, v in getattr(ours, k).items()} for k in ("knowledge", "skills")
        },
        "baseline": {
            k: {s: vars(v) for s, v in getattr(base, k).items()} for k in ("knowledge", "skills")
        },
    }
    if not args.no_speed:
        sp = speed(records)
        out["speed"] = sp
        print(
            f"speed: {sp['postings_timed']:.0f} analyses of 5 kB, p50 {sp['p50_ms']:.1f} ms, "
            f"p95 {sp['p95_ms']:.1f} ms, max {sp['max_ms']:.1f} ms; taxonomy load "
            f"{sp['load_s'] * 1000:.0f} ms, RSS after load {sp['rss_mb']:.0f} MB"
        )
    if args.json:
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
