"""Can this machine run candidates' code safely? Decide once, say why, never guess.

Strict mode (the default) needs all of: ``bwrap`` on the PATH, unprivileged user namespaces,
the right to switch to per-slot uids (root or CAP_SETUID+CAP_SETGID: the child must never run as
uid 0, and a per-run uid is what makes RLIMIT_NPROC a per-run cap — a fork bomb run *as root*
ignores RLIMIT_NPROC and can fill the machine's process table), and a probe run that proves the
child really sees that uid and that limit. Without them, coding rounds are refused with
:class:`SandboxUnavailable`.

``INTERVIEW_BOT_SANDBOX_MODE=weak`` (explicit opt-in, for a trusted single-user laptop) accepts
less: no bubblewrap (then no mount, pid or network isolation: the program sees the host's
files and network, limited only by rlimits, a private work dir and a non-root uid), or the
bot's own non-root uid instead of per-slot uids. Even weak mode never runs a program as root.
The variable is read here for now; it should move into ``bot.settings.Settings``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

MODE_ENV = "INTERVIEW_BOT_SANDBOX_MODE"
CAP_SETGID = 6
CAP_SETUID = 7


class SandboxUnavailable(RuntimeError):
    """Raised instead of running code when no sandbox of the configured strength works."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"Code execution is unavailable: {reason}. Coding rounds fall back to walkthroughs. "
            f"(Set {MODE_ENV}=weak to accept a documented weaker sandbox.)"
        )
        self.reason = reason


class Mode(StrEnum):
    STRICT = "strict"
    WEAK = "weak"


def configured_mode(environ: dict[str, str] | None = None) -> Mode:
    value = (environ if environ is not None else os.environ).get(MODE_ENV, "strict")
    try:
        return Mode(value.strip().lower() or "strict")
    except ValueError as exc:
        raise SandboxUnavailable(f"{MODE_ENV}={value!r} is not 'strict' or 'weak'") from exc


def can_switch_uid() -> bool:
    if os.geteuid() == 0:
        return True
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("CapEff:"):
                caps = int(line.split()[1], 16)
                return bool(caps & (1 << CAP_SETUID)) and bool(caps & (1 << CAP_SETGID))
    except (OSError, ValueError):
        pass
    return False


def userns_reason() -> str | None:
    """Why unprivileged user namespaces are off, or ``None`` when they look available."""
    checks = {
        "/proc/sys/user/max_user_namespaces": "0",
        "/proc/sys/kernel/unprivileged_userns_clone": "0",
        "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1",
    }
    for path, bad in checks.items():
        try:
            if Path(path).read_text().strip() == bad:
                return f"user namespaces are disabled ({path} = {bad})"
        except OSError:
            continue
    return None


@dataclass(slots=True)
class Report:
    """The self-check's findings: what works, and the reasons for what does not."""

    mode: Mode
    bwrap: str | None = None
    per_slot_uid: bool = False
    namespaces: bool = False
    seccomp: bool = False
    cgroup: bool = False
    probe_uid: int | None = None
    probe_nproc: int | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not self.problems

    def require(self) -> None:
        if self.problems:
            raise SandboxUnavailable("; ".join(self.problems))


def static_report(mode: Mode) -> Report:
    """Everything that can be checked without starting a process."""
    report = Report(mode=mode)
    report.bwrap = shutil.which("bwrap")
    report.per_slot_uid = can_switch_uid()
    ns_problem = userns_reason()
    report.namespaces = report.bwrap is not None and ns_problem is None
    if report.bwrap is None:
        missing = "bubblewrap (bwrap) is not installed"
        (report.notes if mode is Mode.WEAK else report.problems).append(missing)
    elif ns_problem:
        (report.notes if mode is Mode.WEAK else report.problems).append(ns_problem)
    if not report.per_slot_uid:
        if mode is Mode.STRICT:
            report.problems.append(
                "the bot cannot switch to per-run uids (needs root or CAP_SETUID/CAP_SETGID)"
            )
        elif os.geteuid() == 0:  # pragma: no cover - root can always switch
            report.problems.append("refusing to run programs as root")
        else:
            report.notes.append("programs run as the bot's own uid (weak mode)")
    return report
