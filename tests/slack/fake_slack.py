"""A fake Slack Web API: a real aiohttp server on loopback that records every call.

It answers the methods the bot uses the way Slack does (``ok``, ``ts``, ``channel`` ...),
rejects messages and views that break a Block Kit limit with ``invalid_blocks`` (as Slack
does), and can be told to fail: ``fake.fail("chat.postMessage", status=429,
retry_after=1)``, ``fake.fail("chat.update", status=500, times=None)`` (always), or
``fake.fail("chat.postMessage", error="not_in_channel")``. ``response_url`` posts land at
``fake.response_url(...)`` and are recorded as the method ``response_url``.

Use it through the ``fake_slack`` fixture in ``tests/slack/conftest.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from bot.slack.blocks.limits import violations

__all__ = ["Call", "FakeSlack"]

BOT_USER = "U0BOT"
TEAM = "T0TEAM"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    at: float  # time.monotonic() when it arrived
    status: int = 200
    answer: dict[str, Any] = field(default_factory=dict)

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return self.args.get("blocks") or []

    @property
    def text(self) -> str:
        """The fallback text and every text in the blocks, for assertions."""
        return self.args.get("text", "") + "\n" + json.dumps(self.args.get("blocks") or self.args.get("view") or [])


@dataclass
class _Rule:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    times: int | None = 1  # None: every call


class FakeSlack:
    def __init__(self, *, token_prefix: str = "xoxb-") -> None:
        self.calls: list[Call] = []
        self._rules: dict[str, list[_Rule]] = {}
        self._ts = itertools.count(1)
        self._token_prefix = token_prefix
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._changed = asyncio.Event()
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    # -- control --------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, key: str = "r1") -> str:
        return f"{self.url}/respond/{key}"

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        times: int | None = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` fail (``None``: all of them). A 200 with
        ``error`` is Slack's ``{"ok": false, "error": ...}``."""
        if status == 200 and error is None:
            error = "internal_error"
        self._rules.setdefault(method, []).append(_Rule(status, error, retry_after, times))

    def heal(self, method: str | None = None) -> None:
        if method is None:
            self._rules.clear()
        else:
            self._rules.pop(method, None)

    def calls_to(self, method: str, *, ok_only: bool = False) -> list[Call]:
        return [c for c in self.calls if c.method == method and (not ok_only or c.answer.get("ok", c.status == 200))]

    async def socket_send(self, envelope: dict[str, Any]) -> None:
        """Deliver a Socket Mode envelope to the connected app; its acknowledgement is
        recorded as the method ``socket_ack``."""
        await self._outbox.put(envelope)

    async def wait_for(self, predicate: Callable[[FakeSlack], bool] | str, *, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until ``predicate(fake)`` holds, or ``count`` calls of the named method landed."""
        if isinstance(predicate, str):
            method = predicate

            def predicate(fake: FakeSlack) -> bool:
                return len(fake.calls_to(method)) >= count

        async with asyncio.timeout(timeout):
            while not predicate(self):
                self._changed.clear()
                await self._changed.wait()

    # -- server ---------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # the SDK reads some methods with GET
        app.router.add_post("/respond/{key}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._changed.set()

    async def _read_args(self, request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        if request.method == "GET":
            args: dict[str, Any] = dict(request.query)
        elif request.content_type == "application/json":
            args = json.loads(raw or b"{}")
        else:
            args = dict(parse_qsl(raw.decode(), keep_blank_values=True))
            args.update(request.query)
        for key in ("blocks", "view", "attachments", "files"):
            if isinstance(args.get(key), str) and args[key].startswith(("[", "{")):
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._read_args(request)
        call = Call(method, args, dict(request.headers), time.monotonic())
        rule = self._take_rule(method)
        if rule is not None:
            call.status = rule.status
            headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else {}
            if rule.status == 200:
                call.answer = {"ok": False, "error": rule.error}
                self._record(call)
                return web.json_response(call.answer, headers=headers)
            call.answer = {"ok": False, "error": rule.error or ("ratelimited" if rule.status == 429 else "fatal_error")}
            self._record(call)
            return web.json_response(call.answer, status=rule.status, headers=headers)
        call.answer = self._answer(method, args, request.headers.get("Authorization", ""))
        self._record(call)
        return web.json_response(call.answer)

    def _take_rule(self, method: str) -> _Rule | None:
        rules = self._rules.get(method)
        if not rules:
            return None
        rule = rules[0]
        if rule.times is not None:
            rule.times -= 1
            if rule.times <= 0:
                rules.pop(0)
        return rule

    def _answer(self, method: str, args: dict[str, Any], authorization: str) -> dict[str, Any]:
        if method == "apps.connections.open":  # called with the app-level token
            if not authorization.startswith("Bearer xapp-"):
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.url.replace("http://", "ws://") + "/socket"}
        if not authorization.startswith(f"Bearer {self._token_prefix}"):
            return {"ok": False, "error": "not_authed" if not authorization else "invalid_auth"}
        channel = args.get("channel", "")
        if method == "auth.test":
            return {"ok": True, "url": "https://fake.slack.test/", "team": "Fake", "user": "launchready",
                    "team_id": TEAM, "user_id": BOT_USER, "bot_id": "B0BOT", "is_enterprise_install": False}
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            problems = violations({"text": args.get("text", ""), "blocks": args.get("blocks") or []})
            if problems:
                return {"ok": False, "error": "invalid_blocks", "errors": problems[:5]}
            if not channel:
                return {"ok": False, "error": "channel_not_found"}
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            return {"ok": True, "channel": channel, "ts": ts,
                    "message": {"text": args.get("text", ""), "ts": ts, "thread_ts": args.get("thread_ts")}}
        if method == "chat.update":
            return {"ok": True, "channel": channel, "ts": args.get("ts"), "text": args.get("text", "")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "chat.getPermalink":
            ts = str(args.get("message_ts", ""))
            return {"ok": True, "channel": channel,
                    "permalink": f"https://fake.slack.test/archives/{channel}/p{ts.replace('.', '')}"}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            view = args.get("view") or {}
            problems = violations(view, kind="home" if view.get("type") == "home" else "modal")
            if problems:
                return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": problems[:5]}}
            return {"ok": True, "view": {"id": "V0VIEW", **view}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):06d}"
            return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = args.get("files") or []
            return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        if method == "pins.add":
            if not channel or not args.get("timestamp"):
                return {"ok": False, "error": "no_item_specified"}
            return {"ok": True}
        if method == "conversations.join":
            return {"ok": True, "channel": {"id": channel}}
        return {"ok": False, "error": "unknown_method"}

    async def _respond(self, request: web.Request) -> web.Response:
        args = await self._read_args(request)
        call = Call("response_url", args, dict(request.headers), time.monotonic())
        rule = self._take_rule("response_url")
        if rule is not None:
            call.status = rule.status
            self._record(call)
            return web.Response(status=rule.status, text=rule.error or "failed")
        call.answer = {"ok": True}
        self._record(call)
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._record(Call("socket_connect", {}, dict(request.headers), time.monotonic()))
        await socket.send_json({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}})

        async def pump() -> None:
            while True:
                await socket.send_json(await self._outbox.get())

        sender = asyncio.get_running_loop().create_task(pump())
        try:
            async for message in socket:
                if message.type == web.WSMsgType.TEXT:
                    self._record(Call("socket_ack", json.loads(message.data), {}, time.monotonic()))
        finally:
            sender.cancel()
        return socket

    async def _upload(self, request: web.Request) -> web.Response:
        body = await request.read()
        self._record(Call("upload", {"file_id": request.match_info["file_id"], "size": len(body)},
                          dict(request.headers), time.monotonic()))
        return web.Response(text=f"OK - {len(body)}")
