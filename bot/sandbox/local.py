"""``LocalRunner``: candidates' programs in bubblewrap, as a per-slot unprivileged uid.

One run is one process tree started like this (strict mode)::

    [sh -c 'join cgroups; exec "$@"']            only where cgroup v1 is writable
      prlimit --nproc --nofile --core=0 --fsize --cpu --as|--data   as uid 60000+slot
        bwrap --unshare-all --unshare-user --disable-userns --die-with-parent --new-session
              --clearenv, read-only /usr, tmpfs /box (size-capped), --proc, --dev, --seccomp
          python3 /box/main.py                   (or sh: compile, marker, prlimit …, exec ./main)

Why each piece:
- The uid switch happens *before* bwrap (``subprocess``'s ``user=``/``group=``), so bwrap runs
  unprivileged and the program's real kernel uid is the slot uid; RLIMIT_NPROC then counts only
  this run's processes. bwrap started as root maps the sandbox uid back to root, and root
  ignores RLIMIT_NPROC: a fork bomb escapes (measured, issue #7). :meth:`LocalRunner._argv`
  refuses a uid of 0 outright.
- Namespaces: no network (no routes at all, so connects fail immediately), own pid namespace
  (killing its init kills every process, setsid'ed orphans included), no further user
  namespaces, no host files but ``/usr``.
- rlimits are applied by ``prlimit`` before bwrap and inherited; compiled languages get the
  compile limits first and the run limits are applied by a second ``prlimit`` right before the
  program is exec'd (limits only go down).
- Output is read incrementally from pipes; past the cap the run is killed. Stdin comes from a
  memfd, so a large input never blocks on a pipe.
- At the end the process group is SIGKILLed, then the slot's cgroup and every process still
  owned by the slot uid (belt and braces: nothing should be left).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import secrets
import shlex
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.ports import RunLimits, RunResult
from bot.sandbox import cgroup, seccomp
from bot.sandbox.languages import Language, MemoryRule, resolve, unavailable_reason
from bot.sandbox.selfcheck import Mode, Report, SandboxUnavailable, configured_mode, static_report

log = logging.getLogger(__name__)

DEFAULT_LIMITS = RunLimits()
BASE_UID = 60000
UID_RANGE = 100
BOX = "/box"
PRLIMIT = "/usr/bin/prlimit"
_MEMORY_MARKERS = (
    "MemoryError",
    "std::bad_alloc",
    "OutOfMemoryError",
    "heap out of memory",
    "Allocation failed",
    "out of memory",
    "memory allocation of",
    "Cannot allocate memory",
    "Failed to reserve virtual memory",
)


@dataclass(slots=True)
class _Slot:
    index: int
    uid: int
    gid: int
    group: cgroup.SlotCgroup | None = None


@dataclass(slots=True)
class _Capture:
    cap: int
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    overflow: bool = False
    marker_at: float | None = None

    def total(self) -> int:
        return len(self.stdout) + len(self.stderr)


class LocalRunner:
    """The default :class:`bot.ports.CodeRunner`: bubblewrap on this machine.

    ``slots`` runs may be in flight at once, each under its own uid (60000 + slot); further
    calls wait for a free slot (use :class:`bot.sandbox.pool.RunnerPool` to be told about the
    wait). The self-check runs once, on first use, and its :class:`Report` is kept.
    """

    def __init__(
        self,
        slots: int = 2,
        *,
        mode: Mode | None = None,
        base_uid: int = BASE_UID,
        work_mb: int = 32,
        use_cgroup: bool = True,
    ) -> None:
        self.mode = mode if mode is not None else configured_mode()
        self.base_uid = base_uid
        self.work_bytes = work_mb * 1024 * 1024
        self.use_cgroup = use_cgroup
        self._slots_total = slots
        self._free: asyncio.Queue[_Slot] | None = None
        self._report: Report | None = None
        self._check_lock: asyncio.Lock | None = None
        self._filter = seccomp.filter_bytes()
        self._leases: list[int] = []
        self._leased_uids: list[int] = []

    # ------------------------------------------------------------------ public

    async def run(
        self, code: str, language: str, stdin: str = "", limits: RunLimits = DEFAULT_LIMITS
    ) -> RunResult:
        lang = resolve(language)
        if lang is None:
            return RunResult("refused", None, stderr=f"unsupported language: {language!r}")
        reason = unavailable_reason(lang)
        if reason:
            return RunResult("refused", None, stderr=reason, language=lang.name)
        await self.check()
        assert self._free is not None
        slot = await self._free.get()
        try:
            return await self._execute(slot, lang, code, stdin.encode(), limits)
        finally:
            self._free.put_nowait(slot)

    async def check(self) -> Report:
        """Run the self-check once; raise :class:`SandboxUnavailable` when it failed."""
        if self._check_lock is None:
            self._check_lock = asyncio.Lock()
        async with self._check_lock:
            if self._report is None:
                self._report = await self._selfcheck()
        self._report.require()
        return self._report

    @property
    def report(self) -> Report | None:
        return self._report

    @property
    def uids(self) -> list[int]:
        """The uids this runner has leased (empty before the self-check)."""
        return sorted({uid for uid in self._leased_uids})

    def close(self) -> None:
        """Give the leased uids back (also done when the runner is garbage-collected)."""
        while self._leases:
            with contextlib.suppress(OSError):
                os.close(self._leases.pop())
        self._leased_uids.clear()

    def __del__(self) -> None:
        if hasattr(self, "_leases"):  # __init__ may have raised (a bad INTERVIEW_BOT_SANDBOX_MODE)
            self.close()

    @property
    def sandboxed(self) -> bool:
        """Whether runs go through bubblewrap (false only in weak mode without it)."""
        return self._report is not None and self._report.namespaces

    # ------------------------------------------------------------- self-check

    async def _selfcheck(self) -> Report:
        report = static_report(self.mode)
        report.seccomp = self._filter is not None and report.namespaces
        if self._filter is None:
            report.notes.append("no seccomp filter for this CPU architecture")
        if report.problems:
            return report
        uid_base = self.base_uid if report.per_slot_uid else os.getuid()
        if uid_base == 0:
            report.problems.append("refusing to run programs as uid 0")
            return report
        slots: list[_Slot] = []
        for i in range(self._slots_total):
            if report.per_slot_uid:
                uid = self._lease_uid(uid_base)
                gid = uid
            else:
                uid, gid = uid_base, os.getgid()
            group = cgroup.setup_slot(uid - uid_base, uid, gid) if self.use_cgroup else None
            slots.append(_Slot(i, uid, gid, group))
        free: asyncio.Queue[_Slot] = asyncio.Queue()
        for slot_ in slots:
            free.put_nowait(slot_)
        report.cgroup = all(s.group is not None for s in slots)
        if not report.cgroup:
            report.notes.append("no writable memory cgroup: memory limited by rlimits only")
        self._report = report  # the probe below goes through _execute
        # The probe: prove the child runs as the slot uid with RLIMIT_NPROC set, before anything
        # hostile is ever run.
        probe = (
            "import os, resource\n"
            "print(os.getuid(), os.getgid(), resource.getrlimit(resource.RLIMIT_NPROC)[0])\n"
        )
        lang = resolve("python")
        assert lang is not None
        slot = free.get_nowait()
        try:
            result = await self._execute(slot, lang, probe, b"", RunLimits(wall_seconds=10))
        except Exception as exc:  # a crashed probe proves nothing: refuse, with the reason
            report.problems.append(f"sandbox probe crashed: {exc!r}")
            return report
        finally:
            free.put_nowait(slot)
        try:
            uid, _gid, nproc = (int(x) for x in result.stdout.split())
        except ValueError:
            report.problems.append(
                f"sandbox probe failed ({result.status}): {result.stderr.strip()[-300:]}"
            )
            return report
        report.probe_uid, report.probe_nproc = uid, nproc
        if uid == 0 or uid != slot.uid:
            report.problems.append(f"sandbox probe ran as uid {uid}, expected {slot.uid}")
        if nproc != lang.nproc:
            report.problems.append(f"sandbox probe saw RLIMIT_NPROC={nproc}, expected {lang.nproc}")
        self._free = free
        return report

    def _lease_uid(self, base: int) -> int:
        """Claim a uid no other runner on this host holds (an flock held for our lifetime).

        Two bots, or a bot and a test run, on one host must never share a slot uid: RLIMIT_NPROC
        would be shared and the end-of-run sweep would kill the other's processes.
        """
        lock_dir = Path("/run/interview-bot-sandbox")
        lock_dir.mkdir(mode=0o700, exist_ok=True)
        busy = _uids_with_processes()
        for uid in range(base, base + UID_RANGE):
            if uid in busy:
                continue  # something (a dying run, another tool) still owns processes there
            fd = os.open(lock_dir / f"{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self._leases.append(fd)
            self._leased_uids.append(uid)
            return uid
        raise SandboxUnavailable(f"all {UID_RANGE} sandbox uids from {base} are in use")

    # ---------------------------------------------------------------- command

    def _argv(
        self,
        slot: _Slot,
        lang: Language,
        code: str,
        box: str,
        limits: RunLimits,
        seccomp_fd: int,
        group: cgroup.SlotCgroup | None,
    ) -> tuple[list[str], dict[str, int], str]:
        """The full command line, the fds to pass (name -> fd) and the compile marker."""
        if slot.uid == 0:
            raise SandboxUnavailable("refusing to run programs as uid 0")
        src = lang.source_for(code)
        fmt = {
            "box": box,
            "src": src,
            "main": lang.main_class(code),
            "mem": str(limits.memory_mb),
        }
        run_cmd = [part.format(**fmt) for part in lang.run]
        nproc = limits.processes or lang.nproc
        marker = ""
        if lang.compile is None:
            outer = self._prlimits(lang, limits, nproc)
            inner = run_cmd
        else:
            marker = f"--compiled-{secrets.token_hex(8)}--"
            compile_limits = RunLimits(
                wall_seconds=lang.compile_wall_seconds,
                cpu_seconds=lang.compile_cpu_seconds,
                memory_mb=lang.compile_memory_mb,
                file_bytes=max(limits.file_bytes, 64 * 1024 * 1024),
                open_files=max(limits.open_files, 256),
            )
            outer = self._prlimits(lang, compile_limits, max(nproc, 64), compile=True)
            compile_cmd = " ".join(_sh_quote(p.format(**fmt)) for p in lang.compile)
            run_limits = " ".join(self._prlimits(lang, limits, nproc)[1:])
            script = (
                f"cd {box} || exit 1\n"
                f"if ! {compile_cmd} >{box}/.compile.log 2>&1; then "
                f"head -c 65536 {box}/.compile.log >&2; exit 1; fi\n"
                f"rm -f {box}/.compile.log\n"
                f"printf '%s\\n' '{marker}' >&2\n"
                f"exec {PRLIMIT} {run_limits} -- {' '.join(_sh_quote(p) for p in run_cmd)}\n"
            )
            inner = ["/bin/sh", "-c", script]
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": box,
            "TMPDIR": box,
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
            **dict(lang.env),
        }
        if self.sandboxed:
            argv = [
                "bwrap",
                "--unshare-all",
                "--unshare-user",
                "--disable-userns",
                "--die-with-parent",
                "--new-session",
                "--clearenv",
                "--unshare-pid",
                "--as-pid-1",
                "--uid",
                str(slot.uid),
                "--gid",
                str(slot.gid),
                "--ro-bind",
                "/usr",
                "/usr",
                "--symlink",
                "usr/bin",
                "/bin",
                "--symlink",
                "usr/lib",
                "/lib",
                "--symlink",
                "usr/lib64",
                "/lib64",
                "--symlink",
                "usr/sbin",
                "/sbin",
                "--ro-bind-try",
                "/etc/ld.so.cache",
                "/etc/ld.so.cache",
            ]
            for path in lang.ro_binds:
                argv += ["--ro-bind-try", path, path]
            argv += [
                "--proc",
                "/proc",
                "--dev",
                "/dev",
                # --dev is an unbounded tmpfs: give /dev/shm its own small one, then freeze /dev
                "--size",
                str(4 * 1024 * 1024),
                "--tmpfs",
                "/dev/shm",
                "--remount-ro",
                "/dev",
                "--size",
                str(self.work_bytes),
                "--tmpfs",
                box,
                "--symlink",
                box,
                "/tmp",
                "--chdir",
                box,
                "--hostname",
                "sandbox",
            ]
            for key, value in env.items():
                argv += ["--setenv", key, value.replace("/box", box)]
            fds = {"src": -1}
            argv += ["--file", "{src_fd}", f"{box}/{src}"]
            # The root is bwrap's own tmpfs, unbounded in size: make it read-only so the only
            # writable places are the size-capped /box (and /tmp, a link to it) and /dev/shm.
            argv += ["--remount-ro", "/"]
            if seccomp_fd >= 0:
                argv += ["--seccomp", str(seccomp_fd)]
                fds["seccomp"] = seccomp_fd
            argv += ["--", *inner]
            full = [*outer, "--", *argv]
        else:
            full = [
                *outer,
                "--",
                "/usr/bin/env",
                "-i",
                *(f"{k}={v}" for k, v in env.items()),
                *inner,
            ]
            fds = {}
        if group is not None:
            join = " ".join(f"echo $$ > {p} &&" for p in group.procs_files)
            full = ["/bin/sh", "-c", f'{join} exec "$@"', "sh", *full]
        return full, fds, marker

    def _prlimits(
        self, lang: Language, limits: RunLimits, nproc: int, *, compile: bool = False
    ) -> list[str]:
        factor = 1.0 if compile else lang.time_factor
        cpu = max(1, int(limits.cpu_seconds * factor + 0.999))
        memory = (limits.memory_mb + lang.memory_overhead_mb) * 1024 * 1024
        mem_flag = "--as" if lang.memory_rule is MemoryRule.ADDRESS_SPACE else "--data"
        return [
            PRLIMIT,
            f"--nproc={nproc}",
            f"--nofile={limits.open_files}",
            "--core=0",
            f"--fsize={limits.file_bytes}",
            f"--cpu={cpu}:{cpu + 1}",
            f"{mem_flag}={memory}",
            f"--stack={lang.stack_mb * 1024 * 1024}",
        ]

    # ---------------------------------------------------------------- execute

    async def _execute(
        self, slot: _Slot, lang: Language, code: str, stdin: bytes, limits: RunLimits
    ) -> RunResult:
        if self._report is None:  # pragma: no cover - run() always checks first
            raise SandboxUnavailable("self-check has not run")
        workdir: tempfile.TemporaryDirectory[str] | None = None
        box = BOX
        if not self.sandboxed:
            workdir = tempfile.TemporaryDirectory(prefix="interview-bot-run-")
            box = workdir.name
            os.chown(box, slot.uid, slot.gid)
            os.chmod(box, 0o700)
            src_path = os.path.join(box, lang.source_for(code))
            with open(src_path, "w", encoding="utf-8") as fh:  # noqa: ASYNC230 - tmpfs, tiny
                fh.write(code)
            os.chown(src_path, slot.uid, slot.gid)
        opened: list[int] = []
        try:
            seccomp_fd = -1
            if self.sandboxed and self._filter is not None:
                seccomp_fd = _memfd("seccomp", self._filter)
                opened.append(seccomp_fd)
            # Joining a v1 cgroup costs an RCU grace period (tens of ms), so only the runtimes
            # that rlimits cannot hold (JVM, V8, Go: RLIMIT_DATA) pay for it; RLIMIT_AS holds
            # Python and C++ exactly.
            group = slot.group if lang.memory_rule is MemoryRule.DATA else None
            argv, fds, marker = self._argv(slot, lang, code, box, limits, seccomp_fd, group)
            if "src" in fds:
                src_fd = _memfd("src", code.encode("utf-8"))
                opened.append(src_fd)
                argv = [str(src_fd) if a == "{src_fd}" else a for a in argv]
                fds["src"] = src_fd
            stdin_fd = _memfd("stdin", stdin)
            opened.append(stdin_fd)
            if group is not None:
                nproc = limits.processes or lang.nproc
                group.arm(
                    (limits.memory_mb + lang.memory_overhead_mb) * 1024 * 1024 + self.work_bytes,
                    max(nproc, 64 if lang.compile else nproc) + 8,
                )
            oom_before = group.oom_kills() if group else 0
            return await self._spawn_and_wait(
                slot, group, lang, argv, list(fds.values()), stdin_fd, limits, marker, oom_before
            )
        finally:
            for fd in opened:
                with contextlib.suppress(OSError):
                    os.close(fd)
            if workdir is not None:
                workdir.cleanup()

    async def _spawn_and_wait(
        self,
        slot: _Slot,
        group: cgroup.SlotCgroup | None,
        lang: Language,
        argv: Sequence[str],
        pass_fds: list[int],
        stdin_fd: int,
        limits: RunLimits,
        marker: str,
        oom_before: int,
    ) -> RunResult:
        loop = asyncio.get_running_loop()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        started = time.monotonic()
        try:
            proc = subprocess.Popen(  # noqa: ASYNC220 - spawn only; waiting is via a pidfd
                argv,
                stdin=stdin_fd,
                stdout=out_w,
                stderr=err_w,
                pass_fds=pass_fds,
                user=slot.uid if slot.uid != os.getuid() else None,
                group=slot.gid if slot.gid != os.getgid() else None,
                extra_groups=[] if os.geteuid() == 0 else None,
                start_new_session=True,
                cwd="/",
                env={"PATH": "/usr/bin:/bin"},
            )
        finally:
            os.close(out_w)
            os.close(err_w)
        capture = _Capture(cap=limits.output_bytes)
        exited = asyncio.Event()
        pidfd = os.pidfd_open(proc.pid)
        loop.add_reader(pidfd, exited.set)
        for fd, buf in ((out_r, capture.stdout), (err_r, capture.stderr)):
            os.set_blocking(fd, False)
            loop.add_reader(fd, _reader(fd, buf, capture, marker, exited))
        run_wall = limits.wall_seconds * lang.time_factor
        deadline = started + (lang.compile_wall_seconds + run_wall if marker else run_wall)
        timed_out = False
        try:
            while not exited.is_set():
                if capture.overflow:
                    break
                if marker and capture.marker_at is not None:
                    deadline = min(deadline, capture.marker_at + run_wall)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(exited.wait(), timeout=min(remaining, 0.05))
        finally:
            if not exited.is_set() or capture.overflow:
                await _kill_tree(proc.pid, exited)
            _kill_group(proc.pid)
            loop.remove_reader(pidfd)
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)  # noqa: ASYNC222 - WNOHANG
            if pid == 0:
                _, status, rusage = await loop.run_in_executor(None, os.wait4, proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            os.close(pidfd)
            for fd, buf in ((out_r, capture.stdout), (err_r, capture.stderr)):
                loop.remove_reader(fd)
                _drain(fd, buf, capture)
                os.close(fd)
            ended = time.monotonic()
            if group is not None:
                group.kill_all()
            _kill_uid(slot.uid)
        return self._result(
            lang,
            proc.returncode,
            capture,
            marker,
            started,
            ended,
            rusage,
            timed_out,
            group,
            oom_before,
            limits,
        )

    def _result(
        self,
        lang: Language,
        returncode: int,
        capture: _Capture,
        marker: str,
        started: float,
        ended: float,
        rusage: object,
        timed_out: bool,
        group: cgroup.SlotCgroup | None,
        oom_before: int,
        limits: RunLimits,
    ) -> RunResult:
        cpu_ms = (getattr(rusage, "ru_utime", 0.0) + getattr(rusage, "ru_stime", 0.0)) * 1000
        stderr_bytes = bytes(capture.stderr)
        compiled = not marker or capture.marker_at is not None
        compile_ms = 0.0
        run_started = started
        if marker and capture.marker_at is not None:
            compile_ms = (capture.marker_at - started) * 1000
            run_started = capture.marker_at
            token = marker.encode() + b"\n"
            stderr_bytes = stderr_bytes.split(token, 1)[1] if token in stderr_bytes else b""
        stdout = _decode(bytes(capture.stdout), limits.output_bytes)
        stderr = _decode(stderr_bytes, limits.output_bytes)
        exit_code = returncode if returncode >= 0 else 128 - returncode
        signalled = exit_code > 128 and exit_code - 128 in (9, 24, 25, 6, 11)
        oom = group is not None and group.oom_kills() > oom_before
        wall_ms = (ended - run_started) * 1000
        common = {
            "stdout": stdout,
            "stderr": stderr,
            "wall_ms": round(wall_ms, 1),
            "cpu_ms": round(cpu_ms, 1),
            "compile_ms": round(compile_ms, 1),
            "language": lang.name,
            "truncated": capture.overflow,
        }
        if capture.overflow:
            return RunResult("output_limit", exit_code, **common)  # type: ignore[arg-type]
        if not compiled:
            status = "timeout" if timed_out else "compile_error"
            return RunResult(status, exit_code, **common)  # type: ignore[arg-type]
        if timed_out or exit_code in (128 + signal.SIGXCPU,):
            return RunResult("timeout", exit_code, **common)  # type: ignore[arg-type]
        if oom or (exit_code != 0 and any(m in stderr[-4000:] for m in _MEMORY_MARKERS)):
            return RunResult("memory", exit_code, **common)  # type: ignore[arg-type]
        if exit_code == 128 + signal.SIGXFSZ:
            return RunResult("output_limit", exit_code, **common)  # type: ignore[arg-type]
        if exit_code == 0:
            return RunResult("ok", 0, **common)  # type: ignore[arg-type]
        if signalled and exit_code == 128 + signal.SIGKILL and cpu_ms >= limits.cpu_seconds * 900:
            return RunResult("timeout", exit_code, **common)  # type: ignore[arg-type]
        return RunResult("runtime_error", exit_code, **common)  # type: ignore[arg-type]


def _reader(
    fd: int, buf: bytearray, capture: _Capture, marker: str, exited: asyncio.Event
) -> Callable[[], None]:
    token = marker.encode()

    def on_readable() -> None:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            asyncio.get_running_loop().remove_reader(fd)
            return
        room = capture.cap - capture.total()
        if marker and capture.marker_at is None and buf is capture.stderr:
            buf.extend(chunk)  # compile output is capped by the script itself
            if token in buf:
                capture.marker_at = time.monotonic()
            return
        if len(chunk) > room:
            buf.extend(chunk[: max(room, 0)])
            capture.overflow = True
            exited.set()
            return
        buf.extend(chunk)

    return on_readable


def _drain(fd: int, buf: bytearray, capture: _Capture) -> None:
    while not capture.overflow:
        try:
            chunk = os.read(fd, 65536)
        except (BlockingIOError, OSError):
            return
        if not chunk:
            return
        room = capture.cap - capture.total()
        if len(chunk) > room:
            buf.extend(chunk[: max(room, 0)])
            capture.overflow = True
            return
        buf.extend(chunk)


def _decode(data: bytes, cap: int) -> str:
    return data[:cap].decode("utf-8", errors="replace")


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(f"interview-bot-{name}", 0)
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


async def _kill_tree(pid: int, exited: asyncio.Event) -> None:
    """Kill the sandbox's pid 1 first so bwrap reaps it; killing bwrap first would orphan it to
    the host's init, and an unreaped zombie still counts against the slot's RLIMIT_NPROC."""
    try:
        children = [
            int(c)
            for task in os.scandir(f"/proc/{pid}/task")
            for c in _read(os.path.join(task.path, "children")).split()
        ]
    except OSError:
        children = []
    for child in children:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(child, signal.SIGKILL)
    if children:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(exited.wait(), timeout=0.5)


def _read(path: str) -> str:
    with open(path) as fh:
        return fh.read()


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _uids_with_processes() -> set[int]:
    uids = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                uids.add(entry.stat().st_uid)
    return uids


def _kill_uid(uid: int) -> int:
    """SIGKILL every process the slot uid still owns (only when we may: root, distinct uid)."""
    if os.geteuid() != 0 or uid == os.getuid():
        return 0
    killed = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    if killed:
        log.debug("killed %d leftover process(es) of sandbox uid %d", killed, uid)
    return killed


def _sh_quote(part: str) -> str:
    return shlex.quote(part)
