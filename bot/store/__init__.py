"""Choosing the store backend from ``DATABASE_URL``, and session ownership across processes.

``sqlite:///path`` (the default, a file under the data dir) serves one process; ``postgresql://…``
serves several processes over one database. Backends are imported lazily so the default SQLite path
never needs psycopg installed.

Session ownership: a process that is about to handle a session's events calls
``claim(session_id, owner)`` first and handles the session only when it returns true. PostgreSQL
backs this with a session-level advisory lock held on a dedicated connection, so a process that dies
(even ``kill -9``) releases its sessions when the server notices the closed connection; SQLite has
a single process, so only the in-process bookkeeping applies. ``claim`` is optional on a store
(fakes in tests need not have it): use ``claim_session`` to treat a store without it as the only
owner.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from bot.ports import Store
    from bot.settings import Settings

SQLITE_SCHEME = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@runtime_checkable
class SessionClaims(Protocol):
    """The optional part of a store: which process handles which session (see module docstring)."""

    async def claim(self, session_id: str, owner: str) -> bool: ...

    async def release(self, session_id: str, owner: str) -> None: ...


class InProcessClaims:
    """Who owns which session inside this process, shared by both backends.

    A second, different owner in the same process is refused exactly as another process would be,
    so callers see the same answer whichever backend runs; claiming again as the same owner is a
    no-op that returns true.
    """

    def __init__(self) -> None:
        self._owners: dict[str, str] = {}

    def holder(self, session_id: str) -> str | None:
        return self._owners.get(session_id)

    def take(self, session_id: str, owner: str) -> None:
        self._owners[session_id] = owner

    def drop(self, session_id: str, owner: str) -> bool:
        """Forget the claim; false when ``owner`` did not hold it (nothing to release)."""
        if self._owners.get(session_id) != owner:
            return False
        del self._owners[session_id]
        return True

    def clear(self) -> None:
        self._owners.clear()


def sqlite_path_from_url(url: str) -> Path:
    """``sqlite:///relative/file`` or ``sqlite:////absolute/file`` (SQLAlchemy's convention)."""
    if not url.startswith(SQLITE_SCHEME) or len(url) == len(SQLITE_SCHEME):
        from bot.store.sqlite import StoreError

        raise StoreError(f"not a SQLite URL (expected sqlite:///path/to/file): {url!r}")
    return Path(unquote(url[len(SQLITE_SCHEME) :].split("?", 1)[0])).expanduser()


def describe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    if url.startswith(SQLITE_SCHEME):
        return url
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def store_for_url(url: str) -> Store:
    """An unopened store for ``url``; raises ``StoreError`` for a scheme we do not serve."""
    if url.startswith(SQLITE_SCHEME):
        from bot.store.sqlite import SQLiteStore

        return SQLiteStore(sqlite_path_from_url(url))
    if url.startswith(POSTGRES_SCHEMES):
        from bot.store.postgres import PostgresStore

        return PostgresStore(url)
    from bot.store.sqlite import StoreError

    raise StoreError(
        f"DATABASE_URL {describe_url(url)!r} is not supported: use sqlite:///path/to/file "
        "or postgresql://user:password@host:5432/dbname"
    )


def url_for_settings(settings: Settings) -> str:
    """``DATABASE_URL`` when set, else the SQLite file from ``database_path``/``data_dir``."""
    if settings.database_url:
        return settings.database_url
    return SQLITE_SCHEME + str(settings.database_file)


async def open_store(settings: Settings) -> Store:
    """The configured store, opened (migrated and checked); raises ``StoreError`` naming it."""
    store = store_for_url(url_for_settings(settings))
    await store.open()
    return store


async def claim_session(store: Store, session_id: str, owner: str) -> bool:
    """``store.claim`` where the store has it; a store without it is single-process: true."""
    if isinstance(store, SessionClaims):
        return await store.claim(session_id, owner)
    return True


async def release_session(store: Store, session_id: str, owner: str) -> None:
    """``store.release`` where the store has it (see ``claim_session``)."""
    if isinstance(store, SessionClaims):
        await store.release(session_id, owner)


def healthcheck(settings: Settings | None = None) -> None:
    """Exit 0 when the configured database opens, else exit 1 with the reason (container probe).

    Used by the compose file's health check until the HTTP mode serves ``/healthz``.
    """
    from bot.settings import SettingsError, load_settings
    from bot.store.sqlite import StoreError

    async def probe() -> None:
        store = await open_store(settings or load_settings())
        await store.close()

    try:
        asyncio.run(asyncio.wait_for(probe(), timeout=20))
    except (StoreError, SettingsError, OSError, TimeoutError) as exc:
        print(f"store unhealthy: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc
