"""A throwaway PostgreSQL cluster for tests: Debian's server binaries, a temp dir, loopback only.

Why a real server rather than a fake: the store's value is in PostgreSQL's own behaviour
(transactions, ``ON CONFLICT``, advisory locks released when a process dies), which no fake shows.

The cluster lives in a fresh temp dir (data, unix socket and log), listens on 127.0.0.1 on a free
port with ``trust`` auth for local connections only, and runs with ``fsync=off`` since its data is
thrown away. PostgreSQL refuses to run as root and CI runs as root, so the server then runs as the
``postgres`` account (created by Debian's package) or ``nobody``. Every wait is bounded.

``INTERVIEW_BOT_TEST_POSTGRES_URL`` points the tests at an existing server instead (a developer's
own, or a CI service); each test still gets a database of its own, created and dropped here.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.ports import Store

URL_ENV = "INTERVIEW_BOT_TEST_POSTGRES_URL"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL server can be started here; ``str()`` says why (the tests skip with it)."""


def find_bindir() -> Path:
    """The newest ``/usr/lib/postgresql/N/bin`` with ``initdb`` and ``postgres``, or PATH's."""
    candidates = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for bindir in candidates:
        if (bindir / "postgres").exists() and (bindir / "pg_isready").exists():
            return bindir
    raise ClusterUnavailable(
        "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb): install "
        "Debian's 'postgresql' package (listed in scripts/system-packages.txt; `make test` as "
        f"root installs it), or set {URL_ENV} to a server's URL"
    )


def _server_account() -> pwd.struct_passwd | None:
    """The account to run the server as: none when we are not root, else postgres or nobody."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise ClusterUnavailable("running as root and neither a 'postgres' nor 'nobody' account exists")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """A running server; ``url(dbname)`` is how a test connects to one of its databases."""

    host: str
    port: int
    user: str
    process: subprocess.Popen[bytes] | None = None
    root: Path | None = None
    password: str = ""

    def url(self, dbname: str = "postgres") -> str:
        secret = f":{self.password}" if self.password else ""
        return f"postgresql://{self.user}{secret}@{self.host}:{self.port}/{dbname}"

    def admin(self, sql: str) -> None:
        """Run one statement on the maintenance database (autocommit: CREATE DATABASE needs it)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql)

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A fresh, empty database for one test; dropped afterwards (with any lingering clients)."""
        name = f"ib_test_{uuid.uuid4().hex[:12]}"
        self.admin(f'CREATE DATABASE "{name}"')
        try:
            yield self.url(name)
        finally:
            self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def log_tail(self, lines: int = 30) -> str:
        if self.root is None or not (self.root / "server.log").exists():
            return ""
        text = (self.root / "server.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Fast shutdown (SIGINT), then SIGKILL if it is not down within the bound; remove files."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT_S)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


def _run(cmd: list[str], account: pwd.struct_passwd | None, timeout: float) -> None:
    ids = {"user": account.pw_uid, "group": account.pw_gid} if account else {}
    result = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
        **ids,
    )
    if result.returncode != 0:
        raise ClusterUnavailable(f"{cmd[0]} failed ({result.returncode}): {result.stderr[-2000:]}")


def start_cluster() -> Cluster:
    """Start a throwaway server (or describe the one ``INTERVIEW_BOT_TEST_POSTGRES_URL`` names)."""
    external = os.environ.get(URL_ENV)
    if external:
        from urllib.parse import urlsplit

        parts = urlsplit(external)
        return Cluster(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password or "",
        )
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise ClusterUnavailable(
            "psycopg is not installed (pip install 'interview-bot[postgres]')"
        ) from exc
    bindir = find_bindir()
    account = _server_account()
    root = Path(tempfile.mkdtemp(prefix="ib-pg-"))
    try:
        if account is not None:
            os.chown(root, account.pw_uid, account.pw_gid)
        data, sockets = root / "data", root / "sock"
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
                "--no-instructions",
            ],
            account,
            timeout=120,
        )
        sockets.mkdir(mode=0o700)
        if account is not None:
            os.chown(sockets, account.pw_uid, account.pw_gid)
        last_error = ""
        for _attempt in range(3):  # a free port can be taken between choosing and binding it
            port = _free_port()
            log = open(root / "server.log", "ab")  # noqa: SIM115 - the server child owns it
            ids = {"user": account.pw_uid, "group": account.pw_gid} if account else {}
            process = subprocess.Popen(
                [
                    str(bindir / "postgres"),
                    "-D",
                    str(data),
                    "-p",
                    str(port),
                    "-k",
                    str(sockets),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=100",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **ids,
            )
            log.close()
            cluster = Cluster("127.0.0.1", port, "postgres", process=process, root=root)
            if _wait_ready(bindir, cluster):
                return cluster
            last_error = cluster.log_tail()
            cluster.root = None  # keep the files for the next attempt
            cluster.stop()
        raise ClusterUnavailable(f"the PostgreSQL server did not start:\n{last_error}")
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def _wait_ready(bindir: Path, cluster: Cluster) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if cluster.process is not None and cluster.process.poll() is not None:
            return False
        probe = subprocess.run(
            [
                str(bindir / "pg_isready"),
                "-q",
                "-h",
                cluster.host,
                "-p",
                str(cluster.port),
                "-U",
                cluster.user,
                "-t",
                "2",
            ],
            capture_output=True,
            timeout=10,
            check=False,
        )
        if probe.returncode == 0:
            return True
        time.sleep(0.1)
    return False


# --- Store backends for parametrised tests (fixtures in tests/conftest.py) ----------------------

BACKENDS = ("sqlite", "postgres")
REQUIRE_POSTGRES = os.environ.get("INTERVIEW_BOT_REQUIRE_POSTGRES") == "1"


def cluster_or_skip(pg_cluster: Cluster | str) -> Cluster:
    """The cluster, or skip the test with the reason there is none."""
    import pytest

    if isinstance(pg_cluster, str):
        pytest.skip(f"PostgreSQL unavailable: {pg_cluster}")
    return pg_cluster


@dataclass
class Backend:
    """One database of one backend: fresh stores on it, and raw SQL for checks the port lacks."""

    name: str
    url: str

    @property
    def display(self) -> str:
        """How error messages name this database: the file, or the URL without a password."""
        from bot.store import describe_url

        return (
            self.url.removeprefix("sqlite:///") if self.name == "sqlite" else describe_url(self.url)
        )

    def new_store(self) -> Store:
        from bot.store import store_for_url

        return store_for_url(self.url)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """One statement on a connection of its own, committed (sync: checks only). Placeholders
        are the backend's own (``?`` for SQLite, ``%s`` for PostgreSQL)."""
        if self.name == "sqlite":
            conn = sqlite3.connect(self.url.removeprefix("sqlite:///"))
            try:
                with conn:
                    return conn.execute(sql, params).fetchall()
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as pg:
            cur = pg.execute(sql, params)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

    def set_schema_version(self, version: int) -> None:
        from bot.store.postgres import VERSION_TABLE

        if self.name == "sqlite":
            self.query(f"PRAGMA user_version = {version}")
        else:
            self.query(f"UPDATE {VERSION_TABLE} SET version = {version}")

    def tables(self) -> dict[str, list[str]]:
        """Table -> column names, the backend's bookkeeping left out."""
        from bot.store.postgres import VERSION_TABLE

        if self.name == "sqlite":
            names = [r[0] for r in self.query("SELECT name FROM sqlite_master WHERE type='table'")]
            return {n: [r[1] for r in self.query(f"PRAGMA table_info({n})")] for n in names}
        rows = self.query(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        )
        out: dict[str, list[str]] = {}
        for table, column in rows:
            if table != VERSION_TABLE:
                out.setdefault(table, []).append(column)
        return out
