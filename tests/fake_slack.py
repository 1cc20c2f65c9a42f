"""A loopback fake of the Slack Web API, file hosting and the Socket Mode websocket.

The real ``AsyncWebClient`` (``base_url`` = ``SLACK_API_URL``) and the real Socket Mode client
talk to it over 127.0.0.1, so tests go through slack_sdk's and bolt's own code paths. Every call is
recorded; an unknown method answers ``ok: false`` so the client raises and the test fails loudly.
File downloads require the bot token in ``Authorization`` (like ``url_private_download``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T1"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class StoredFile:
    name: str
    data: bytes
    mimetype: str = "text/plain"


@dataclass
class FakeSlack:
    bot_token: str = BOT_TOKEN
    app_token: str = APP_TOKEN
    calls: list[Call] = field(default_factory=list)
    files: dict[str, StoredFile] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    downloads: list[dict[str, str]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    closed_channels: set[str] = field(default_factory=set)
    # users.info answers: user id -> fields merged over a plain member (is_admin, is_owner, tz).
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    port: int = 0

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._socket: web.WebSocketResponse | None = None
        self._socket_ready = asyncio.Event()
        self._sockets: list[web.WebSocketResponse] = []

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/files/{file_id}/{name}", self._download)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{ref}", self._response)
        app.router.add_get("/link", self._websocket)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        for socket in self._sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, ref: str = "r1") -> str:
        return f"{self.base}/response/{ref}"

    def add_file(self, name: str, data: bytes, mimetype: str = "text/plain") -> str:
        file_id = f"F{next(self._ids):04d}"
        self.files[file_id] = StoredFile(name, data, mimetype)
        return file_id

    # ------------------------------------------------------------------ queries
    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(
        self, predicate: Callable[[], Any], *, within: float = 5.0, what: str = "condition"
    ) -> Any:
        """Poll ``predicate`` until truthy; bounded in time so a broken flow fails, not hangs."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            value = predicate()
            if value:
                return value
            await asyncio.sleep(0.02)
        raise AssertionError(
            f"timed out waiting for {what}; calls: {[c.method for c in self.calls]}"
        )

    async def wait_calls(self, method: str, count: int, *, within: float = 5.0) -> list[Call]:
        return list(
            await self.wait_for(
                lambda: self.called(method) if len(self.called(method)) >= count else None,
                within=within,
                what=f"{count} x {method}",
            )
        )

    # ------------------------------------------------------------------ the Web API
    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update((await request.post()).items())
        for key in ("blocks", "view", "files", "attachments"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append(Call(method, params, dict(request.headers)))
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if request.headers.get("Authorization") != f"Bearer {expected}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        result: dict[str, Any] = handler(params)
        return web.json_response(result)

    def _m_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake.slack.com/",
            "team": "Fake",
            "user": "interview-bot",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
        }

    def _m_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel"))
        if channel in self.closed_channels:
            return {"ok": False, "error": "not_in_channel"}
        ts = f"1700000000.{next(self._ts):06d}"
        return {"ok": True, "channel": channel, "ts": ts, "message": {"ts": ts}}

    def _m_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}

    def _m_chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}

    def _m_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": f"1700000001.{next(self._ts):06d}"}

    def _m_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": "V1"}}

    def _m_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": "V2"}}

    def _m_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": f"D{params.get('users')}"}}

    def _m_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user"))
        user = {
            "id": user_id,
            "team_id": TEAM,
            "name": f"name-{user_id}",
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_bot": False,
            "tz": "UTC",
            **self.users.get(user_id, {}),
        }
        return {"ok": True, "user": user}

    def _m_files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file"))
        stored = self.files.get(file_id)
        if stored is None:
            return {"ok": False, "error": "file_not_found"}
        url = f"{self.base}/files/{file_id}/{stored.name}"
        return {
            "ok": True,
            "file": {
                "id": file_id,
                "name": stored.name,
                "size": len(stored.data),
                "mimetype": stored.mimetype,
                "url_private": url,
                "url_private_download": url,
            },
        }

    def _m_files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ids):04d}"
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files") or []
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}

    def _m_apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}

    # ------------------------------------------------------------------ files and responses
    async def _download(self, request: web.Request) -> web.Response:
        self.downloads.append(dict(request.headers))
        stored = self.files.get(request.match_info["file_id"])
        if stored is None:
            return web.Response(status=404)
        if request.headers.get("Authorization") != f"Bearer {self.bot_token}":
            # What Slack really does: a 200 sign-in page. The adapter must notice.
            return web.Response(text="<html>Sign in to Slack</html>", content_type="text/html")
        return web.Response(body=stored.data, content_type=stored.mimetype)

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        self.calls.append(Call("upload", {"file_id": request.match_info["file_id"]}, {}))
        return web.Response(text="OK")

    async def _response(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.responses.append(body)
        return web.Response(text="ok")

    # ------------------------------------------------------------------ Socket Mode
    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        self._socket = socket
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake", "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A1"},
            }
        )
        self._socket_ready.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                data = json.loads(message.data)
                if "envelope_id" in data:
                    self.acks[data["envelope_id"]] = data
            elif message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                break
        return socket

    async def wait_socket(self, within: float = 5.0) -> None:
        await asyncio.wait_for(self._socket_ready.wait(), within)

    async def send_envelope(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int | None = None,
        accepts_response_payload: bool = False,
    ) -> str:
        """One Socket Mode envelope (events_api, slash_commands, interactive); returns its id."""
        assert self._socket is not None, "no Socket Mode connection"
        envelope_id = f"env-{next(self._ids)}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = "timeout"
        await self._socket.send_json(envelope)
        return envelope_id

    async def wait_ack(self, envelope_id: str, within: float = 5.0) -> dict[str, Any]:
        return dict(
            await self.wait_for(
                lambda: self.acks.get(envelope_id), within=within, what=f"ack {envelope_id}"
            )
        )


# ---------------------------------------------------------------------- what Slack sends us
def slash_payload(
    text: str, *, user: str = "U1", channel: str = "C1", response_url: str = ""
) -> dict[str, str]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "team_domain": "fake",
        "channel_id": channel,
        "channel_name": "interviews",
        "user_id": user,
        "user_name": f"name-{user}",
        "command": "/interview",
        "text": text,
        "api_app_id": "A1",
        "response_url": response_url,
        "trigger_id": "trigger-1",
    }


_event_ids = itertools.count(1)


def message_event(
    text: str,
    *,
    user: str = "U1",
    channel: str = "C1",
    thread_ts: str = "",
    event_id: str = "",
    channel_type: str = "channel",
    **extra: Any,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "message",
        "user": user,
        "text": text,
        "channel": channel,
        "channel_type": channel_type,
        "ts": f"1700000100.{next(_event_ids):06d}",
        **extra,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event_callback(event, event_id=event_id)


def event_callback(event: dict[str, Any], *, event_id: str = "") -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_ids):06d}",
        "event_time": 1700000100,
        "event": event,
        "authorizations": [
            {"team_id": TEAM, "user_id": BOT_USER, "is_bot": True, "enterprise_id": None}
        ],
    }


def action_payload(
    action_id: str,
    value: str,
    *,
    user: str = "U1",
    channel: str = "C1",
    message_ts: str = "",
    blocks: list[dict[str, Any]] | None = None,
    response_url: str = "",
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "fake"},
        "user": {"id": user, "username": f"name-{user}", "team_id": TEAM},
        "api_app_id": "A1",
        "token": "legacy",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "channel": {"id": channel, "name": "interviews"},
        "message": {"type": "message", "ts": message_ts, "blocks": blocks or []},
        "trigger_id": "trigger-2",
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "action_ts": "1700000200.000001",
            }
        ],
    }


def buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """action_id -> value of every button in ``blocks``."""
    return {
        element["action_id"]: element.get("value", "")
        for block in blocks
        if block.get("type") == "actions"
        for element in block["elements"]
    }
