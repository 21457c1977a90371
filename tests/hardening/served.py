"""The whole ``launchready serve`` application on loopback, for the hardening tests: Bolt on
``POST /slack/events`` (a fake Slack Web API behind it), the ingest endpoints with all three
secrets configured, ``GET /healthz``, a real SQLite store in ``tmp_path``.

Built the way ``bot/cli/serve_cmd.py`` builds it (``build_server(runtime, bolt)``), so what
these tests see is what a deployment serves.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.app.runtime import Runtime
from bot.app.server import build_server
from bot.services import Services
from bot.slack.app import SlackSettings, build_app
from tests.ingest.conftest import AM_TOKEN, SECRET, SENTRY_SECRET
from tests.slack.conftest import FAST_RETRIES, TinyTarget, make_config
from tests.slack.fake_slack import FakeSlack
from tests.slack.slack_requests import BOT_TOKEN, SIGNING_SECRET

__all__ = ["AM_TOKEN", "MAX_BODY", "SECRET", "SENTRY_SECRET", "Served", "served_app", "served_in_thread"]

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
    tiny = TinyTarget()
    tiny.gate.set()  # a run a fuzzed command starts must not wait on the gated check
    runtime = Runtime(config=config, services=Services.open(config, registry=tiny.registry()), edit_interval=0.05)
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


@contextmanager
def served_in_thread(tmp_path: Path) -> Iterator[Served]:
    """:func:`served_app` on an event loop of its own in a thread, for synchronous tests
    (hypothesis drives those): one served app for a whole test module."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        try:
            async with served_app(tmp_path) as served:
                box["served"], box["stop"] = served, asyncio.Event()
                ready.set()
                await box["stop"].wait()
        finally:
            ready.set()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), name="served-app", daemon=True)
    thread.start()
    try:
        assert ready.wait(30) and "served" in box, "the served app did not start"
        yield box["served"]
    finally:
        if "stop" in box:
            loop.call_soon_threadsafe(box["stop"].set)
        thread.join(30)
        if not thread.is_alive():
            loop.close()
