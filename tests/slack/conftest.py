"""Fixtures for the Slack app: the fake Slack Web API, and the whole ``launchready serve``
application served on loopback against a tiny target of our own, with a real SQLite store.

``fake_slack`` is reusable by any test that posts to Slack: point ``SLACK_API_URL`` (or
``SlackSettings.api_url``) at ``fake_slack.api_url``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from bot.app.runtime import Runtime
from bot.app.server import build_server
from bot.config import AppConfig, parse_config
from bot.services import Services
from bot.slack.app import RetryPolicy, SlackSettings, build_app
from checks.check import check, manual_check
from checks.context import CheckContext
from checks.model import Outcome, Severity
from checks.obs.health import CHECK as health
from checks.registry import Registry
from checks.target import Target
from tests.slack.fake_slack import FakeSlack
from tests.slack.slack_requests import BOT_TOKEN, SIGNING_SECRET, SlackSender

FAST_RETRIES = RetryPolicy(rate_limit_retries=2, server_error_retries=2, connection_retries=1, backoff=0.01)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


@dataclass
class TinyTarget:
    """A target app with an open admin route (a critical failure) and a health route; the
    ``gate`` holds the gated check, so a test can keep a run in progress."""

    # A threading.Event: runs from Slack execute on their own loop in another thread.
    gate: threading.Event = field(default_factory=threading.Event)
    admin_open: bool = True

    def app(self) -> web.Application:
        app = web.Application()

        async def health(request: web.Request) -> web.Response:
            return web.json_response({"status": "ok"})

        async def admin(request: web.Request) -> web.Response:
            if self.admin_open or request.headers.get("Authorization"):
                return web.json_response({"users": ["alice@acme.test"]})
            return web.json_response({"error": "unauthorized"}, status=401)

        app.router.add_get("/health", health)
        app.router.add_get("/admin/users", admin)
        return app

    def registry(self) -> Registry:
        @check(id="demo.admin_locked", title="Admin route needs a token", severity=Severity.CRITICAL,
               passes_when="GET /admin/users without a token answers 401/403.", why="Strangers read user lists.",
               breaks="Every user's email leaks.", remediation="Require an admin token on /admin/*.", max_requests=1)
        async def admin_locked(target: Target, ctx: CheckContext) -> Outcome:
            response = await ctx.http.request("GET", "/admin/users")
            if response.status in (401, 403):
                return Outcome.passed("GET /admin/users without a token answers 401.")
            return Outcome.failed(f"GET /admin/users without a token answered {response.status}.")

        @check(id="demo.gated", title="A check that waits for the test", severity=Severity.LOW,
               passes_when="The test opens the gate.", why="Keeps a run in progress.", breaks="Nothing.",
               remediation="None.", max_requests=0, timeout=20)
        async def gated(target: Target, ctx: CheckContext) -> Outcome:
            await asyncio.to_thread(self.gate.wait, 20)
            return Outcome.passed("The gate opened.")

        keys = manual_check(id="manual.keys_rotated", title="Keys rotated before launch", severity=Severity.HIGH,
                            passes_when="Owner attests.", why="Leaked keys.", breaks="Takeover.", remediation="Rotate.")
        return Registry([health, admin_locked, gated, keys])


def make_config(base_url: str, tmp_path: Path, **extra: Any) -> AppConfig:
    data: dict[str, Any] = {
        "project": "Acme Chat",
        "launch_date": "2026-12-15",
        "database": f"sqlite:///{tmp_path / 'launchready.db'}",
        "slack": {"channel": "C0LAUNCH", "admins": ["U0ADMIN"]},
        "targets": {
            "staging": {"base_url": base_url, "health_routes": ["GET /health"]},
            "production": {"base_url": base_url, "production": True, "health_routes": ["GET /health"]},
        },
        "checklist": {"demo.admin_locked": {"owner": "U0ALICE"}, "manual.keys_rotated": {"owner": "U0BOB"}},
    }
    data.update(extra)
    return parse_config(yaml.safe_dump(data, sort_keys=False), root=tmp_path)


@dataclass
class SlackService:
    url: str
    slack: SlackSender
    fake: FakeSlack
    runtime: Runtime
    target: TinyTarget


@pytest.fixture
async def slack_service(fake_slack: FakeSlack, serve: Any, tmp_path: Path) -> AsyncIterator[SlackService]:
    tiny = TinyTarget()
    tiny.gate.set()  # open unless a test closes it
    target_url = await serve(tiny.app())
    config = make_config(target_url, tmp_path)
    runtime = Runtime(config=config, services=Services.open(config, registry=tiny.registry()), edit_interval=0.05)
    settings = SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake_slack.api_url)
    bolt = build_app(runtime, settings, FAST_RETRIES)
    url = await serve(build_server(runtime, bolt))
    sender = SlackSender(f"{url}/slack/events", response_url=fake_slack.response_url())
    yield SlackService(url, sender, fake_slack, runtime, tiny)
    tiny.gate.set()
    await runtime.tasks.drain(timeout=5)
