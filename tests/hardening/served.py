"""The whole ``launchready serve`` application on loopback, for the hardening tests: Bolt on
``POST /slack/events`` (a fake Slack Web API behind it), the ingest endpoints with all three
secrets configured, ``GET /healthz``, a real SQLite store in ``tmp_path``.

Built the way ``bot/cli/serve_cmd.py`` builds it (``build_server(runtime, bolt)``), so what
these tests see is what a deployment serves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.runtime import Runtime
from bot.server import build_server
from bot.service import Services
from bot.slack.app import SlackSettings, build_app
from tests.ingest.conftest import AM_TOKEN, SECRET, SENTRY_SECRET
from tests.slack.conftest import FAST_RETRIES, TinyTarget, make_config
from tests.slack.fake_slack import FakeSlack
from tests.slack.slack_requests import BOT_TOKEN, SIGNING_SECRET

__all__ = ["AM_TOKEN", "MAX_BODY", "SECRET", "SENTRY_SECRET", "Served", "served_app"]

MAX_BODY = 8192  # small, so the cap is reachable by generated bodies too


@dataclass
class Served:
    url: str
    runtime: Runtime
    fake: FakeSlack


@asynccontextmanager
async def served_app(tmp_path: Path) -> AsyncIterator[Served]:
    """Start the served app (and the fake Slack it talks to) on 127.0.0.1; stop both after."""
    fake = FakeSlack()
    await fake.start()
    config = make_config(
        "http://127.0.0.1:1",  # the service's own checks target is never run here
        tmp_path,
        ingest={"secret": SECRET, "alertmanager_token": AM_TOKEN, "sentry_secret": SENTRY_SECRET, "max_body": MAX_BODY},
    )
    runtime = Runtime(config=config, services=Services.open(config, registry=TinyTarget().registry()), edit_interval=0.05)
    settings = SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake.api_url)
    app = build_server(runtime, build_app(runtime, settings, FAST_RETRIES))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield Served(f"http://127.0.0.1:{port}", runtime, fake)
    finally:
        await runtime.tasks.drain(timeout=5)
        await runner.cleanup()
        await fake.stop()
