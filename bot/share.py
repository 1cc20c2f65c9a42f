"""Share one session with a mentor or friend (issue 11): a signed, expiring, revocable link.

A link is a ``ShareLink`` row (random id, session, owner, expiry, revocation) plus a token that
carries the row's id and expiry, signed with HMAC-SHA256 under ``share_secret``. The route that
serves ``/s/{token}`` calls ``resolve_share``, which checks in this order and names the first
failure (``ShareRefused.reason``):

- ``tampered``: not a token we could have made (bad shape or signature). No store access at all,
  so guessing tokens costs the server one HMAC each;
- ``expired``: the signed expiry has passed (also decided before touching the store);
- ``unknown``: the row is gone (the candidate ran ``forget``, retention purged the session) or
  does not match the token;
- ``revoked``: the candidate revoked it.

Why stdlib ``hmac`` rather than itsdangerous: the token is three dot-separated fields and one
``hmac.compare_digest``; a dependency would add a serialisation format and key-derivation
choices to pin without buying anything, and the core stays free of web-framework libraries.
The signed message is prefixed with a purpose string (``interview-bot share v1``), so a MAC made
for anything else with the same secret is never a valid share token.

The secret comes from ``Settings.share_secret``; unset, a random one is generated once and kept
in ``<data_dir>/share-secret`` (mode 0600). Several processes serving the same links need the
same secret: set ``SHARE_SECRET`` for them (README).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.access import own_session
from bot.ports import SessionRecord, ShareLink, Store
from bot.settings import Settings

PURPOSE = b"interview-bot share v1\x00"
SECRET_FILE = "share-secret"
ROUTE_PREFIX = "/s/"
SIGNATURE_BYTES = 18  # 144 bits: far past guessing, and 24 characters in the URL
MAX_TOKEN_CHARS = 128
_TOKEN = re.compile(r"^([A-Za-z0-9_-]{8,64})\.(\d{1,12})\.([A-Za-z0-9_-]{24})$")
REASONS = ("tampered", "expired", "revoked", "unknown")

_secrets: dict[Path, bytes] = {}


class ShareRefused(Exception):
    """A share token that does not open a page. ``reason`` is one of ``REASONS``; the route
    maps it to a status (tampered/unknown 403, expired/revoked 410) and a refusal page."""

    def __init__(self, reason: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown share refusal reason {reason!r}")
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SharedLink:
    """A link just created. ``url`` is absolute when this installation knows where it is served
    (``PUBLIC_URL``, or ``HTTP_PORT`` for http://HTTP_HOST:HTTP_PORT); otherwise it is the path
    ``/s/<token>`` and ``served`` is False: tell the user the link works only once the bot's HTTP
    server runs (``HTTP_PORT``) and is reachable (``PUBLIC_URL``)."""

    url: str
    expires_at: float
    link: ShareLink
    token: str
    served: bool


# ------------------------------------------------------------------------------------ secret
def _read_or_create_secret(directory: Path) -> bytes:
    """Create the secret atomically (write a private temp file, then hard-link it into place,
    which fails if another process won the race) so two processes never end up with two secrets."""
    path = directory / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        with contextlib.suppress(FileExistsError):  # another process won: use its secret
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


async def signing_key(settings: Settings) -> bytes:
    """The HMAC key: ``share_secret`` when set, else the data dir's generated secret (read once
    per process, off the event loop)."""
    if settings.share_secret:
        return settings.share_secret.encode("utf-8")
    directory = settings.data_dir
    if directory not in _secrets:
        _secrets[directory] = await asyncio.to_thread(_read_or_create_secret, directory)
    return _secrets[directory]


# ------------------------------------------------------------------------------------ tokens
def _signature(key: bytes, link_id: str, expires: int) -> str:
    message = PURPOSE + f"{link_id}.{expires}".encode("ascii")
    digest = hmac.new(key, message, hashlib.sha256).digest()[:SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def sign(key: bytes, link_id: str, expires: int) -> str:
    """``<link id>.<expiry, unix seconds>.<signature>``: URL-safe, no padding, no dots inside."""
    return f"{link_id}.{expires}.{_signature(key, link_id, expires)}"


def verify(key: bytes, token: str, *, now: float) -> str:
    """The link id of a genuine, unexpired token; ``ShareRefused`` otherwise. Pure: no store."""
    found = _TOKEN.match(token) if len(token) <= MAX_TOKEN_CHARS else None
    if found is None:
        raise ShareRefused("tampered")
    link_id, expires, signature = found.group(1), int(found.group(2)), found.group(3)
    if not hmac.compare_digest(signature, _signature(key, link_id, expires)):
        raise ShareRefused("tampered")
    if expires <= now:
        raise ShareRefused("expired")
    return link_id


def base_url(settings: Settings) -> str | None:
    """Where ``/s/…`` is reachable from outside, or None when this installation does not say."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    if settings.http_port:
        host = settings.http_host
        if host in ("0.0.0.0", "::", ""):  # "every interface" is no address anyone can open
            return None
        return (
            f"http://[{host}]:{settings.http_port}"
            if ":" in host
            else (f"http://{host}:{settings.http_port}")
        )
    return None


# ------------------------------------------------------------------------------------ use cases
async def create_share(
    store: Store, settings: Settings, session_id: str, user_key: str, *, now: float
) -> SharedLink:
    """Make a read-only link to one session for someone without an account (a mentor).

    For every adapter's ``share`` command. ``session_id`` is what the user typed: a full id or a
    unique prefix of one of their sessions. Only the session's candidate may share it:
    ``bot.access.AccessDenied`` (message safe to show) for observers, other users and unknown
    ids alike. The link expires ``settings.share_ttl_hours`` after ``now`` and can be revoked
    early with ``revoke_shares``. Show the user ``url`` and ``expires_at``; when ``served`` is
    False also say that the link works only while the bot's HTTP server (HTTP_PORT) serves it.
    """
    record = await own_session(store, session_id, user_key)
    key = await signing_key(settings)
    expires = int(now + settings.share_ttl_hours * 3600)
    link = ShareLink(
        id=secrets.token_urlsafe(12),
        session_id=record.id,
        user_key=user_key,
        created_at=now,
        expires_at=float(expires),
    )
    await store.create_share_link(link)
    token = sign(key, link.id, expires)
    root = base_url(settings)
    url = f"{root or ''}{ROUTE_PREFIX}{token}"
    return SharedLink(
        url=url, expires_at=link.expires_at, link=link, token=token, served=bool(root)
    )


async def revoke_shares(
    store: Store, user_key: str, *, session_id: str | None = None, now: float
) -> int:
    """Revoke the user's share links at once: one session's (``session_id``, a full id or unique
    prefix) or, with None, every link the user ever made. Returns how many links stopped working
    (already revoked ones are not counted). Someone else's session raises ``AccessDenied`` exactly
    as ``create_share`` does; the page of a revoked link says so (HTTP 410)."""
    if session_id is None:
        return await store.revoke_share_links(user_key, at=now)
    record = await own_session(store, session_id, user_key)
    return await store.revoke_share_links(user_key, session_id=record.id, at=now)


async def resolve_share_link(
    store: Store, settings: Settings, token: str, *, now: float
) -> tuple[ShareLink, SessionRecord]:
    """The link and the one session it opens; ``ShareRefused`` (see the module docstring)."""
    link_id = verify(await signing_key(settings), token, now=now)
    link = await store.get_share_link(link_id)
    if link is None:
        raise ShareRefused("unknown")
    if link.revoked_at is not None:
        raise ShareRefused("revoked")
    if link.expires_at <= now:
        raise ShareRefused("expired")
    record = await store.load_session(link.session_id)
    # The owner check matters if a session id were ever reused: a link never opens a session that
    # is not its maker's.
    if record is None or record.user_key != link.user_key:
        raise ShareRefused("unknown")
    return link, record


async def resolve_share(
    store: Store, settings: Settings, token: str, *, now: float
) -> SessionRecord:
    """The session a share token opens, or ``ShareRefused(reason)``."""
    _, record = await resolve_share_link(store, settings, token, now=now)
    return record
