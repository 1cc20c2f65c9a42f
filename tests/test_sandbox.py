"""The sandbox's escape suite (issue #7): hostile programs stay contained, in bounded time.

Order matters and is deliberate: the first test proves the child runs as an unprivileged
per-slot uid with RLIMIT_NPROC set; the fork tests go 10, 100, then the bomb. Every hostile
program runs only inside the sandbox (the runner refuses uid 0) and under a wall-clock limit.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from bot.ports import RunLimits
from bot.sandbox import seccomp
from bot.sandbox.languages import resolve
from bot.sandbox.local import LocalRunner, _Slot
from bot.sandbox.selfcheck import Mode, SandboxUnavailable, configured_mode, static_report

pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None or os.geteuid() != 0,
    reason="the strict sandbox needs bubblewrap (scripts/system-packages.txt) and root to "
    "switch to per-slot uids",
)

FAST = RunLimits(wall_seconds=5, cpu_seconds=3)


async def runner() -> LocalRunner:
    r = LocalRunner(mode=Mode.STRICT)
    report = await r.check()
    # Safety gate before anything hostile: the probe ran as a non-root slot uid with NPROC set.
    assert report.probe_uid is not None and 60000 <= report.probe_uid < 60100
    assert report.probe_nproc == 16
    return r


def sandbox_uid_processes(uids: list[int], grace: float = 1.0) -> list[int]:
    """Live processes of these sandbox uids; SIGKILLed ones being torn down get ``grace`` s."""
    deadline = time.monotonic() + grace
    while True:
        pids = []
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    if entry.stat().st_uid in uids:
                        state = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[0]
                        if state not in ("Z", "X"):
                            pids.append(int(entry.name))
                except (FileNotFoundError, ProcessLookupError, IndexError):
                    continue
        if not pids or time.monotonic() > deadline:
            return pids
        time.sleep(0.05)


async def test_child_runs_as_unprivileged_slot_uid_with_rlimits() -> None:
    r = await runner()
    code = (
        "import os, resource as R\n"
        "print(os.getuid(), os.geteuid(), os.getgid(), os.getgroups())\n"
        "for n in ('NPROC', 'CORE', 'FSIZE', 'NOFILE', 'CPU', 'AS'):\n"
        "    print(n, R.getrlimit(getattr(R, 'RLIMIT_' + n))[0])\n"
    )
    result = await r.run(code, "python", limits=FAST)
    assert result.status == "ok", result
    lines = result.stdout.splitlines()
    uid, euid, gid = (int(x) for x in lines[0].split()[:3])
    assert uid == euid == gid and 60000 <= uid < 60100
    limits = dict(line.split() for line in lines[1:])
    assert limits["NPROC"] == "16"
    assert limits["CORE"] == "0"
    assert int(limits["FSIZE"]) == FAST.file_bytes
    assert limits["NOFILE"] == str(FAST.open_files)
    assert limits["CPU"] == "3"
    assert int(limits["AS"]) > 0


def test_runner_refuses_uid_zero() -> None:
    r = LocalRunner(mode=Mode.STRICT)
    lang = resolve("python")
    assert lang is not None
    with pytest.raises(SandboxUnavailable, match="uid 0"):
        r._argv(_Slot(0, 0, 0), lang, "print(1)", "/box", FAST, -1, None)


async def test_reads_of_host_secrets_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "interview-bot.sqlite3"
    db.write_text("SECRET-DB-CONTENT")
    db.chmod(0o644)
    monkeypatch.setenv("DISCORD_TOKEN", "tok-SECRET-ENV")
    r = await runner()
    code = f"""
import os
found = []
for path in ["/etc/shadow", "/etc/passwd", {str(db)!r}, "/proc/{os.getpid()}/environ",
             "/proc/1/environ", "/root/.bashrc"]:
    try:
        data = open(path, "rb").read()
        found.append((path, data[:40]))
    except OSError as exc:
        pass
print("FOUND", found)
print("ENV", sorted(os.environ))
"""
    result = await r.run(code, "python", limits=FAST)
    assert result.status == "ok", result
    assert "SECRET" not in result.stdout
    assert "tok-" not in result.stdout
    assert "/etc/shadow" not in result.stdout.split("ENV")[0]
    assert "DISCORD_TOKEN" not in result.stdout


async def test_cannot_signal_the_bot() -> None:
    r = await runner()
    me = os.getpid()
    code = f"""
import os, signal
for pid in ({me}, {os.getppid()}, 1):
    try:
        os.kill(pid, signal.SIGTERM)
        print("sent", pid)
    except OSError as exc:
        print("denied", pid, type(exc).__name__)
"""
    result = await r.run(code, "python", limits=FAST)
    assert f"sent {me}" not in result.stdout
    assert f"sent {os.getppid()}" not in result.stdout
    # still alive: we are running this line


async def test_network_is_unreachable_and_fast() -> None:
    hits: list[object] = []
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                hits.append(server.accept())
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        r = await runner()
        # 192.0.2.1 is TEST-NET-1: a connect target only; it must fail at socket() or
        # connect() because the sandbox has no route at all, and no packet ever leaves.
        code = f"""
import socket, time
for host, port in (("127.0.0.1", {port}), ("192.0.2.1", 80), ("::1", {port})):
    t = time.monotonic()
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect((host, port))
        print("CONNECTED", host)
    except OSError as exc:
        print("failed", host, exc.errno, round(time.monotonic() - t, 3))
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
print("unix ok")
"""
        started = time.monotonic()
        result = await r.run(code, "python", limits=FAST)
        assert time.monotonic() - started < 4
        assert "CONNECTED" not in result.stdout, result.stdout
        assert result.stdout.count("failed") == 3
        assert "unix ok" in result.stdout
        assert not hits
    finally:
        stop.set()
        thread.join(timeout=2)
        server.close()


async def test_seccomp_blocks_inet_sockets_and_ptrace() -> None:
    if seccomp.filter_bytes() is None:
        pytest.skip("no seccomp filter on this architecture (documented)")
    r = await runner()
    code = """
import ctypes, errno, socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    print("inet allowed")
except OSError as exc:
    print("inet", errno.errorcode[exc.errno])
libc = ctypes.CDLL(None, use_errno=True)
print("ptrace", libc.ptrace(0, 0, 0, 0), errno.errorcode[ctypes.get_errno()])
print("unshare", libc.unshare(0x10000000), errno.errorcode[ctypes.get_errno()])
"""
    result = await r.run(code, "python", limits=FAST)
    assert "inet EAFNOSUPPORT" in result.stdout, result
    assert "ptrace -1 EPERM" in result.stdout
    assert "unshare -1 EPERM" in result.stdout


async def test_writes_outside_the_work_dir_fail(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    os.chmod(tmp_path, 0o777)
    r = await runner()
    code = f"""
import os
ok = []
for path in ["/usr/pwned", "/etc/pwned", "/pwned", {str(target)!r}, "/proc/sys/kernel/pwned",
             "/box/fine.txt", "/tmp/fine2.txt"]:
    try:
        with open(path, "w") as fh:
            fh.write("x")
        ok.append(path)
    except OSError:
        pass
print(ok)
"""
    result = await r.run(code, "python", limits=FAST)
    assert result.stdout.strip() == "['/box/fine.txt', '/tmp/fine2.txt']", result
    shm = await r.run("open('/dev/shm/x','wb').write(b'x' * (8 << 20))", "python", limits=FAST)
    assert shm.status != "ok"  # /dev/shm is a 4 MiB tmpfs
    assert not on_host(target) and not on_host("/usr/pwned")


FORKS = """
import os, time
ok = fail = 0
for _ in range({n}):
    try:
        pid = os.fork()
    except OSError:
        fail += 1
        continue
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    ok += 1
print(ok, fail)
"""


@pytest.mark.parametrize("n", [10, 100, 3000])
async def test_forks_are_capped_per_run(n: int) -> None:
    r = await runner()
    started = time.monotonic()
    result = await r.run(FORKS.format(n=n), "python", limits=FAST)
    assert time.monotonic() - started < 8
    ok, fail = (int(x) for x in result.stdout.split())
    assert ok + fail == n
    assert ok <= 15  # RLIMIT_NPROC 16 counts the program itself
    assert not sandbox_uid_processes(r.uids)


def on_host(path: str | Path) -> bool:
    return os.path.exists(path)


def host_can_fork() -> bool:
    return os.waitpid(os.spawnv(os.P_NOWAIT, "/bin/true", ["true"]), 0)[1] == 0


async def test_fork_bomb_is_contained() -> None:
    r = await runner()
    bomb = (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    )
    before = len(os.listdir("/proc"))
    started = time.monotonic()
    result = await r.run(bomb, "python", limits=RunLimits(wall_seconds=2, cpu_seconds=2))
    assert time.monotonic() - started < 6
    assert result.status == "timeout"
    assert not sandbox_uid_processes(r.uids)
    assert len(os.listdir("/proc")) < before + 50
    # the host can still fork
    assert host_can_fork()


async def test_allocating_4gb_is_a_memory_verdict() -> None:
    r = await runner()
    result = await r.run("b = bytearray(4 * 1024**3)\nprint(len(b))", "python", limits=FAST)
    assert result.status == "memory", result


async def test_infinite_loop_times_out() -> None:
    r = await runner()
    started = time.monotonic()
    result = await r.run("while True:\n    pass\n", "python", limits=RunLimits(wall_seconds=1.5))
    assert result.status == "timeout"
    assert time.monotonic() - started < 4


async def test_writing_1gb_is_stopped() -> None:
    r = await runner()
    code = """
import os
chunk = b"x" * (1 << 20)
written = 0
try:
    with open("/box/big", "wb") as fh:
        for _ in range(1024):
            fh.write(chunk)
            written += len(chunk)
except OSError as exc:
    print("stopped", written >> 20, exc.errno)
"""
    result = await r.run(code, "python", limits=FAST)
    assert "stopped" in result.stdout, result
    assert int(result.stdout.split()[1]) <= 32


async def test_printing_100mb_hits_the_output_cap() -> None:
    r = await runner()
    code = "import sys\nfor _ in range(100):\n    sys.stdout.write('y' * (1 << 20))\n"
    started = time.monotonic()
    result = await r.run(code, "python", limits=FAST)
    assert result.status == "output_limit"
    assert result.truncated
    assert len(result.stdout) <= FAST.output_bytes
    assert time.monotonic() - started < 5


async def test_setsid_orphan_dies_with_the_run() -> None:
    r = await runner()
    code = """
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        while True:
            time.sleep(0.1)
    os._exit(0)
time.sleep(0.3)
print("parent leaves")
"""
    result = await r.run(code, "python", limits=FAST)
    assert result.status == "ok"
    assert not sandbox_uid_processes(r.uids)


async def test_runtime_error_and_exit_codes() -> None:
    r = await runner()
    result = await r.run("import sys\nprint('x')\nraise ValueError('boom')", "python")
    assert result.status == "runtime_error"
    assert result.exit_code == 1
    assert "ValueError: boom" in result.stderr
    assert result.stdout == "x\n"
    stdin = await r.run("print(input()[::-1])", "python", stdin="abc\n")
    assert stdin.stdout == "cba\n"


async def test_other_languages_compile_and_run() -> None:
    r = await runner()
    programs = {
        "javascript": ("console.log(6 * 7)", "42"),
        "cpp": ("#include <iostream>\nint main(){ std::cout << 6 * 7 << std::endl; }", "42"),
        "java": (
            "public class Answer { public static void main(String[] a) {"
            " System.out.println(6 * 7); } }",
            "42",
        ),
    }
    from bot.sandbox.languages import unavailable_reason

    ran = []
    for lang, (code, want) in programs.items():
        spec = resolve(lang)
        assert spec is not None
        if unavailable_reason(spec):
            continue
        result = await r.run(code, lang, limits=RunLimits(wall_seconds=10, cpu_seconds=8))
        assert result.status == "ok", (lang, result)
        assert result.stdout.strip() == want
        ran.append(lang)
    if "cpp" in ran:
        bad = await r.run("int main() { return x; }", "cpp")
        assert bad.status == "compile_error"
        assert "x" in bad.stderr
    if not ran:
        pytest.skip("no node, g++ or javac on this machine")


def test_mode_and_static_report(monkeypatch: pytest.MonkeyPatch) -> None:
    assert configured_mode({}) is Mode.STRICT
    assert configured_mode({"INTERVIEW_BOT_SANDBOX_MODE": "weak"}) is Mode.WEAK
    with pytest.raises(SandboxUnavailable):
        configured_mode({"INTERVIEW_BOT_SANDBOX_MODE": "off"})
    monkeypatch.setattr(shutil, "which", lambda name: None)
    strict = static_report(Mode.STRICT)
    assert not strict.usable and "bubblewrap" in strict.problems[0]
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        strict.require()
    assert static_report(Mode.WEAK).usable


async def test_weak_mode_without_bubblewrap_still_drops_root(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import bot.sandbox.selfcheck as selfcheck

    monkeypatch.setattr(selfcheck.shutil, "which", lambda name: None)
    strict = LocalRunner(mode=Mode.STRICT)
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        await strict.run("print(1)", "python")
    weak = LocalRunner(mode=Mode.WEAK)
    result = await weak.run("import os\nprint(os.getuid(), sorted(os.environ))", "python")
    assert result.status == "ok", result
    uid = int(result.stdout.split()[0])
    assert uid != 0 and uid in weak.uids
    assert "DISCORD_TOKEN" not in result.stdout
    assert weak.report is not None and not weak.report.namespaces
