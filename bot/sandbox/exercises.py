"""The team's coding-exercise bank (``data/exercises/*.toml``), validated with pydantic.

Why this shape: each test is ``args`` (the function's positional arguments as JSON values) and
``expected``, so one test list serves every language whose harness can call a function with
JSON arguments (Python and JavaScript today). The one large test per exercise is a generator
expression rather than a 100k-element literal; its expected value is whatever the reference
solution returns on it (computed in the sandbox and cached), so nobody hand-computes it.
"""

from __future__ import annotations

import random
import tomllib
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.resources import data_dir

JUDGED_LANGUAGES = ("python", "javascript")


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    args: list[Any]
    expected: Any = None
    note: str = ""  # what the case is about, e.g. "an empty list" (used in follow-ups)


class LargeCase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    gen: str  # Python expression over ``rng`` (random.Random(seed)) giving the args list
    note: str = "a large input"
    seed: int = 7


class Exercise(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    title: str
    difficulty: int = Field(ge=1, le=3)
    topics: list[str] = Field(min_length=1)
    levels: list[Literal["intern", "junior", "mid", "senior", "staff"]] = Field(
        default_factory=list
    )
    statement: str = Field(min_length=20)
    entry: dict[str, str]  # language -> function name
    signatures: dict[str, str]  # language -> signature shown to the candidate
    examples: list[Case] = Field(min_length=1)
    hidden: list[Case] = Field(min_length=1)
    large: LargeCase | None = None
    compare: Literal["exact", "unordered", "unordered_deep", "float"] = "exact"
    time_limit_s: float = Field(default=5.0, gt=0, le=20)
    reference: dict[str, str]  # language -> a solution that passes every test
    complexity: str = ""  # the target, e.g. "O(n log n) time, O(n) space"

    @field_validator("signatures", "entry")
    @classmethod
    def _needs_python_and_js(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [lang for lang in JUDGED_LANGUAGES if lang not in value]
        if missing:
            raise ValueError(f"missing languages: {missing}")
        return value

    @model_validator(mode="after")
    def _reference_and_expectations(self) -> Exercise:
        if "python" not in self.reference:
            raise ValueError("a Python reference solution is required")
        for case in (*self.examples, *self.hidden):
            if "expected" not in case.model_fields_set:
                raise ValueError(f"{self.id}: every literal case needs 'expected'")
        return self

    def large_args(self) -> list[Any] | None:
        """Evaluate the generator: trusted data written by the team, never user input."""
        if self.large is None:
            return None
        namespace = {
            "rng": random.Random(self.large.seed),
            "range": range,
            "list": list,
            "len": len,
            "str": str,
            "chr": chr,
            "ord": ord,
            "min": min,
            "max": max,
            "sorted": sorted,
            "sum": sum,
        }
        value = eval(self.large.gen, {"__builtins__": {}, **namespace})
        if not isinstance(value, list):
            raise ValueError(f"{self.id}: large.gen must give the args list")
        return value


class Bank(BaseModel):
    exercises: list[Exercise]


def exercises_dir() -> Path:
    return data_dir() / "exercises"


@cache
def load_bank(directory: Path | None = None) -> dict[str, Exercise]:
    """All exercises by id; duplicate ids or invalid files raise with the file's name."""
    bank: dict[str, Exercise] = {}
    for path in sorted((directory or exercises_dir()).glob("*.toml")):
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
            parsed = Bank.model_validate(raw)
        except Exception as exc:
            raise ValueError(f"{path.name}: {exc}") from exc
        for exercise in parsed.exercises:
            if exercise.id in bank:
                raise ValueError(f"{path.name}: duplicate exercise id {exercise.id!r}")
            bank[exercise.id] = exercise
    return bank


def choose(
    bank: dict[str, Exercise], *, level: str = "", topics: tuple[str, ...] = (), seed: int = 0
) -> Exercise | None:
    """One exercise for a level and (preferably) a topic; deterministic given ``seed``."""
    pool = [e for e in bank.values() if not level or not e.levels or level in e.levels]
    preferred = [e for e in pool if set(topics) & set(e.topics)] or pool
    if not preferred:
        return None
    preferred.sort(key=lambda e: e.id)
    return preferred[seed % len(preferred)]
