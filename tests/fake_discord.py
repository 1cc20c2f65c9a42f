"""A loopback fake of Discord's HTTP API, gateway payloads as Discord delivers them, and a harness.

``FakeDiscord`` is an aiohttp server on 127.0.0.1 (random port) that answers the REST routes the
bot uses with plausible JSON (``Content-Type: application/json`` exactly, which discord.py checks),
records every call, can answer the next matching call with a 429 (with the ``Via`` header Discord
sends, so discord.py treats it as a real rate limit), and serves attachment URLs. Unknown routes get
a 404 and are recorded, so a test sees what it did not expect.

The payload builders produce raw gateway dicts (INTERACTION_CREATE, MESSAGE_CREATE) that tests feed
through discord.py's own parser (``ConnectionState.parse_*``), so the real CommandTree,
transformers, views and response paths run. Those parse hooks are private API: discord.py is
pinned to 2.7.x in pyproject.toml for that reason.

``Harness`` is a real ``InterviewBot`` over a SQLite file, logged in against the fake.

The fake also serves a minimal gateway (``GET /gateway/bot`` and a websocket at ``/gateway``):
HELLO, heartbeat ACKs, and READY for each IDENTIFY, which it records in ``identifies`` so sharding
can be checked through discord.py's own connection code.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import WSMsgType, web

from adapters.discord.client import InterviewBot
from adapters.discord.config import DiscordConfig
from bot.brain import OfflineBrain
from bot.domain import JobProfile
from bot.engine import InterviewEngine
from bot.planning.bank import QuestionBank
from bot.planning.planner import Planner
from bot.store.sqlite import SQLiteStore

T = TypeVar("T")

APP_ID = 900000000000000001
BOT_ID = 900000000000000001
GUILD_ID = 910000000000000001
CHANNEL_ID = 920000000000000001
CANDIDATE_ID = 930000000000000001
STRANGER_ID = 930000000000000002
DM_CHANNEL_ID = 940000000000000001
COMMAND_ID = 950000000000000001


def _now() -> str:
    return datetime.now(UTC).isoformat()


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name.lower(),
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
    }


BOT_USER = user_payload(BOT_ID, "InterviewBot", bot=True)


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    json: Any = None
    files: list[tuple[str, bytes]] = field(default_factory=list)
    status: int = 200
    response: Any = None

    @property
    def embeds(self) -> list[dict[str, Any]]:
        body = self.json if isinstance(self.json, dict) else {}
        data = body.get("data", body) if "type" in body and "data" in body else body
        return list(data.get("embeds") or [])

    @property
    def content(self) -> str:
        body = self.json if isinstance(self.json, dict) else {}
        data = body.get("data", body) if "type" in body and "data" in body else body
        return str(data.get("content") or "")

    @property
    def custom_ids(self) -> list[str]:
        body = self.json if isinstance(self.json, dict) else {}
        data = body.get("data", body) if "type" in body and "data" in body else body
        ids: list[str] = []
        for row in data.get("components") or []:
            for component in row.get("components", []):
                if "custom_id" in component:
                    ids.append(component["custom_id"])
        return ids

    def __repr__(self) -> str:
        titles = [e.get("title") for e in self.embeds]
        return (
            f"<{self.method} {self.path} {self.status} content={self.content[:60]!r} "
            f"embeds={titles} files={[n for n, _ in self.files]}>"
        )


@dataclass
class Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    retry_after: float
    times: int


class FakeDiscord:
    """Discord's REST API on loopback. ``api_base`` is what DISCORD_API_BASE_URL should be."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.attachments: dict[str, tuple[bytes, str]] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.threads: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.origin = ""
        self.identifies: list[dict[str, Any]] = []  # IDENTIFY payloads ("d") the gateway got
        self.recommended_shards = 1  # what GET /gateway/bot answers
        self._sockets: list[web.WebSocketResponse] = []

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        sockets = getattr(site._server, "sockets", None)
        assert sockets, "the fake did not bind"
        port = sockets[0].getsockname()[1]
        self.origin = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_base(self) -> str:
        return f"{self.origin}/api/v10"

    # ------------------------------------------------------------------ test controls
    def snowflake(self) -> str:
        return str(960000000000000000 + next(self._ids))

    def serve_attachment(
        self, filename: str, data: bytes, content_type: str = "text/plain"
    ) -> dict[str, Any]:
        """Register bytes at an attachment URL; returns the attachment object for payloads."""
        attachment_id = self.snowflake()
        path = f"/attachments/{attachment_id}/{filename}"
        self.attachments[path] = (data, content_type)
        return {
            "id": attachment_id,
            "filename": filename,
            "size": len(data),
            "url": f"{self.origin}{path}",
            "proxy_url": f"{self.origin}{path}",
            "content_type": content_type,
        }

    def fail_next(
        self, method: str, pattern: str, *, status: int = 429, retry_after: float = 0.05
    ) -> None:
        self.failures.append(Failure(method, re.compile(pattern), status, retry_after, 1))

    def find(self, method: str, pattern: str, *, everything: bool = False) -> list[Call]:
        """Recorded calls matching; only successful ones unless ``everything``."""
        regex = re.compile(pattern)
        return [
            c
            for c in self.calls
            if c.method == method and regex.search(c.path) and (everything or c.status < 300)
        ]

    async def wait_for(
        self, predicate: Callable[[], T | None], within: float = 10.0, what: str = ""
    ) -> T:
        """Poll ``predicate`` until it returns something truthy (bounded by ``within`` seconds)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            result = predicate()
            if result:
                return result
            if asyncio.get_running_loop().time() > deadline:
                calls = "\n  ".join(repr(c) for c in self.calls[-25:])
                raise AssertionError(
                    f"timed out waiting for {what or predicate}; calls:\n  {calls}"
                )
            await asyncio.sleep(0.01)

    async def wait_call(
        self, method: str, pattern: str, *, count: int = 1, within: float = 10.0
    ) -> list[Call]:
        return await self.wait_for(
            lambda: found if len(found := self.find(method, pattern)) >= count else None,
            within,
            f"{count} x {method} {pattern}",
        )

    # ------------------------------------------------------------------ gateway
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        """HELLO, ACK every heartbeat, READY for every IDENTIFY (plain-text JSON frames, which
        discord.py accepts even when it asked for compression)."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}})
        async for frame in ws:
            if frame.type is not WSMsgType.TEXT:
                break
            message = json.loads(frame.data)
            if message.get("op") == 1:
                await ws.send_json({"op": 11, "d": None})
            elif message.get("op") == 2:
                identify = message["d"]
                self.identifies.append(identify)
                ready = {
                    "v": 10,
                    "user": BOT_USER,
                    "guilds": [],
                    "session_id": f"fake-session-{len(self.identifies)}",
                    "resume_gateway_url": f"{self.origin.replace('http', 'ws', 1)}/gateway",
                    "shard": identify.get("shard", [0, 1]),
                    "application": {"id": str(APP_ID), "flags": 1 << 19},
                }
                await ws.send_json({"op": 0, "t": "READY", "s": 1, "d": ready})
        return ws

    # ------------------------------------------------------------------ responses
    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        return web.Response(
            status=status,
            body=json.dumps(data).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    def message(
        self, channel_id: str, body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> dict[str, Any]:
        message_id = self.snowflake()
        data = {
            "id": message_id,
            "channel_id": channel_id,
            "author": BOT_USER,
            "content": body.get("content") or "",
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {
                    "id": self.snowflake(),
                    "filename": name,
                    "size": len(data),
                    "url": f"{self.origin}/attachments/x/{name}",
                    "proxy_url": f"{self.origin}/attachments/x/{name}",
                }
                for name, data in files
            ],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": body.get("flags", 0),
        }
        self.messages[message_id] = data
        return data

    def thread(self, parent_id: str, name: str) -> dict[str, Any]:
        thread_id = self.snowflake()
        data = {
            "id": thread_id,
            "guild_id": str(GUILD_ID),
            "parent_id": parent_id,
            "owner_id": str(BOT_ID),
            "name": name,
            "type": 12,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 10080,
                "archive_timestamp": _now(),
                "locked": False,
                "invitable": False,
            },
            "flags": 0,
        }
        self.threads[thread_id] = data
        return data

    async def _read_body(self, request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
        files: list[tuple[str, bytes]] = []
        if request.content_type.startswith("multipart/"):
            body: Any = None
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                data = await part.read()  # type: ignore[union-attr]
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(data)
                else:
                    files.append((part.filename or part.name or "", bytes(data)))  # type: ignore[union-attr]
            return body, files
        raw = await request.read()
        return (json.loads(raw) if raw else None), files

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body, files = await self._read_body(request)
        call = Call(request.method, request.path, dict(request.query), body, files)
        self.calls.append(call)
        for failure in self.failures:
            if failure.method == request.method and failure.pattern.search(request.path):
                failure.times -= 1
                if failure.times <= 0:
                    self.failures.remove(failure)
                call.status = failure.status
                return self._json(
                    {
                        "message": "You are being rate limited.",
                        "retry_after": failure.retry_after,
                        "global": False,
                    },
                    failure.status,
                    {
                        "Via": "1.1 google",
                        "X-RateLimit-Limit": "5",
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset-After": str(failure.retry_after),
                        "X-RateLimit-Bucket": "fakebucket",
                        "X-RateLimit-Scope": "user",
                        "Retry-After": str(failure.retry_after),
                    },
                )
        response = self._route(request.method, request.path, body or {}, files)
        call.status = response.status
        if isinstance(response, web.Response) and response.body is not None:
            try:
                call.response = json.loads(response.body)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                call.response = None
        return response

    def _route(
        self, method: str, path: str, body: Any, files: list[tuple[str, bytes]]
    ) -> web.Response:
        if path in self.attachments:
            served, content_type = self.attachments[path]
            return web.Response(body=served, headers={"Content-Type": content_type})
        api = path.removeprefix("/api/v10")
        if api == path:
            return self._json({"message": "404: Not Found", "code": 0}, 404)
        if method == "GET" and api == "/gateway/bot":
            return self._json(
                {
                    "url": f"{self.origin.replace('http', 'ws', 1)}/gateway",
                    "shards": self.recommended_shards,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 1000,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            )
        if method == "GET" and api == "/users/@me":
            return self._json(BOT_USER)
        if method == "GET" and api == "/oauth2/applications/@me":
            return self._json(
                {
                    "id": str(APP_ID),
                    "name": "interview-bot",
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "owner": user_payload(970000000000000001, "Owner"),
                    "verify_key": "0" * 64,
                    "flags": 1 << 19,  # GATEWAY_MESSAGE_CONTENT_LIMITED
                }
            )
        if method == "PUT" and re.fullmatch(r"/applications/\d+(/guilds/\d+)?/commands", api):
            guild = re.search(r"/guilds/(\d+)/", api)
            return self._json(
                [
                    {
                        **command,
                        "id": str(COMMAND_ID + i),
                        "application_id": str(APP_ID),
                        "version": "1",
                        "type": command.get("type", 1),
                        "default_member_permissions": None,
                        **({"guild_id": guild.group(1)} if guild else {}),
                    }
                    for i, command in enumerate(body if isinstance(body, list) else [])
                ]
            )
        match = re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", api)
        if method == "POST" and match:
            kind = body.get("type")
            data = body.get("data") or {}
            resource: dict[str, Any] = {"type": kind}
            if kind in (4, 7):
                resource["message"] = self.message(str(CHANNEL_ID), data, files)
            return self._json(
                {
                    "interaction": {
                        "id": match.group(1),
                        "type": 2,
                        "response_message_loading": kind == 5,
                        "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
                    },
                    "resource": resource,
                }
            )
        match = re.fullmatch(r"/webhooks/(\d+)/([^/]+)(/messages/(@original|\d+))?", api)
        if match and method in ("POST", "PATCH"):
            message = self.message(str(CHANNEL_ID), body, files)
            message["webhook_id"] = str(APP_ID)
            message["application_id"] = str(APP_ID)
            return self._json(message)
        if match and method == "DELETE":
            return web.Response(status=204)
        match = re.fullmatch(r"/channels/(\d+)/threads", api)
        if method == "POST" and match:
            return self._json(self.thread(match.group(1), body.get("name", "thread")), 201)
        if method in ("PUT", "DELETE") and re.fullmatch(r"/channels/\d+/thread-members/\d+", api):
            return web.Response(status=204)
        match = re.fullmatch(r"/guilds/(\d+)/channels", api)
        if method == "POST" and match:  # a voice channel for a practice pair
            return self._json(
                {
                    "id": self.snowflake(),
                    "guild_id": match.group(1),
                    "type": body.get("type", 2),
                    "name": body.get("name", "voice"),
                    "position": 0,
                    "permission_overwrites": body.get("permission_overwrites", []),
                    "bitrate": 64000,
                    "user_limit": 0,
                    "parent_id": None,
                    "nsfw": False,
                    "rtc_region": None,
                    "flags": 0,
                },
                201,
            )
        match = re.fullmatch(r"/channels/(\d+)", api)
        if match and method in ("GET", "PATCH", "DELETE"):
            thread = self.threads.get(match.group(1))
            if thread is None:
                return self._json({"message": "Unknown Channel", "code": 10003}, 404)
            if method == "PATCH":
                if "name" in body:
                    thread["name"] = body["name"]
                for key in ("archived", "locked"):
                    if key in body:
                        thread["thread_metadata"][key] = body[key]
            return self._json(thread)
        match = re.fullmatch(r"/channels/(\d+)/messages", api)
        if method == "POST" and match:
            return self._json(self.message(match.group(1), body, files))
        if method == "POST" and re.fullmatch(r"/channels/\d+/typing", api):
            return web.Response(status=204)
        if method == "POST" and api == "/users/@me/channels":
            return self._json(
                {
                    "id": str(DM_CHANNEL_ID),
                    "type": 1,
                    "last_message_id": None,
                    "recipients": [user_payload(int(body["recipient_id"]), "Candidate")],
                }
            )
        return self._json({"message": "Unknown route (fake)", "code": 0}, 404)


# ---------------------------------------------------------------------- gateway payloads
_interaction_ids = itertools.count(1)


def _base_interaction(
    kind: int, user_id: int, name: str, *, dm: bool, channel_id: int | None = None
) -> dict[str, Any]:
    number = next(_interaction_ids)
    user = user_payload(user_id, name)
    payload: dict[str, Any] = {
        "id": str(980000000000000000 + number),
        "application_id": str(APP_ID),
        "type": kind,
        "token": f"interaction-token-{number}",
        "version": 1,
        "locale": "en-US",
        "app_permissions": str((1 << 53) - 1),
        "entitlements": [],
        "attachment_size_limit": 10 * 1024 * 1024,
    }
    if dm:
        room = channel_id or DM_CHANNEL_ID
        payload.update(
            user=user,
            channel_id=str(room),
            channel={"id": str(room), "type": 1, "recipients": [user]},
            context=1,
            authorizing_integration_owners={"0": str(GUILD_ID)},
        )
    else:
        room = channel_id or CHANNEL_ID
        is_thread = room != CHANNEL_ID
        channel: dict[str, Any] = {
            "id": str(room),
            "type": 12 if is_thread else 0,
            "guild_id": str(GUILD_ID),
            "name": "interview" if is_thread else "practice",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": str(CHANNEL_ID) if is_thread else None,
            "flags": 0,
        }
        if is_thread:
            channel.update(
                owner_id=str(BOT_ID),
                message_count=1,
                member_count=2,
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": 10080,
                    "archive_timestamp": _now(),
                    "locked": False,
                },
            )
        payload.update(
            guild_id=str(GUILD_ID),
            guild={"id": str(GUILD_ID), "locale": "en-US", "features": []},
            guild_locale="en-US",
            channel_id=str(room),
            channel=channel,
            member={
                "user": user,
                "roles": [],
                "joined_at": _now(),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": str((1 << 53) - 1),
            },
            context=0,
            authorizing_integration_owners={"0": str(GUILD_ID)},
        )
    return payload


def slash(
    sub: str,
    options: dict[str, Any] | None = None,
    *,
    attachments: dict[str, dict[str, Any]] | None = None,
    user_id: int = CANDIDATE_ID,
    name: str = "Candidate",
    dm: bool = False,
    channel_id: int | None = None,
) -> dict[str, Any]:
    """``/interview <sub> name:value…`` as Discord delivers it. Attachment options give the
    attachment object (from ``serve_attachment``); it goes into ``resolved`` by id."""
    types = {str: 3, bool: 5, int: 4}
    rendered: list[dict[str, Any]] = []
    for key, value in (options or {}).items():
        if isinstance(value, dict):
            rendered.append({"name": key, "type": 11, "value": value["id"]})
        else:
            rendered.append({"name": key, "type": types[type(value)], "value": value})
    resolved = {"attachments": {a["id"]: a for a in (attachments or {}).values()}}
    for value in (options or {}).values():
        if isinstance(value, dict):
            resolved["attachments"][value["id"]] = value
    payload = _base_interaction(2, user_id, name, dm=dm, channel_id=channel_id)
    payload["data"] = {
        "id": str(COMMAND_ID),
        "name": "interview",
        "type": 1,
        "options": [{"name": sub, "type": 1, "options": rendered}],
        "resolved": resolved,
    }
    return payload


def button(
    custom_id: str,
    message: dict[str, Any],
    *,
    user_id: int = CANDIDATE_ID,
    name: str = "Candidate",
    dm: bool = False,
    channel_id: int | None = None,
) -> dict[str, Any]:
    payload = _base_interaction(
        3, user_id, name, dm=dm, channel_id=channel_id or int(message["channel_id"])
    )
    payload["message"] = message
    payload["data"] = {"custom_id": custom_id, "component_type": 2}
    return payload


def modal_submit(
    custom_id: str,
    values: dict[str, str],
    *,
    user_id: int = CANDIDATE_ID,
    dm: bool = False,
    channel_id: int | None = None,
) -> dict[str, Any]:
    payload = _base_interaction(5, user_id, "Candidate", dm=dm, channel_id=channel_id)
    payload["data"] = {
        "custom_id": custom_id,
        "components": [
            {"type": 18, "id": i + 1, "component": {"type": 4, "custom_id": key, "value": value}}
            for i, (key, value) in enumerate(values.items())
        ],
    }
    return payload


def chat_message(
    channel_id: int,
    content: str,
    *,
    user_id: int = CANDIDATE_ID,
    name: str = "Candidate",
    dm: bool = False,
) -> dict[str, Any]:
    """MESSAGE_CREATE as the gateway sends it."""
    data: dict[str, Any] = {
        "id": str(990000000000000000 + next(_interaction_ids)),
        "channel_id": str(channel_id),
        "author": user_payload(user_id, name),
        "content": content,
        "timestamp": _now(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
    }
    if not dm:
        data["guild_id"] = str(GUILD_ID)
        data["member"] = {
            "roles": [],
            "joined_at": _now(),
            "deaf": False,
            "mute": False,
            "flags": 0,
        }
    return data


def modal_from(call: Call) -> tuple[str, list[str]]:
    """The custom id of a modal the bot opened (callback type 9) and its inputs' custom ids."""
    data = call.json["data"]
    inputs: list[str] = []
    for row in data["components"]:
        inner = row.get("component")
        children = [inner] if inner else row.get("components", [])
        inputs.extend(c["custom_id"] for c in children if "custom_id" in c)
    return data["custom_id"], inputs


# ---------------------------------------------------------------------- the bot under test
TOKEN = "fake-token.not-real"


class Harness:
    def __init__(
        self,
        fake: FakeDiscord,
        db_path: Path,
        profile: JobProfile,
        bank: QuestionBank,
        *,
        message_content: bool = True,
    ) -> None:
        self.fake = fake
        self.db_path = db_path
        self.profile = profile
        self.bank = bank
        self.message_content = message_content
        self.store: SQLiteStore | None = None
        self.bot: InterviewBot | None = None

    async def start(self) -> InterviewBot:
        self.store = SQLiteStore(self.db_path)
        await self.store.open()
        profile = self.profile
        engine = InterviewEngine(
            self.store, OfflineBrain(lambda _text: profile, Planner(self.bank))
        )
        config = DiscordConfig(token=TOKEN, guild_ids=(GUILD_ID,), api_base_url=self.fake.api_base)
        self.bot = InterviewBot(engine, config, message_content=self.message_content)
        await self.bot.login(TOKEN)
        return self.bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.close()
            self.bot = None
        if self.store is not None:
            await self.store.close()
            self.store = None

    # ------------------------------------------------------------------ driving
    def interact(self, payload: dict[str, Any]) -> None:
        assert self.bot is not None
        self.bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]

    def say(self, payload: dict[str, Any]) -> None:
        assert self.bot is not None
        self.bot._connection.parse_message_create(payload)  # type: ignore[arg-type]

    async def posted(
        self, channel_id: int | str, predicate: Any = None, *, count: int = 1
    ) -> list[Call]:
        """Messages the bot posted in a channel (waits until ``count`` match ``predicate``)."""

        def found() -> list[Call] | None:
            calls = [
                c
                for c in self.fake.find("POST", rf"/channels/{channel_id}/messages$")
                if predicate is None or predicate(c)
            ]
            return calls if len(calls) >= count else None

        return await self.fake.wait_for(found, what=f"{count} message(s) in {channel_id}")


def titled(prefix: str) -> Any:
    return lambda call: any(str(e.get("title", "")).startswith(prefix) for e in call.embeds)
