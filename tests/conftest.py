from __future__ import annotations

import itertools
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.brain import OfflineBrain
from bot.domain import Importance, JobProfile, Level, SkillKind, SkillMention
from bot.engine import InterviewEngine
from bot.events import Command, ConversationRef, IncomingEvent, UserRef
from bot.planning.bank import QuestionBank, load_bank
from bot.planning.planner import Planner
from bot.store.sqlite import SQLiteStore
from tests.pg_cluster import (
    BACKENDS,
    REQUIRE_POSTGRES,
    Backend,
    Cluster,
    ClusterUnavailable,
    cluster_or_skip,
    start_cluster,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
JD_TEXT = (
    "Senior Backend Engineer\n\nWe build payments software.\n\nRequirements:\n"
    "- 5+ years of Python\n- PostgreSQL and Kafka in production\n- Docker\n"
)


def _mention(
    name: str, kind: SkillKind, importance: Importance = Importance.REQUIRED
) -> SkillMention:
    return SkillMention(
        name=name, kind=kind, importance=importance, evidence=name, start=0, end=len(name)
    )


@pytest.fixture(scope="session")
def bank() -> QuestionBank:
    return load_bank()


@pytest.fixture
def backend_profile() -> JobProfile:
    return JobProfile(
        title="Senior Backend Engineer",
        raw_title="Senior Backend Engineer",
        level=Level.SENIOR,
        level_evidence="Senior",
        role_family="software",
        skills=(
            _mention("Python", SkillKind.LANGUAGE),
            _mention("PostgreSQL", SkillKind.TOOL),
            _mention("Kafka", SkillKind.TOOL),
            _mention("Docker", SkillKind.TOOL, Importance.PREFERRED),
            _mention("communication", SkillKind.SOFT),
        ),
        domain="finance",
        coding_required=True,
        coding_evidence="Python",
    )


class FixedClock:
    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def now(self) -> float:
        self.t += 1.0
        return self.t


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "test.sqlite3")
    await s.open()
    yield s
    await s.close()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster | str]:
    """The session's PostgreSQL server, or the reason there is none (tests then skip)."""
    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        if REQUIRE_POSTGRES:
            raise
        yield str(exc)
        return
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, pg_cluster: Cluster | str
) -> Iterator[Backend]:
    """One fresh database per backend (tests/pg_cluster.py); PostgreSQL skips when unavailable."""
    if request.param == "sqlite":
        yield Backend("sqlite", f"sqlite:///{tmp_path / 'test.sqlite3'}")
        return
    with cluster_or_skip(pg_cluster).database() as url:
        yield Backend("postgres", url)


@pytest.fixture
def engine(store: SQLiteStore, bank: QuestionBank, backend_profile: JobProfile) -> InterviewEngine:
    ids = (f"s{n:04d}" for n in itertools.count())
    return InterviewEngine(
        store,
        OfflineBrain(lambda _text: backend_profile, Planner(bank)),
        clock=FixedClock(),
        new_id=lambda: next(ids),
    )


USER = UserRef("test", "u1", "Candidate")
OTHER = UserRef("test", "u2", "Stranger")
CONV = ConversationRef("test", "c1", "t1")


def start_event(text: str = JD_TEXT, **options: str) -> IncomingEvent:
    return IncomingEvent.do(USER, CONV, Command.START, text, **options)


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "adapters.cli", *args]
