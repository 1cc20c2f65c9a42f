"""``interview-bot doctor`` reports the store actually used, the claim owner and the shards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.store import store_for_url
from tests.conftest import ROOT
from tests.pg_cluster import Cluster, cluster_or_skip

SECRET = "not-shown-0123"


def doctor(tmp_path: Path, **env: str) -> tuple[int, dict[str, str]]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LLM_", "OPENAI_", "DISCORD_", "DATABASE_", "INTERVIEW_BOT_"))
    }
    base.update(env, INTERVIEW_BOT_DATA_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "doctor"],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert SECRET not in done.stdout + done.stderr, "doctor printed the database password"
    rows = {}
    for line in done.stdout.splitlines():
        for name in ("Database", "Instance", "Discord shards"):
            if line.startswith(name):
                rows[name] = line[len(name) :].strip()
    return done.returncode, rows


def with_password(url: str) -> str:
    """The cluster trusts loopback, so any password works: it only has to stay hidden."""
    return url.replace("postgres@", f"postgres:{SECRET}@", 1)


async def test_postgres_store_instance_and_shards(
    tmp_path: Path, pg_cluster: Cluster | str
) -> None:
    with cluster_or_skip(pg_cluster).database() as url:
        env = {
            "DATABASE_URL": with_password(url),
            "INTERVIEW_BOT_INSTANCE": "bot-7",
            "DISCORD_SHARD_COUNT": "4",
            "DISCORD_SHARD_IDS": "1,3",
        }
        code, rows = doctor(tmp_path, **env)
        assert code == 0, rows
        assert rows["Database"].startswith("not created yet")
        assert "postgresql://postgres@127.0.0.1" in rows["Database"]
        store = store_for_url(url)
        await store.open()  # migrates
        await store.close()
        code, rows = doctor(tmp_path, **env)
        assert code == 0, rows
        assert rows["Database"].startswith("ok") and "PostgreSQL · schema v" in rows["Database"]
        assert rows["Instance"].startswith("bot-7") and "advisory locks" in rows["Instance"]
        assert rows["Discord shards"].startswith("2 of 4") and "1, 3 of 4" in rows["Discord shards"]
    assert not (tmp_path / "interview-bot.sqlite3").exists(), "doctor must not touch SQLite here"


def test_sqlite_default_and_an_unreachable_server(tmp_path: Path) -> None:
    code, rows = doctor(tmp_path)
    assert code == 0
    assert rows["Database"].startswith("not created yet")
    assert "interview-bot.sqlite3" in rows["Database"]
    assert "SQLite: one process" in rows["Instance"]
    assert rows["Discord shards"].startswith("auto")

    with socket_refusing() as port:
        code, rows = doctor(
            tmp_path, DATABASE_URL=f"postgresql://bot:{SECRET}@127.0.0.1:{port}/interview_bot"
        )
    assert code == 2
    assert rows["Database"].startswith("unreachable")
    assert f"postgresql://bot@127.0.0.1:{port}/interview_bot" in rows["Database"]


class socket_refusing:
    """A loopback port bound but not listening: connections to it are refused."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
