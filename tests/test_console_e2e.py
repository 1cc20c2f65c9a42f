"""The console adapter end to end, as a user runs it: real CLI processes, real SQLite files."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

from tests.conftest import ROOT, cli

SAMPLE = ROOT / "data" / "samples" / "backend-engineer-senior.md"
SAMPLE_ANSWERS = ROOT / "data" / "samples" / "answers-backend-engineer-senior.txt"


def env_for(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_BOT_", "LLM_"))}
    env["INTERVIEW_BOT_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONUNBUFFERED"] = "1"
    env["COLUMNS"] = "120"
    return env


def run(
    tmp_path: Path, *args: str, stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli(*args),
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env_for(tmp_path),
        timeout=timeout,
        check=False,
    )


def test_scripted_interview_produces_the_documented_json(tmp_path: Path) -> None:
    out = tmp_path / "session.json"
    result = run(
        tmp_path,
        "console",
        "--jd",
        str(SAMPLE),
        "--answers",
        str(SAMPLE_ANSWERS),
        "--json",
        str(out),
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "Recap" in result.stdout and "Question 1 of 8" in result.stdout
    report = json.loads(out.read_text())
    for key in ("profile", "turns", "competencies", "overall", "strengths", "improvements"):
        assert key in report
    profile = report["profile"]
    skills = {s["name"] for s in profile["skills"]}
    assert {"Python", "PostgreSQL", "Kafka"} <= skills
    jd_text = SAMPLE.read_text()
    for skill in profile["skills"]:
        assert skill["evidence"] in jd_text
    # The questions are tailored: some question text mentions a skill from this JD.
    questions = " ".join(t["question"] for t in report["turns"])
    assert any(re.search(rf"\b{re.escape(s)}\b", questions) for s in skills)
    answers = "\n".join(t["answer"] for t in report["turns"])
    for turn in report["turns"]:
        assert set(turn) >= {"question", "type", "follow_up", "answer", "score", "evidence"}
        assert turn["score"] is None or 1 <= turn["score"] <= 5
        for quote in turn["evidence"]:
            assert quote in turn["answer"]
    for competency in report["competencies"]:
        assert competency["score"] is None or 1 <= competency["score"] <= 5
        for quote in competency["evidence"]:
            assert quote in answers
    assert report["overall"] is not None and 1 <= report["overall"] <= 5
    assert report["state"] == "finished"
    chart = tmp_path / "data" / "charts" / f"recap-{report['session_id']}.png"
    assert f"Chart: {chart}" in result.stdout
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_answers_file_running_out_ends_with_a_recap(tmp_path: Path) -> None:
    answers = tmp_path / "answers.txt"
    answers.write_text(
        "/skip\n---\n"
        "In my last role I was responsible for our payments API. I rewrote the retry logic in "
        "Python and added idempotency keys. As a result duplicate charges dropped to zero.\n"
    )
    out = tmp_path / "s.json"
    result = run(
        tmp_path,
        "console",
        "--sample",
        "backend-engineer-senior",
        "--answers",
        str(answers),
        "--json",
        str(out),
        "--length",
        "short",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["state"] == "finished"
    assert report["turns"][0]["skipped"] and report["turns"][0]["score"] is None
    assert report["turns"][1]["answer"].startswith("In my last role")


def test_analyze_json_contract(tmp_path: Path) -> None:
    result = run(tmp_path, "analyze", str(SAMPLE), "--json")
    assert result.returncode == 0, result.stderr
    profile = json.loads(result.stdout)
    for key in ("title", "level", "skills", "responsibilities", "domain", "coding_required"):
        assert key in profile
    assert profile["coding_required"] is True
    for skill in profile["skills"]:
        assert set(skill) >= {"name", "kind", "importance", "evidence"}


class Output:
    """Collects a child's stdout on a thread so reads never block the test past its deadline."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.text = ""
        self.consumed = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._lock:
                self.text += line

    def wait_for(self, pattern: str, timeout: float = 30) -> str:
        """New output up to and including ``pattern``; bounded in time so a hang fails the test."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                match = re.compile(pattern).search(self.text, self.consumed)
                if match:
                    chunk = self.text[self.consumed : match.end()]
                    self.consumed = match.end()
                    return chunk
            if self.proc.poll() is not None and not self._thread.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"did not see {pattern!r} in:\n{self.text[self.consumed :]}")


ANSWER_1 = (
    "At my last job I was responsible for a slow reporting service. I profiled it, found "
    "an N+1 query pattern and I rewrote it with a join. As a result the report went from "
    "40 seconds to 2 seconds."
)
ANSWER_2 = (
    "In my previous team our deploys failed weekly. My task was to make them reliable, so "
    "I added a staging check and I wrote a rollback script. Failures fell by 80%."
)


def _start_interactive(tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli("console", "--user", "alice"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=env_for(tmp_path),
    )


def test_kill_mid_interview_then_resume_at_the_exact_question(tmp_path: Path) -> None:
    proc = _start_interactive(tmp_path)
    out = Output(proc)

    def send(text: str) -> None:
        assert proc.stdin is not None
        proc.stdin.write(text)
        proc.stdin.flush()

    try:
        out.wait_for(r"sample number")
        send(f"{SAMPLE}\n")
        out.wait_for(r"Press Enter to begin")
        send("\n")
        out.wait_for(r"Question 1 of")
        for answer in (ANSWER_1, ANSWER_2):
            send(answer + "\n\n")
            # Skip any follow-ups so the next main question comes up.
            while "Follow-up" in out.wait_for(r"(Question \d+ of|Follow-up)"):
                send("/skip\n")
        assert "Question 3 of" in out.text
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    report_path = tmp_path / "resumed.json"
    resumed = run(
        tmp_path,
        "console",
        "--user",
        "alice",
        "--resume",
        "--answers",
        str(_write(tmp_path, "/end\n")),
        "--json",
        str(report_path),
    )
    assert resumed.returncode == 0, resumed.stderr + resumed.stdout
    assert "Picking up where we left off (question 3 of" in resumed.stdout
    report = json.loads(report_path.read_text())
    answered = [t["answer"] for t in report["turns"] if t["answer"]]
    assert answered == [ANSWER_1, ANSWER_2], "nothing lost and nothing duplicated"
    assert report["state"] == "finished"


def test_ctrl_c_keeps_the_interview(tmp_path: Path) -> None:
    proc = _start_interactive(tmp_path)
    out = Output(proc)
    assert proc.stdin is not None
    try:
        out.wait_for(r"sample number")
        proc.stdin.write("1\n")
        proc.stdin.flush()
        out.wait_for(r"Press Enter to begin")
        proc.stdin.write("\n" + ANSWER_1 + "\n\n")
        proc.stdin.flush()
        out.wait_for(r"(Question 2 of|Follow-up)")
        proc.send_signal(signal.SIGINT)
        tail = out.wait_for(r"console --resume", timeout=15)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "saved" in tail
    status = run(
        tmp_path,
        "console",
        "--user",
        "alice",
        "--resume",
        "--answers",
        str(_write(tmp_path, "/status\n")),
    )
    assert "Picking up where we left off" in status.stdout
    assert "1 answered" in status.stdout


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cmd.txt"
    path.write_text(text)
    return path


def test_make_run_style_start_reaches_first_question(tmp_path: Path) -> None:
    """What `make run` starts: the interactive console, choosing a bundled sample."""
    result = run(tmp_path, "console", stdin="1\n\n", timeout=60)
    assert "Question 1 of" in result.stdout, result.stdout + result.stderr
    assert "Your interview is saved" in result.stdout
