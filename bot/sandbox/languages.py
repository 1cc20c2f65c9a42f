"""Per-language compile and run steps, and the limits each language needs.

Commands are argv templates: ``{box}`` is the work dir as the program sees it, ``{src}`` the
source file name, ``{main}`` the Java main class, ``{mem}`` the memory limit in MiB. Paths are the
host's real paths (``/usr/bin/java`` is a chain of alternatives symlinks; the sandbox has no
``/etc/alternatives``), resolved once when a language is looked up.

Memory: Python and C++ run under ``RLIMIT_AS``. The JVM and V8 reserve gigabytes of address
space they never touch, so ``RLIMIT_AS`` kills them at start; they get their own heap flag plus
``RLIMIT_DATA`` (private writable memory, which their reservations are not) with head-room, and a
memory cgroup on top where one is writable (see :mod:`bot.sandbox.cgroup`).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
from dataclasses import dataclass, field
from enum import StrEnum


class MemoryRule(StrEnum):
    ADDRESS_SPACE = "as"
    DATA = "data"


@dataclass(frozen=True, slots=True)
class Language:
    name: str
    aliases: tuple[str, ...]
    extensions: tuple[str, ...]
    source_name: str
    run: tuple[str, ...]
    compile: tuple[str, ...] | None = None
    required: tuple[str, ...] = ()
    nproc: int = 16
    memory_rule: MemoryRule = MemoryRule.ADDRESS_SPACE
    #: extra MiB of RLIMIT_DATA/AS beyond the heap, for runtimes with a large fixed footprint
    memory_overhead_mb: int = 64
    compile_wall_seconds: float = 20.0
    compile_cpu_seconds: float = 20.0
    compile_memory_mb: int = 1024
    #: multiply the caller's wall/cpu limits (JVM start-up, interpreters)
    time_factor: float = 1.0
    #: RLIMIT_STACK; glibc also uses it as the default thread stack size, so threaded runtimes
    #: (JVM, V8) get a small one or their threads exhaust RLIMIT_DATA
    stack_mb: int = 64
    ro_binds: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def source_for(self, code: str) -> str:
        """The file name the source must have (Java wants the public class's name)."""
        if self.name == "java":
            match = re.search(r"public\s+(?:final\s+)?class\s+([A-Za-z_]\w*)", code)
            return f"{match.group(1) if match else 'Main'}.java"
        return self.source_name

    def main_class(self, code: str) -> str:
        return self.source_for(code).removesuffix(".java")


def _real(path: str) -> str:
    return os.path.realpath(path) if os.path.exists(path) else path


_JVM_FLAGS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xshare:auto")


def _languages() -> dict[str, Language]:
    java = _real("/usr/bin/java")
    javac = _real("/usr/bin/javac")
    go = _real(shutil.which("go", path="/usr/bin:/usr/lib/go/bin:/usr/local/go/bin") or "go")
    rustc = _real(shutil.which("rustc", path="/usr/bin:/usr/local/bin") or "rustc")
    langs = [
        Language(
            "python",
            ("py", "python3", "py3"),
            (".py",),
            "main.py",
            run=("/usr/bin/python3", "-I", "{box}/{src}"),
            required=("/usr/bin/python3",),
            nproc=16,
        ),
        Language(
            "javascript",
            ("js", "node", "nodejs"),
            (".js", ".mjs"),
            "main.js",
            run=("/usr/bin/node", "--max-old-space-size={mem}", "--stack-size=6000", "{box}/{src}"),
            required=("/usr/bin/node",),
            nproc=32,
            memory_rule=MemoryRule.DATA,
            memory_overhead_mb=192,
            stack_mb=8,
        ),
        Language(
            "cpp",
            ("c++", "cxx", "cc", "g++"),
            (".cpp", ".cc", ".cxx"),
            "main.cpp",
            compile=(
                "/usr/bin/g++",
                "-O2",
                "-std=gnu++17",
                "-pipe",
                "-o",
                "{box}/main",
                "{box}/{src}",
            ),
            run=("{box}/main",),
            required=("/usr/bin/g++",),
            nproc=16,
        ),
        Language(
            "java",
            ("jdk",),
            (".java",),
            "Main.java",
            compile=(
                javac,
                "-J-Xmx512m",
                *(f"-J{flag}" for flag in _JVM_FLAGS),
                "-encoding",
                "UTF-8",
                "-d",
                "{box}",
                "{box}/{src}",
            ),
            run=(java, "-Xmx{mem}m", "-Xss16m", *_JVM_FLAGS, "-cp", "{box}", "{main}"),
            required=(java, javac),
            nproc=64,
            memory_rule=MemoryRule.DATA,
            memory_overhead_mb=256,
            compile_memory_mb=1536,
            stack_mb=8,
            time_factor=2.0,
            ro_binds=tuple(sorted(glob.glob("/etc/java-*"))),
        ),
        Language(
            "go",
            ("golang",),
            (".go",),
            "main.go",
            compile=(go, "build", "-o", "{box}/main", "{box}/{src}"),
            run=("{box}/main",),
            required=(go,),
            nproc=64,
            memory_rule=MemoryRule.DATA,
            memory_overhead_mb=128,
            stack_mb=8,
            compile_wall_seconds=60.0,
            compile_cpu_seconds=60.0,
            env=(("GOCACHE", "/box/.gocache"), ("GOPATH", "/box/.gopath"), ("CGO_ENABLED", "0")),
        ),
        Language(
            "rust",
            ("rs",),
            (".rs",),
            "main.rs",
            compile=(rustc, "-O", "--edition", "2021", "-o", "{box}/main", "{box}/{src}"),
            run=("{box}/main",),
            required=(rustc,),
            nproc=16,
            compile_wall_seconds=60.0,
            compile_cpu_seconds=60.0,
        ),
    ]
    return {lang.name: lang for lang in langs}


LANGUAGES: dict[str, Language] = _languages()
_ALIASES = {alias: lang.name for lang in LANGUAGES.values() for alias in (lang.name, *lang.aliases)}


def resolve(name: str) -> Language | None:
    """A language by name or alias (``py``, ``node``, ``c++``…), ``None`` when unknown."""
    key = _ALIASES.get(name.strip().lower())
    return LANGUAGES[key] if key else None


def by_extension(filename: str) -> Language | None:
    ext = os.path.splitext(filename)[1].lower()
    return next((lang for lang in LANGUAGES.values() if ext in lang.extensions), None)


def unavailable_reason(lang: Language) -> str | None:
    """Why a toolchain cannot run in the sandbox, or ``None`` when it can.

    The sandbox only sees ``/usr`` (read-only), so a toolchain elsewhere (``~/.cargo``) or behind
    a directory the sandbox uid cannot read is as good as absent.
    """
    for path in lang.required:
        if not os.path.isabs(path) or not os.path.exists(path):
            return f"{lang.name}: {os.path.basename(path)} is not installed"
        if not path.startswith("/usr/"):
            return f"{lang.name}: {path} is outside /usr, which is all the sandbox sees"
        if not os.access(path, os.X_OK) or not (os.stat(path).st_mode & 0o001):
            return f"{lang.name}: {path} is not executable by the sandbox user"
    return None


def available() -> list[str]:
    return [name for name, lang in LANGUAGES.items() if unavailable_reason(lang) is None]
