"""A seccomp-BPF filter for sandboxed programs, assembled here in pure Python.

Why hand-assembled rather than ``pyseccomp``: the filter is small (an arch check, a deny list and
one argument check on ``socket``), and writing the classic-BPF program directly means no new
runtime dependency and no libseccomp ABI to track. bubblewrap loads it with ``--seccomp FD``
right before it executes the sandboxed program, so bwrap itself (which needs netlink and mount)
is not filtered.

What it does, on x86_64 only (other architectures get no filter and rely on the empty network
namespace and bubblewrap's dropped capabilities; :func:`filter_bytes` returns ``None`` there):
- a foreign architecture (i386 entry, x32 ABI) kills the process: the deny list below only
  names x86_64 numbers, so any other ABI would bypass it;
- ``socket()`` for any family but ``AF_UNIX`` fails with ``EAFNOSUPPORT`` (no IP, netlink,
  packet or vsock sockets even if a network namespace were misconfigured);
- kernel attack surface the programs never need fails with ``EPERM``: ptrace, mount family,
  bpf, perf, io_uring, keyrings, namespaces, module loading, userfaultfd, process_vm_*, …;
- memory a run could pin outside its rlimits fails with ``EPERM``: SysV shm/msg, memfd.
"""

from __future__ import annotations

import errno
import platform
import struct

AUDIT_ARCH_X86_64 = 0xC000003E
_X32_SYSCALL_BIT = 0x40000000

_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_RET_ALLOW = 0x7FFF0000

_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K

_OFF_NR = 0
_OFF_ARCH = 4
_OFF_ARG0 = 16  # low 32 bits of args[0] (little endian)

AF_UNIX = 1
SYS_SOCKET = 41

#: x86_64 syscall numbers denied with EPERM (checked against asm/unistd_64.h).
DENIED_X86_64: dict[str, int] = {
    # SysV shared memory and message queues outlive detach (until the IPC namespace dies) and
    # are not counted by RLIMIT_AS; memfd pages neither: all three could pin host memory.
    "shmget": 29,
    "msgget": 68,
    "memfd_create": 319,
    "ptrace": 101,
    "syslog": 103,
    "uselib": 134,
    "vhangup": 153,
    "pivot_root": 155,
    "chroot": 161,
    "acct": 163,
    "mount": 165,
    "umount2": 166,
    "swapon": 167,
    "swapoff": 168,
    "reboot": 169,
    "iopl": 172,
    "ioperm": 173,
    "init_module": 175,
    "delete_module": 176,
    "quotactl": 179,
    "lookup_dcookie": 212,
    "kexec_load": 246,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "unshare": 272,
    "perf_event_open": 298,
    "fanotify_init": 300,
    "name_to_handle_at": 303,
    "open_by_handle_at": 304,
    "setns": 308,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "kcmp": 312,
    "finit_module": 313,
    "kexec_file_load": 320,
    "bpf": 321,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "pidfd_getfd": 438,
    "mount_setattr": 442,
}


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def build_x86_64() -> bytes:
    """The filter program as the ``struct sock_filter[]`` bytes bwrap's ``--seccomp`` expects."""
    denied = sorted(DENIED_X86_64.values())
    n = len(denied)
    # Layout (indices): 0 ld arch | 1 jeq arch | 2 ld nr | 3 jge x32 | 4 jeq socket |
    # 5..5+n-1 jeq denied | A=5+n ret allow | E=A+1 ret EPERM | K=A+2 ret kill |
    # S=A+3 ld arg0 | S+1 jeq AF_UNIX | S+2 ret EAFNOSUPPORT | S+3 ret allow
    allow = 5 + n
    eperm = allow + 1
    kill = allow + 2
    sock = allow + 3
    prog = [
        _insn(_LD_W_ABS, 0, 0, _OFF_ARCH),
        _insn(_JEQ_K, 0, kill - 2, AUDIT_ARCH_X86_64),
        _insn(_LD_W_ABS, 0, 0, _OFF_NR),
        _insn(_JGE_K, kill - 4, 0, _X32_SYSCALL_BIT),
        _insn(_JEQ_K, sock - 5, 0, SYS_SOCKET),
    ]
    for i, nr in enumerate(denied):
        here = 5 + i
        prog.append(_insn(_JEQ_K, eperm - here - 1, 0, nr))
    prog += [
        _insn(_RET_K, 0, 0, _RET_ALLOW),
        _insn(_RET_K, 0, 0, _RET_ERRNO | errno.EPERM),
        _insn(_RET_K, 0, 0, _RET_KILL_PROCESS),
        _insn(_LD_W_ABS, 0, 0, _OFF_ARG0),
        _insn(_JEQ_K, 1, 0, AF_UNIX),
        _insn(_RET_K, 0, 0, _RET_ERRNO | errno.EAFNOSUPPORT),
        _insn(_RET_K, 0, 0, _RET_ALLOW),
    ]
    return b"".join(prog)


def filter_bytes() -> bytes | None:
    """The filter for this machine, or ``None`` where we have no syscall table (documented)."""
    if platform.machine() in ("x86_64", "AMD64"):
        return build_x86_64()
    return None
