"""Per-slot memory and pids cgroups (cgroup v1), used when the bot may write them.

Why: rlimits cannot cap the JVM's or V8's real memory use well (see ``languages``), and a
cgroup also catches memory held by tmpfs files and by every process of a run together. This
machine class has cgroup v2 with only hugetlb but writable v1 ``memory`` and ``pids``
hierarchies, so v1 is what we support; where neither is writable the runner keeps its rlimits
and says so in the self-check (the documented weaker memory limit).

A run joins its slot's groups from a tiny ``sh`` prefix that writes its own pid to
``cgroup.procs`` before it ``exec``s the rest, so nothing of the run ever exists outside the
groups; the slot uid owns those two files so the prefix needs no privilege.
"""

from __future__ import annotations

import logging
import os
import signal
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

V1_ROOT = Path("/sys/fs/cgroup")
GROUP = "interview-bot"


@dataclass(frozen=True, slots=True)
class SlotCgroup:
    memory: Path
    pids: Path

    @property
    def procs_files(self) -> tuple[Path, Path]:
        return (self.memory / "cgroup.procs", self.pids / "cgroup.procs")

    def arm(self, memory_bytes: int, max_pids: int) -> None:
        """Set this run's limits and clear the previous run's counters."""
        memsw = self.memory / "memory.memsw.limit_in_bytes"
        has_memsw = memsw.exists()
        if has_memsw:
            # memsw must stay >= the memory limit at every step: lift it, set memory, lower it
            # again so swap cannot extend the cap.
            _write(memsw, "-1", quiet=True)
        _write(self.memory / "memory.limit_in_bytes", str(memory_bytes))
        if has_memsw:
            _write(memsw, str(memory_bytes), quiet=True)
        _write(self.memory / "memory.failcnt", "0", quiet=True)
        _write(self.pids / "pids.max", str(max_pids))

    def oom_kills(self) -> int:
        try:
            for line in (self.memory / "memory.oom_control").read_text().splitlines():
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
        except (OSError, ValueError):
            pass
        return 0

    def hit_limit(self) -> bool:
        try:
            return int((self.memory / "memory.failcnt").read_text().strip() or 0) > 0
        except (OSError, ValueError):
            return False

    def kill_all(self) -> int:
        """SIGKILL whatever is still in the groups (there should be nothing); returns the count."""
        killed = 0
        for procs in self.procs_files:
            try:
                pids = [int(p) for p in procs.read_text().split()]
            except (OSError, ValueError):
                continue
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
                except ProcessLookupError:
                    pass
        return killed


def _write(path: Path, value: str, *, quiet: bool = False) -> None:
    try:
        path.write_text(value)
    except OSError as exc:
        if not quiet:
            raise
        log.debug("cgroup write %s=%s failed: %s", path, value, exc)


def setup_slot(slot: int, uid: int, gid: int) -> SlotCgroup | None:
    """Create (or reuse) the slot's groups; ``None`` where cgroup v1 is absent or read-only.

    ``slot`` must be unique per uid (callers pass the uid's offset from the base uid)."""
    if os.geteuid() != 0:
        return None
    if (
        not (V1_ROOT / "memory" / "memory.limit_in_bytes").exists()
        or not (V1_ROOT / "pids" / "cgroup.procs").exists()
    ):
        return None  # no v1 hierarchies mounted (e.g. pure cgroup v2): never mkdir into v2
    memory = V1_ROOT / "memory" / GROUP / f"slot{slot}"
    pids = V1_ROOT / "pids" / GROUP / f"slot{slot}"
    try:
        for path in (memory, pids):
            path.mkdir(parents=True, exist_ok=True)
        group = SlotCgroup(memory, pids)
        for procs in group.procs_files:
            os.chown(procs, uid, gid)
        group.arm(256 * 1024 * 1024, 64)
        return group
    except OSError as exc:
        log.info("no writable cgroup v1 memory/pids hierarchy (%s): rlimits only", exc)
        return None
