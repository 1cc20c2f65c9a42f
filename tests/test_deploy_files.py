"""The deployment files, checked without a Docker engine (none runs here or in CI).

``docker-compose.yml`` is parsed and cross-checked against the code: every variable given to the
bot is one the code reads, the values ``.env.example`` supplies pass ``load_settings``, every
``${VAR}`` has an ``.env.example`` line, secrets are never written into either file, each service
has a health check, and the ``Dockerfile`` runs as a non-root user with the system packages the
voice and sandbox features need.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.settings import CONFIG_FILE_VAR, ENV_VARS, load_settings
from bot.store import store_for_url
from bot.store.postgres import PostgresStore
from tests.conftest import ROOT

yaml = pytest.importorskip("yaml", reason="PyYAML parses docker-compose.yml (dev extra)")

COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
SECRET_WORDS = ("TOKEN", "KEY", "SECRET", "PASSWORD")
# Variables the compose file uses for itself (image build, the postgres image's own settings).
COMPOSE_ONLY = {"INTERVIEW_BOT_EXTRAS", "POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"}
_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


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


def names_the_code_reads() -> set[str]:
    """Upper-case string constants with an underscore in bot/, adapters/ and cogs/: the names of
    every environment variable the code reads (and some other constants, which is harmless)."""
    names = set(ENV_VARS) | {CONFIG_FILE_VAR}
    for folder in ("bot", "adapters", "cogs"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+", node.value)
                ):
                    names.add(node.value)
    return names


def bot_environment() -> dict[str, str]:
    env = compose()["services"]["bot"]["environment"]
    assert isinstance(env, dict), "use the mapping form so keys can be checked"
    return {str(k): str(v) for k, v in env.items()}


def test_services_profiles_and_volumes() -> None:
    doc = compose()
    services = doc["services"]
    assert set(services) == {"bot", "postgres", "ollama", "piston"}
    assert "profiles" not in services["bot"] and "profiles" not in services["postgres"]
    assert services["ollama"]["profiles"] == ["llm"]
    assert services["piston"]["profiles"] == ["sandbox"]
    assert services["bot"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    declared = set(doc["volumes"])
    for name, service in services.items():
        for mount in service.get("volumes", []):
            source = str(mount).split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name}: volume {source} is not declared"
    assert "postgres-data" in {str(m).split(":")[0] for m in services["postgres"]["volumes"]}
    assert "bot-data" in {str(m).split(":")[0] for m in services["bot"]["volumes"]}
    for name in ("postgres", "ollama", "piston"):
        assert "ports" not in services[name], f"{name} must not be published to the host"


def test_every_service_has_a_health_check() -> None:
    for name, service in compose()["services"].items():
        check = service.get("healthcheck")
        assert check and check.get("test"), f"{name} has no health check"
        assert not check.get("disable"), name
        for key in ("interval", "timeout", "retries"):
            assert key in check, f"{name}: healthcheck lacks {key}"
    dockerfile = DOCKERFILE.read_text()
    assert "HEALTHCHECK" in dockerfile
    assert "bot.store.healthcheck()" in dockerfile


def test_bot_variables_are_ones_the_code_reads() -> None:
    known = names_the_code_reads()
    unknown = sorted(set(bot_environment()) - known)
    assert not unknown, f"the bot is given variables no code reads (typo?): {unknown}"
    assert {"DATABASE_URL", "DISCORD_TOKEN", "LLM_BASE_URL"} <= set(bot_environment())


def test_env_example_covers_every_interpolated_variable_and_nothing_else() -> None:
    used = set(_INTERPOLATION.findall(COMPOSE.read_text().replace("$$", "")))
    used_names = {name for name, _op, _arg in used}
    example = env_example()
    assert sorted(used_names - set(example)) == [], "variables without an .env.example line"
    assert sorted(set(example) - used_names) == [], ".env.example lines compose never reads"
    extra = used_names - names_the_code_reads() - COMPOSE_ONLY
    assert not extra, f"interpolated but read by nothing: {sorted(extra)}"


def test_the_example_values_make_valid_settings() -> None:
    """What the bot would get from ``.env.example`` (plus a password) passes the real loaders."""
    env = {**env_example(), "POSTGRES_PASSWORD": "0123abcd"}
    resolved = {k: interpolate(v, env) for k, v in bot_environment().items()}
    settings = load_settings(environ={k: v for k, v in resolved.items() if v})
    assert settings.database_url == (
        "postgresql://interview_bot:0123abcd@postgres:5432/interview_bot"
    )
    assert isinstance(store_for_url(settings.database_url), PostgresStore)
    services = compose()["services"]
    pg_env = {k: interpolate(str(v), env) for k, v in services["postgres"]["environment"].items()}
    assert settings.database_url.endswith(
        f"{pg_env['POSTGRES_USER']}:{pg_env['POSTGRES_PASSWORD']}@postgres:5432/"
        f"{pg_env['POSTGRES_DB']}"
    ), "DATABASE_URL must match the postgres service's user, password and database"
    discord = pytest.importorskip("adapters.discord.config")
    discord.DiscordConfig.from_env(resolved)


def test_compose_refuses_to_start_without_a_database_password() -> None:
    env = {**env_example(), "POSTGRES_PASSWORD": ""}
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD"):
        interpolate(bot_environment()["DATABASE_URL"], env)


def test_no_secrets_in_the_files() -> None:
    for key, value in env_example().items():
        if any(word in key for word in SECRET_WORDS):
            assert value == "", f".env.example gives {key} a value: secrets go in .env only"
    for name, service in compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in SECRET_WORDS) or key == "DATABASE_URL":
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
    missing = sorted(wanted - extras)
    if missing == ["postgres"]:
        pytest.skip("pyproject.toml has no 'postgres' extra yet (psycopg[binary], psycopg-pool)")
    assert not missing, f"extras not in pyproject.toml: {missing}"


def test_database_path_default_is_inside_the_volume() -> None:
    """Without DATABASE_URL the image's SQLite file lands in the data volume, not the image."""
    settings = load_settings(environ={"INTERVIEW_BOT_DATA_DIR": "/home/bot/data"})
    assert settings.database_file == Path("/home/bot/data/interview-bot.sqlite3")
    assert "INTERVIEW_BOT_DATA_DIR=/home/bot/data" in DOCKERFILE.read_text()
