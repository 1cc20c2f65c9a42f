"""Running candidates' code: the sandbox, the judge and the exercise bank (issue #7).

Entry points:
- :class:`bot.sandbox.local.LocalRunner` — the default :class:`bot.ports.CodeRunner`
  (bubblewrap, per-slot uid, rlimits, seccomp, cgroup where writable); raises
  :class:`bot.sandbox.selfcheck.SandboxUnavailable` when no sandbox of the configured strength
  works (``INTERVIEW_BOT_SANDBOX_MODE`` = ``strict`` | ``weak``).
- :class:`bot.sandbox.remote.RemoteRunner` — a Piston-compatible HTTP executor
  (``INTERVIEW_BOT_PISTON_URL``); :func:`bot.sandbox.commands.make_runner` picks one.
- :class:`bot.sandbox.pool.RunnerPool` — concurrency limit (default 2) and queue events.
- :func:`bot.sandbox.judge.judge` — verdict per test and follow-up questions;
  :func:`bot.sandbox.exercises.load_bank` / :func:`~bot.sandbox.exercises.choose` — exercises;
  :func:`bot.sandbox.extract.from_text` / :func:`~bot.sandbox.extract.from_file` — code answers.
"""
