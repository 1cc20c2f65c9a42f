"""Two real bot processes on one PostgreSQL database (issue 12): ownership and the crash test.

Each process is ``tests/scale_worker.py``: the real engine, offline brain and PostgreSQL store,
driven through a pipe. The second process refuses a session the first holds and changes nothing;
after ``kill -9`` of the first, mid-interview and with an answer in flight, the second takes every
session over at the exact question and finishes them, and the database holds each answer exactly
once, in order. The big version (hundreds of sessions under load) is ``bench/load.py --crash``.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from bot.engine import BUSY_TEXT
from bot.resources import data_dir
from tests.conftest import ROOT
from tests.pg_cluster import Backend, Cluster, cluster_or_skip

JD = (data_dir() / "samples" / "backend-engineer-senior.md").read_text()
USERS = ("u1", "u2", "u3")


class WorkerProcess:
    """``python -m tests.scale_worker`` with a thread reading its stdout, so every wait is bounded."""

    def __init__(self, url: str, name: str) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": url,
            "INTERVIEW_BOT_INSTANCE": name,
            "INTERVIEW_BOT_LOG_LEVEL": "WARNING",
        }
        for var in ("LLM_BASE_URL", "LLM_API_KEY", "INTERVIEW_BOT_CONFIG"):
            env.pop(var, None)
        self.name = name
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.scale_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self._rids = itertools.count(1)
        self._early: dict[int, dict[str, Any]] = {}
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))

    def _next(self, timeout: float) -> dict[str, Any]:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            assert self.proc.stderr is not None
            raise AssertionError(
                f"{self.name} said nothing within {timeout} s (exit {self.proc.poll()})"
            ) from None

    def wait_ready(self) -> None:
        assert self._next(60) == {"ready": self.name}

    def send(self, op: str, user: str, **fields: Any) -> int:
        rid = next(self._rids)
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"rid": rid, "op": op, "user": user, **fields}) + "\n")
        self.proc.stdin.flush()
        return rid

    def result(self, rid: int, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while rid not in self._early:
            message = self._next(max(0.1, deadline - time.monotonic()))
            self._early[message["rid"]] = message
        message = self._early.pop(rid)
        assert "error" not in message, message["error"]
        return message

    def ask(self, op: str, user: str, **fields: Any) -> dict[str, Any]:
        return self.result(self.send(op, user, **fields))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None and not stream.closed:
                stream.close()


def question(message: dict[str, Any]) -> dict[str, Any] | None:
    found = [r for r in message["replies"] if r["kind"] in ("question", "recap")]
    return found[-1] if found else None


def answer_text(user: str, number: int) -> str:
    return (
        f"Answer {number} from {user}: at my last job I owned the payments ledger. I profiled the "
        "slow reconciliation job, found an N+1 query and rewrote it with a join, and as a result "
        f"the nightly run went from 40 minutes to 3. (marker {user}-{number})"
    )


def stored(backend: Backend, user: str) -> tuple[str, list[tuple[int, str]]]:
    """The user's session state and its turns (seq, answer) as the database holds them."""
    rows = backend.query(
        "SELECT s.state, t.seq, t.turn_json FROM sessions s LEFT JOIN turns t ON t.session_id = s.id"
        " WHERE s.user_key = %s ORDER BY t.seq",
        (f"scale:{user}",),
    )
    assert rows, f"no session for {user}"
    states = {r[0] for r in rows}
    assert len(states) == 1, states
    turns = [(int(r[1]), json.loads(r[2])["answer"]) for r in rows if r[1] is not None]
    return states.pop(), turns


def test_one_process_per_session_and_takeover_after_kill_9(pg_cluster: Cluster | str) -> None:
    cluster = cluster_or_skip(pg_cluster)
    with cluster.database() as url:
        backend = Backend("postgres", url)
        first, second = WorkerProcess(url, "proc-a"), WorkerProcess(url, "proc-b")
        try:
            first.wait_ready()
            second.wait_ready()
            sent: dict[str, list[str]] = {u: [] for u in USERS}
            last_question: dict[str, dict[str, Any]] = {}
            for user in USERS:
                reply = first.ask("start", user, text=JD, options={"length": "short"})
                assert reply["replies"][-1]["kind"] == "summary", reply
                last_question[user] = question(first.ask("do", user, command="begin")) or {}
                for _ in range(2):
                    text = answer_text(user, len(sent[user]))
                    asked = question(first.ask("say", user, text=text))
                    assert asked is not None and asked["kind"] == "question"
                    sent[user].append(text)
                    last_question[user] = asked

            # The second process refuses what the first holds, and changes nothing.
            before = stored(backend, "u1")
            busy = second.ask("say", "u1", text=answer_text("u1", 99))
            assert [r["kind"] for r in busy["replies"]] == ["notice"]
            assert busy["replies"][0]["text"] == BUSY_TEXT
            assert second.ask("current", "u1")["replies"] == []
            assert stored(backend, "u1") == before

            # kill -9 with an answer in flight: it may or may not have been committed.
            in_flight = answer_text("u2", len(sent["u2"]))
            first.send("say", "u2", text=in_flight)
            first.proc.send_signal(signal.SIGKILL)
            first.proc.wait(timeout=10)

            for user in USERS:
                deadline = time.monotonic() + 20
                while not (resumed := second.ask("current", user))["replies"]:
                    assert time.monotonic() < deadline, f"{user} was never taken over"
                    time.sleep(0.1)
                turns = resumed["turns"]
                if user == "u2" and turns == len(sent[user]) + 1:
                    sent[user].append(in_flight)  # it was committed before the kill
                else:
                    # Exactly where the first process left it: the question it last asked.
                    assert turns == len(sent[user]), (user, turns, sent[user])
                    picked = question(resumed)
                    assert picked is not None
                    assert picked["text"].startswith("Picking up where we left off")
                    expected = last_question[user]
                    assert (picked["question_number"], picked["follow_up"]) == (
                        expected["question_number"],
                        expected["follow_up"],
                    )
                for _ in range(40):  # short interview: 5 questions, a few follow-ups
                    text = answer_text(user, len(sent[user]))
                    asked = question(second.ask("say", user, text=text))
                    sent[user].append(text)
                    assert asked is not None
                    if asked["kind"] == "recap":
                        break
                else:
                    pytest.fail(f"{user}'s interview never ended")

            for user in USERS:
                state, turns = stored(backend, user)
                assert state == "finished"
                assert [seq for seq, _ in turns] == list(range(len(turns)))
                assert [answer for _, answer in turns] == sent[user], (
                    f"{user}: lost or duplicated turns"
                )
        finally:
            first.stop()
            second.stop()
