"""Judge a submission against an exercise's tests, and turn the verdict into follow-ups.

How: the candidate's code plus a small harness runs once in the sandbox; the harness reads
every test's arguments as JSON on stdin, calls the function on each, and prints one result line
per test, prefixed by a per-run nonce so the candidate's own prints cannot be mistaken for
results. The harness also announces each test before calling it, so when the run dies (time-out,
memory, a crash in native code) we know which test killed it. Comparison happens here, on the
host, never inside the sandbox.

The candidate could read the harness (it is in the same file) and forge results: this is a
practice tool, so that only cheats the candidate; the sandbox is what protects the host.
"""

from __future__ import annotations

import json
import math
import secrets
from dataclasses import dataclass, field
from typing import Any

from bot.ports import CodeRunner, RunLimits, RunResult
from bot.sandbox.exercises import JUDGED_LANGUAGES, Case, Exercise
from bot.sandbox.languages import resolve

JUDGE_OUTPUT_BYTES = 16 * 1024 * 1024
TRACE_LINES = 8


@dataclass(slots=True)
class TestOutcome:
    index: int
    visible: bool
    status: str  # pass | wrong_answer | runtime_error | timeout | memory | not_run
    args: list[Any] = field(default_factory=list)
    expected: Any = None
    got: Any = None
    error: str = ""
    note: str = ""
    large: bool = False


@dataclass(slots=True)
class Verdict:
    """``status``: accepted, wrong_answer, runtime_error, timeout, memory, output_limit,
    compile_error or refused. ``first_failure`` is the first failing *visible* test (hidden
    tests are only counted)."""

    exercise_id: str
    language: str
    status: str
    passed: int
    total: int
    outcomes: list[TestOutcome]
    run: RunResult
    message: str = ""
    follow_ups: list[str] = field(default_factory=list)

    @property
    def hidden_failed(self) -> int:
        return sum(1 for o in self.outcomes if not o.visible and o.status != "pass")

    @property
    def first_failure(self) -> TestOutcome | None:
        return next((o for o in self.outcomes if o.visible and o.status != "pass"), None)

    def as_json(self) -> dict[str, Any]:
        first = self.first_failure
        return {
            "exercise": self.exercise_id,
            "language": self.language,
            "status": self.status,
            "passed": self.passed,
            "total": self.total,
            "hidden_failed": self.hidden_failed,
            "first_failing_visible": None
            if first is None
            else {
                "args": first.args,
                "expected": first.expected,
                "got": first.got,
                "status": first.status,
                "error": first.error,
            },
            "message": self.message,
            "follow_ups": self.follow_ups,
            "wall_ms": self.run.wall_ms,
            "cpu_ms": self.run.cpu_ms,
        }


# --------------------------------------------------------------------------- harnesses

_PY_HARNESS = r"""

def __ib_main(__nonce, __fn):
    import json as __j, sys as __s, traceback as __tb
    __out = __s.__stdout__
    __data = __j.loads(__s.stdin.read())
    __f = globals().get(__fn)
    if __f is None:
        __out.write(__nonce + __j.dumps({"fatal": "function %%s is not defined" %% __fn}) + "\n")
        return
    def __enc(o):
        if isinstance(o, (set, frozenset)):
            return sorted(o, key=repr)
        return repr(o)
    for __i, __a in enumerate(__data):
        __out.write(__nonce + __j.dumps({"i": __i, "start": True}) + "\n")
        __out.flush()
        try:
            __rec = {"i": __i, "result": __f(*__a)}
            __line = __j.dumps(__rec, default=__enc)
        except MemoryError:
            __line = __j.dumps({"i": __i, "memory": True})
        except BaseException as __e:
            __tbl = __tb.format_exception(__e)
            __line = __j.dumps({"i": __i, "error": "".join(__tbl[-%(lines)d:])[-2000:]})
        __s.stdout.flush()
        __out.write("\n" + __nonce + __line + "\n")
        __out.flush()

__ib_main(%(nonce)r, %(fn)r)
"""

_JS_HARNESS = r"""
;(function () {
  const __fs = require("fs");
  const __nonce = %(nonce)s;
  const __w = (s) => { __fs.writeSync(1, s); };
  let __f;
  try { __f = eval(%(fn)s); } catch (e) { __f = undefined; }
  if (typeof __f !== "function") {
    __w(__nonce + JSON.stringify({ fatal: "function " + %(fn)s + " is not defined" }) + "\n");
    return;
  }
  const __data = JSON.parse(__fs.readFileSync(0, "utf8"));
  const __enc = (k, v) => (v instanceof Set ? [...v] : v instanceof Map ? Object.fromEntries(v) : v === undefined ? null : v);
  for (let i = 0; i < __data.length; i++) {
    __w(__nonce + JSON.stringify({ i, start: true }) + "\n");
    let line;
    try {
      line = JSON.stringify({ i, result: __f(...__data[i]) }, __enc);
    } catch (e) {
      const msg = e && e.stack ? String(e.stack).split("\n").slice(0, %(lines)d).join("\n") : String(e);
      line = JSON.stringify({ i, error: msg.slice(-2000) });
    }
    __w("\n" + __nonce + line + "\n");
  }
})();
"""


def build_program(code: str, language: str, entry: str, nonce: str) -> str:
    if language == "python":
        return code + "\n" + _PY_HARNESS % {"nonce": nonce, "fn": entry, "lines": TRACE_LINES}
    if language == "javascript":
        return (
            code
            + "\n"
            + _JS_HARNESS
            % {
                "nonce": json.dumps(nonce),
                "fn": json.dumps(entry),
                "lines": TRACE_LINES,
            }
        )
    raise ValueError(f"judging is not supported for {language}")


# --------------------------------------------------------------------------- comparison


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    return bool(a == b)


def _sorted(value: Any, deep: bool) -> Any:
    if not isinstance(value, list):
        return value
    items = [_sorted(v, deep) if deep else v for v in value]
    return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))


def same(expected: Any, got: Any, mode: str) -> bool:
    if mode == "unordered":
        return _close(_sorted(expected, False), _sorted(got, False))
    if mode == "unordered_deep":
        return _close(_sorted(expected, True), _sorted(got, True))
    if mode == "float":
        return _close(expected, got)
    # exact: JSON equality (ints and floats compare by value, 2 == 2.0)
    return _close(expected, got) if _has_float(expected) else bool(expected == got)


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False


# --------------------------------------------------------------------------- judging

_expected_cache: dict[str, Any] = {}


async def large_expected(exercise: Exercise, runner: CodeRunner) -> tuple[list[Any], Any] | None:
    """The large case's args and the reference's answer on them (run once, then cached)."""
    args = exercise.large_args()
    if args is None:
        return None
    if exercise.id not in _expected_cache:
        outcome = await _run_tests(
            exercise.reference["python"], "python", exercise, [args], runner, wall_factor=4.0
        )
        results, run = outcome
        if not results or "result" not in results[0]:
            raise RuntimeError(
                f"{exercise.id}: reference failed on the large case ({run.status}): "
                f"{run.stderr[-500:]}"
            )
        _expected_cache[exercise.id] = results[0]["result"]
    return args, _expected_cache[exercise.id]


async def _run_tests(
    code: str,
    language: str,
    exercise: Exercise,
    tests: list[list[Any]],
    runner: CodeRunner,
    *,
    wall_factor: float = 1.0,
) -> tuple[list[dict[str, Any]], RunResult]:
    nonce = f"<<ib:{secrets.token_hex(6)}>>"
    program = build_program(code, language, exercise.entry[language], nonce)
    limits = RunLimits(
        wall_seconds=exercise.time_limit_s * wall_factor,
        cpu_seconds=exercise.time_limit_s * wall_factor,
        memory_mb=512,
        output_bytes=JUDGE_OUTPUT_BYTES,
    )
    run = await runner.run(program, language, json.dumps(tests), limits)
    records: dict[int, dict[str, Any]] = {}
    for line in run.stdout.split("\n"):
        if nonce not in line:
            continue
        try:
            record = json.loads(line.split(nonce, 1)[1])
        except ValueError:
            continue
        if "fatal" in record:
            records[-1] = record
            continue
        index = int(record.get("i", -1))
        if record.get("start"):
            records.setdefault(index, {"i": index, "started": True})
        else:
            records[index] = record
    ordered = [records[i] for i in sorted(records) if i >= 0]
    if -1 in records:
        ordered.insert(0, records[-1])
    return ordered, run


async def judge(code: str, language: str, exercise: Exercise, runner: CodeRunner) -> Verdict:
    """Run every test (visible examples, hidden cases, the large case) and build the verdict."""
    lang = resolve(language)
    name = lang.name if lang else language
    cases: list[tuple[Case, bool, bool]] = [(c, True, False) for c in exercise.examples]
    cases += [(c, False, False) for c in exercise.hidden]
    large = await large_expected(exercise, runner)
    if large is not None:
        assert exercise.large is not None
        cases.append(
            (Case(args=large[0], expected=large[1], note=exercise.large.note), False, True)
        )
    if name not in JUDGED_LANGUAGES or name not in exercise.entry:
        run = RunResult("refused", None, language=name)
        verdict = Verdict(exercise.id, name, "refused", 0, len(cases), [], run)
        verdict.message = (
            f"I can run {', '.join(JUDGED_LANGUAGES)} against this exercise's tests; "
            f"{name} solutions are discussed as a walkthrough."
        )
        verdict.follow_ups = ["Walk me through your solution on the first example."]
        return verdict
    records, run = await _run_tests(code, name, exercise, [c.args for c, _, _ in cases], runner)
    outcomes = _outcomes(exercise, cases, records, run)
    verdict = _verdict(exercise, name, outcomes, run, records)
    verdict.follow_ups = follow_ups(verdict, exercise)
    return verdict


def _outcomes(
    exercise: Exercise,
    cases: list[tuple[Case, bool, bool]],
    records: list[dict[str, Any]],
    run: RunResult,
) -> list[TestOutcome]:
    by_index = {r["i"]: r for r in records if "i" in r}
    outcomes: list[TestOutcome] = []
    dead = False
    for i, (case, visible, is_large) in enumerate(cases):
        out = TestOutcome(i, visible, "not_run", case.args, case.expected, note=case.note)
        out.large = is_large
        record = by_index.get(i)
        if record is None or dead:
            outcomes.append(out)
            continue
        if "result" in record:
            out.got = record["result"]
            out.status = (
                "pass" if same(case.expected, out.got, exercise.compare) else "wrong_answer"
            )
        elif "memory" in record:
            out.status = "memory"
        elif "error" in record:
            out.status = "runtime_error"
            out.error = str(record["error"])
        elif record.get("started"):
            dead = True  # the run died inside this test
            out.status = {"timeout": "timeout", "memory": "memory"}.get(run.status, "runtime_error")
            if out.status == "runtime_error":
                out.error = _trim(run.stderr) or f"the program stopped (exit code {run.exit_code})"
        outcomes.append(out)
    return outcomes


def _verdict(
    exercise: Exercise,
    language: str,
    outcomes: list[TestOutcome],
    run: RunResult,
    records: list[dict[str, Any]],
) -> Verdict:
    passed = sum(1 for o in outcomes if o.status == "pass")
    verdict = Verdict(exercise.id, language, "accepted", passed, len(outcomes), outcomes, run)
    if records and "fatal" in records[0]:
        verdict.status = "runtime_error"
        verdict.message = str(records[0]["fatal"])
        return verdict
    if run.status in ("compile_error", "refused", "output_limit"):
        verdict.status = run.status
        verdict.message = _trim(run.stderr) or run.status.replace("_", " ")
        return verdict
    failing = [o for o in outcomes if o.status != "pass"]
    if not failing:
        verdict.message = f"All {len(outcomes)} tests passed."
        return verdict
    first = failing[0]
    if first.status == "not_run":
        # Nothing started: the program failed before the harness ran (syntax error, crash at
        # import time) or the time limit hit between tests.
        verdict.status = {"timeout": "timeout", "memory": "memory"}.get(run.status, "runtime_error")
        first.error = _trim(run.stderr)
        verdict.message = first.error or f"the program stopped (exit code {run.exit_code})"
        return verdict
    verdict.status = first.status
    hidden = sum(1 for o in failing if not o.visible)
    shown = verdict.first_failure
    parts = [f"{passed}/{len(outcomes)} tests passed."]
    if shown is not None:
        if shown.status == "wrong_answer":
            parts.append(f"Example {shown.args!r}: expected {shown.expected!r}, got {shown.got!r}.")
        elif shown.error:
            parts.append(f"Example {shown.args!r} raised:\n{shown.error}")
    if hidden:
        parts.append(f"{hidden} hidden test(s) failed.")
    verdict.message = " ".join(parts)
    return verdict


def _trim(text: str, lines: int = TRACE_LINES) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return "\n".join(kept)[-1500:]


def follow_ups(verdict: Verdict, exercise: Exercise) -> list[str]:
    """Questions an interviewer would ask next, from what actually happened."""
    questions: list[str] = []
    failing = [o for o in verdict.outcomes if o.status not in ("pass", "not_run")]
    first = failing[0] if failing else None
    if verdict.status == "compile_error":
        line = next((ln for ln in verdict.message.splitlines() if "error" in ln), "")
        questions.append(f"It doesn't compile ({line.strip()[:160]}). What would you change?")
    elif first is not None and first.large and first.status in ("timeout", "memory"):
        what = "runs out of time" if first.status == "timeout" else "runs out of memory"
        questions.append(
            f"Your solution passes the small tests but {what} on {first.note}. "
            "What is its time and space complexity, and can you do better?"
        )
    elif first is not None and first.note and first.status != "pass":
        kind = {
            "wrong_answer": "gives the wrong answer",
            "runtime_error": "crashes",
            "timeout": "times out",
            "memory": "runs out of memory",
        }.get(first.status, "fails")
        questions.append(f"Your solution {kind} on {first.note} — why, and how would you fix it?")
    elif first is not None and first.status == "runtime_error":
        last = first.error.strip().splitlines()[-1:] or ["an error"]
        questions.append(
            f"It raises `{last[0][:120]}`. Walk me through what happens on that input."
        )
    elif first is not None and first.status == "wrong_answer":
        questions.append(
            f"On {first.args!r} you return {first.got!r} instead of {first.expected!r}. "
            "Can you trace your code on that input?"
        )
    if verdict.status == "accepted":
        questions.append("All tests pass. What is its time and space complexity?")
        if exercise.complexity:
            questions.append("Could it be done with less time or memory? What would you trade off?")
    elif verdict.status not in ("compile_error", "refused") and not any(
        "complexity" in q for q in questions
    ):
        questions.append("What is its time complexity, and can you do better?")
    return questions


# --------------------------------------------------------------------------- script mode


async def judge_script(
    code: str, tests: str, runner: CodeRunner, *, language: str = "python", wall: float = 10.0
) -> RunResult:
    """Run ``code`` followed by assert-style ``tests`` (HumanEval/MBPP shape); ok = all pass."""
    program = f"{code}\n\n{tests}\n"
    return await runner.run(
        program, language, "", RunLimits(wall_seconds=wall, cpu_seconds=wall, memory_mb=512)
    )
