"""The deployment files, checked without a Docker engine (none runs here or in CI).

``docker-compose.yml`` is parsed (YAML anchors and merge keys resolved as compose does) and
cross-checked against the code: every variable the code reads has an ``.env.example`` line and
every line there is read by the code (or by compose itself); the values ``.env.example`` supplies,
merged the way compose merges ``env_file`` and ``environment``, pass ``load_settings`` for every
bot process (the main bot, the second shard, Slack, the worker); every ``${VAR}`` has an
``.env.example`` line; images are pinned (no ``:latest``); secrets are never written into any of
the files; each service has a health check, and the bots' health checks really succeed against a
``/healthz`` that answers 200 and fail against one that answers 503; and the ``Dockerfile`` runs as
a non-root user with the system packages the voice and sandbox features need.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.sandbox.remote import URL_ENV as PISTON_URL_ENV
from bot.sandbox.selfcheck import MODE_ENV as SANDBOX_MODE_ENV
from bot.settings import CONFIG_FILE_VAR, ENV_VARS, load_settings
from bot.store import store_for_url
from bot.store.postgres import PostgresStore
from tests.conftest import ROOT

yaml = pytest.importorskip("yaml", reason="PyYAML parses docker-compose.yml (dev extra)")

COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
SECRET_WORDS = ("TOKEN", "KEY", "SECRET", "PASSWORD")
# Variables compose uses for itself (image build, the postgres image's own settings).
COMPOSE_ONLY = {"INTERVIEW_BOT_EXTRAS", "POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"}
# Read by the code but set by compose for every bot process (they win over .env), or meaningless
# in a container (the SQLite file: compose always uses PostgreSQL).
SET_BY_COMPOSE = {"DATABASE_URL", "INTERVIEW_BOT_DATA_DIR", "HTTP_HOST"}
NOT_FOR_CONTAINERS = {"INTERVIEW_BOT_DB"}
BOT_SERVICES = ("bot", "bot-shard-1", "slack", "worker")
_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
_ENV_READ = re.compile(r"""env(?:iron)?(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']""")


def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return document


def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for number, line in enumerate(ENV_EXAMPLE.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", key), f".env.example:{number}: {line!r}"
        assert key not in values, f".env.example: {key} twice"
        values[key] = value
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}`` and ``$$`` escaping."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        value = env.get(name)
        empty = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in (":-", "-") and empty:
            return arg
        if op in (":?", "?") and empty:
            raise AssertionError(f"compose would refuse to start: {name}: {arg}")
        return value or ""

    return _INTERPOLATION.sub(one, text.replace("$$", "\0")).replace("\0", "$")


def variables_the_code_reads() -> set[str]:
    """Settings' variables plus those read straight from the environment (the Discord and Slack
    configs, the sandbox): found by scanning for ``env.get("…")``/``environ["…"]`` and the
    sandbox's named constants."""
    names = set(ENV_VARS) | {CONFIG_FILE_VAR, PISTON_URL_ENV, SANDBOX_MODE_ENV}
    for folder in ("adapters", "cogs"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(_ENV_READ.findall(path.read_text(encoding="utf-8")))
    return names - {"PYTHONPATH", "PYTHONIOENCODING", "XDG_DATA_HOME"}


def service_environment(name: str, env_file: dict[str, str]) -> dict[str, str]:
    """What a bot container would see: .env (env_file), then ``environment`` on top, resolved."""
    service = compose()["services"][name]
    declared = service.get("environment", {})
    assert isinstance(declared, dict), f"{name}: use the mapping form so keys can be checked"
    resolved = {k: interpolate(str(v), env_file) for k, v in declared.items()}
    return {**env_file, **resolved}


def secret_name(key: str) -> bool:
    """SLACK_BOT_TOKEN, LLM_API_KEY, SHARE_SECRET… (but not LLM_MAX_TOKENS)."""
    return any(part in SECRET_WORDS for part in key.split("_"))


def example_env(**changes: str) -> dict[str, str]:
    return {**env_example(), "POSTGRES_PASSWORD": "0123abcd", **changes}


def test_services_profiles_and_volumes() -> None:
    doc = compose()
    services = doc["services"]
    assert set(services) == {
        "bot",
        "bot-shard-1",
        "slack",
        "worker",
        "postgres",
        "redis",
        "ollama",
        "piston",
    }
    assert "profiles" not in services["bot"] and "profiles" not in services["postgres"]
    profiles = {name: s.get("profiles") for name, s in services.items() if s.get("profiles")}
    assert profiles == {
        "bot-shard-1": ["shards"],
        "slack": ["slack"],
        "worker": ["queue"],
        "redis": ["queue"],
        "ollama": ["llm"],
        "piston": ["sandbox"],
    }
    for name in ("bot", "bot-shard-1", "slack"):
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["worker"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["worker"]["command"] == ["worker"]
    assert services["slack"]["command"] == ["slack"]
    declared = set(doc["volumes"])
    for name, service in services.items():
        for mount in service.get("volumes", []):
            source = str(mount).split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name}: volume {source} is not declared"
    assert "postgres-data" in {str(m).split(":")[0] for m in services["postgres"]["volumes"]}
    for name in BOT_SERVICES:
        assert "bot-data" in {str(m).split(":")[0] for m in services[name]["volumes"]}
        assert services[name]["env_file"] == [{"path": ".env", "required": False}]
    for name in ("postgres", "redis", "ollama", "piston", "worker", "slack", "bot-shard-1"):
        assert "ports" not in services[name], f"{name} must not be published to the host"
    assert services["bot"]["ports"] == ["127.0.0.1:${HTTP_PORT:-8080}:8080"]


def test_images_are_pinned() -> None:
    for name, service in compose()["services"].items():
        image = str(service.get("image", ""))
        assert image, f"{name} names no image"
        assert ":" in image.rsplit("/", 1)[-1] or "@sha256:" in image, f"{name}: {image} untagged"
        assert not image.endswith(":latest"), f"{name}: {image} is not pinned"
        context = str((service.get("build") or {}).get("context", "."))
        if "://" in context:  # a remote build context must name an exact commit
            assert re.search(r"#[0-9a-f]{40}(:|$)", context), f"{name}: {context} is not pinned"


def test_every_service_has_a_health_check() -> None:
    for name, service in compose()["services"].items():
        check = service.get("healthcheck")
        assert check and check.get("test"), f"{name} has no health check"
        assert not check.get("disable"), name
        for key in ("interval", "timeout", "retries"):
            assert key in check, f"{name}: healthcheck lacks {key}"
    dockerfile = DOCKERFILE.read_text()
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert "bot.store.healthcheck()" in dockerfile  # the fallback without HTTP_PORT


def test_every_variable_the_code_reads_is_in_env_example_and_nothing_else() -> None:
    example = set(env_example())
    wanted = variables_the_code_reads() - SET_BY_COMPOSE - NOT_FOR_CONTAINERS
    assert sorted(wanted - example) == [], "variables the code reads without an .env.example line"
    unread = example - variables_the_code_reads() - COMPOSE_ONLY
    assert sorted(unread) == [], ".env.example lines nothing reads (typo?)"
    assert not example & SET_BY_COMPOSE, "compose sets these; a .env line would be ignored"
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "HTTP_PORT"):
        assert name in example
    for name in BOT_SERVICES:
        given = set(compose()["services"][name].get("environment", {}))
        assert given >= SET_BY_COMPOSE, f"{name} lacks {sorted(SET_BY_COMPOSE - given)}"
        assert given <= variables_the_code_reads(), f"{name} is given variables no code reads"


def test_every_interpolated_variable_has_an_env_example_line() -> None:
    used = {name for name, _op, _arg in _INTERPOLATION.findall(COMPOSE.read_text())}
    assert sorted(used - set(env_example())) == [], "variables without an .env.example line"


@pytest.mark.parametrize("name", BOT_SERVICES)
def test_the_example_values_make_valid_settings_for_every_bot_process(name: str) -> None:
    """What each bot container gets from ``.env.example`` (plus a password) passes the loaders."""
    env = service_environment(name, example_env())
    settings = load_settings(environ={k: v for k, v in env.items() if v})
    assert settings.database_url == (
        "postgresql://interview_bot:0123abcd@postgres:5432/interview_bot"
    )
    assert isinstance(store_for_url(settings.database_url), PostgresStore)
    assert (settings.http_host, settings.http_port) == ("0.0.0.0", 8080)
    pg_env = {
        k: interpolate(str(v), example_env())
        for k, v in compose()["services"]["postgres"]["environment"].items()
    }
    assert settings.database_url.endswith(
        f"{pg_env['POSTGRES_USER']}:{pg_env['POSTGRES_PASSWORD']}@postgres:5432/"
        f"{pg_env['POSTGRES_DB']}"
    ), "DATABASE_URL must match the postgres service's user, password and database"
    discord = pytest.importorskip("adapters.discord.config")
    discord.DiscordConfig.from_env(env)
    if name == "worker":
        assert settings.work_queue == "redis"
        assert settings.redis_url == "redis://redis:6379/0"


def test_two_discord_processes_split_the_shards() -> None:
    """The documented set-up: .env gives the main bot shard 0 of 2; the shards profile adds 1."""
    env = example_env(DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS="0")
    first = load_settings(environ={k: v for k, v in service_environment("bot", env).items() if v})
    second_env = service_environment("bot-shard-1", env)
    second = load_settings(environ={k: v for k, v in second_env.items() if v})
    assert (first.shard_count, first.shard_ids) == (2, (0,))
    assert (second.shard_count, second.shard_ids) == (2, (1,))
    # With nothing in .env the second process still agrees on a count (and the first runs all).
    alone = service_environment("bot-shard-1", example_env())
    assert load_settings(environ={k: v for k, v in alone.items() if v}).shard_ids == (1,)


def test_queue_mode_in_env_reaches_the_chat_processes() -> None:
    env = example_env(WORK_QUEUE="redis", REDIS_URL="redis://redis:6379/0")
    for name in ("bot", "slack"):
        resolved = service_environment(name, env)
        settings = load_settings(environ={k: v for k, v in resolved.items() if v})
        assert settings.work_queue == "redis" and settings.redis_url == "redis://redis:6379/0"


def test_compose_refuses_to_start_without_a_database_password() -> None:
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD"):
        service_environment("bot", example_env(POSTGRES_PASSWORD=""))


def test_no_secrets_in_the_files() -> None:
    for key, value in env_example().items():
        if secret_name(key):
            assert value == "", f".env.example gives {key} a value: secrets go in .env only"
    for name, service in compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if secret_name(key) or key == "DATABASE_URL":
                literal = _INTERPOLATION.sub("", str(value))
                assert not re.search(r"(?<=:)[^@/:]{6,}(?=@)", literal), f"{name}.{key}"
                if key != "DATABASE_URL":
                    assert str(value).startswith("${"), f"{name}.{key} must come from .env"
    leaked = re.compile(
        r"(xox[bap]-|sk-[A-Za-z0-9]{10}|ghp_|AKIA[0-9A-Z]{12}|M[TN][A-Za-z0-9]{20,}\.)"
    )
    for path in (COMPOSE, DOCKERFILE, ENV_EXAMPLE):
        assert not leaked.search(path.read_text()), f"{path.name} contains what looks like a token"
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in ignored, ".env (the real secrets) must stay out of git"


def test_dockerfile_non_root_with_system_packages() -> None:
    text = DOCKERFILE.read_text()
    lines = [line.strip() for line in text.replace("\\\n", " ").splitlines()]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), "the image must end as a non-root user"
    final_stage = text.rsplit("\nFROM ", 1)[1]
    installs = " ".join(line for line in lines if "apt-get install" in line)
    for package in ("ffmpeg", "libopus0", "espeak-ng", "bubblewrap"):
        assert re.search(rf"\b{re.escape(package)}\b", installs), f"{package} not installed"
        assert package in final_stage, f"{package} must be in the runtime stage"
    assert "--no-install-recommends" in installs and "rm -rf /var/lib/apt/lists" in text
    assert re.search(r"^FROM python:\$\{PYTHON_VERSION\}-slim", text, re.M)
    for line in lines:
        if line.startswith("COPY ") and "--from=" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"


def test_dockerfile_and_compose_extras_exist_in_pyproject() -> None:
    extras = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    )
    match = re.search(r"^ARG EXTRAS=(\S+)$", DOCKERFILE.read_text(), re.M)
    assert match, "the Dockerfile names its extras in ARG EXTRAS"
    wanted = set(match.group(1).split(",")) | set(env_example()["INTERVIEW_BOT_EXTRAS"].split(","))
    assert {"postgres", "discord", "slack", "queue"} <= wanted
    assert sorted(wanted - extras) == [], "extras not in pyproject.toml"


def test_database_path_default_is_inside_the_volume() -> None:
    """Without DATABASE_URL the image's SQLite file lands in the data volume, not the image."""
    settings = load_settings(environ={"INTERVIEW_BOT_DATA_DIR": "/home/bot/data"})
    assert settings.database_file == Path("/home/bot/data/interview-bot.sqlite3")
    assert "INTERVIEW_BOT_DATA_DIR=/home/bot/data" in DOCKERFILE.read_text()


# ---------------------------------------------------------------------- health checks, for real
def python_probe(test: list[str]) -> str:
    """The Python source a ``["CMD", "python", "-c", SOURCE]`` health check runs."""
    assert test[:3] == ["CMD", "python", "-c"], test
    return test[3]


def dockerfile_probe() -> str:
    match = re.search(r'^\s*CMD \["python", "-c", "(.+)"\]$', DOCKERFILE.read_text(), re.M)
    assert match, "the Dockerfile's HEALTHCHECK runs python -c"
    return match.group(1)


async def serve_healthz(status: int) -> tuple[web.AppRunner, int]:
    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok" if status == 200 else "degraded"}, status=status)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]


async def run_probe(source: str, port: int) -> int:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        source.replace("8080", str(port)),
        cwd=ROOT,
        env={"HTTP_PORT": str(port), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return await asyncio.wait_for(process.wait(), 60)


@pytest.mark.parametrize("status", [200, 503])
async def test_the_health_checks_follow_healthz(status: int) -> None:
    """The compose and Dockerfile probes pass on 200 and fail on 503 (a degraded process)."""
    runner, port = await serve_healthz(status)
    try:
        sources = [python_probe(compose()["services"]["bot"]["healthcheck"]["test"])]
        sources.append(dockerfile_probe())
        for source in sources:
            assert (await run_probe(source, port) == 0) is (status == 200), source
    finally:
        await runner.cleanup()
