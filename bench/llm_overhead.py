"""Our overhead per LLM call, against the loopback OpenAI-compatible server (issue #6).

Three numbers, each p50/p95 over many calls:
  * client overhead: ``complete()`` wall time minus the server's own handler time, i.e. the
    ``openai`` SDK + HTTP on loopback + our base class (retry/timeout/logging wrapper);
  * base-class overhead: ``complete()`` minus a direct call of the provider hook
    ``_complete_impl()`` on the same server (what our wrapper adds by itself);
  * brain overhead: prompt rendering + fencing + JSON parsing + validation + evidence checks for
    one graded criterion, with no network (what ``LLMBrain`` adds to a model's own latency).

Usage: python bench/llm_overhead.py [--calls 400] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.brain import AnswerContext
from bot.domain import JobProfile
from bot.evaluation.scoring import evaluate
from bot.llm.base import RetryPolicy
from bot.llm.brain import CRITERIA_STAR, merge_grade
from bot.llm.openai_client import OpenAICompatibleClient
from bot.llm.prompts import load_prompt
from bot.llm.schemas import CriterionOut, parse_output
from bot.planning.bank import load_bank
from bot.ports import ChatMessage
from tests.fake_openai import FakeOpenAI, Step

ANSWER = (
    "At my last company our payment service kept timing out during peak hours. I was responsible "
    "for fixing it before Black Friday. I profiled the slow PostgreSQL queries and added two "
    "composite indexes. As a result p95 latency dropped from 900 ms to 120 ms."
)
REPLY = json.dumps(
    {
        "enough_evidence": True,
        "score": 4,
        "quotes": ["I profiled the slow PostgreSQL queries"],
        "rationale": "Specific actions and a measured result.",
    }
)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(pct(values, 50), 3),
        "p95_ms": round(pct(values, 95), 3),
        "mean_ms": round(statistics.fmean(values), 3),
    }


async def network(calls: int) -> dict[str, object]:
    async with FakeOpenAI(lambda _body: Step(REPLY)) as fake:
        client = OpenAICompatibleClient(
            base_url=fake.base_url,
            api_key="bench",
            model="fake-model",
            retry=RetryPolicy(attempts=1),
        )
        messages = [ChatMessage("system", "bench"), ChatMessage("user", ANSWER)]
        schema = CriterionOut.model_json_schema()
        for _ in range(20):  # warm the connection pool and the SDK
            await client.complete(messages, schema)
        fake.server_ms.clear()
        totals: list[float] = []
        for _ in range(calls):
            started = time.perf_counter()
            await client.complete(messages, schema, tag="bench@v1")
            totals.append((time.perf_counter() - started) * 1000)
        client_overhead = [t - s for t, s in zip(totals, fake.server_ms, strict=True)]
        direct: list[float] = []
        for _ in range(calls):
            started = time.perf_counter()
            await client._complete_impl(messages, schema, None)
            direct.append((time.perf_counter() - started) * 1000)
        await client.aclose()
    wrapper = [t - d for t, d in zip(sorted(totals), sorted(direct), strict=True)]
    return {
        "complete_total": summary(totals),
        "server_own": summary(fake.server_ms),
        "client_overhead": summary(client_overhead),
        "base_class_overhead": summary(wrapper),
    }


def brain_cpu(calls: int) -> dict[str, object]:
    bank = load_bank()
    question = next(q for q in bank.questions if q.type.value == "behavioural")
    profile = JobProfile(title="Backend Engineer")
    context = AnswerContext(question, ANSWER, ANSWER, profile, session_id="bench")
    base = evaluate(question, ANSWER)
    template = load_prompt("grade")
    samples: list[float] = []
    for _ in range(calls):
        started = time.perf_counter()
        outputs = []
        for criterion in CRITERIA_STAR:
            template.render(
                {
                    "question": question.text,
                    "criterion": criterion.name,
                    "guide": criterion.guide,
                    "rubric": question.rubric.strong,
                    "talking_points": "-",
                    "answer": ANSWER,
                }
            )
            outputs.append((criterion, parse_output(REPLY, CriterionOut)))
        merge_grade(base, context, outputs)
        samples.append((time.perf_counter() - started) * 1000 / len(CRITERIA_STAR))
    return {"per_criterion_call": summary(samples)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    result = {
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
        "calls": args.calls,
        "network": asyncio.run(network(args.calls)),
        "brain_cpu": brain_cpu(args.calls),
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
