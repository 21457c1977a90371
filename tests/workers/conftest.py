"""A gated target on loopback and an app.yaml in tmp_path for real worker processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from bot.store import Store
from tests.slack.conftest import fake_slack  # noqa: F401 - a fixture the Slack tests here use


@dataclass
class GatedTarget:
    """GET /health answers once the test opens ``gate``; ``hits`` counts the requests that
    arrived, so a test knows a run is under way in the worker."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    hits: int = 0

    def app(self) -> web.Application:
        async def health(request: web.Request) -> web.Response:
            self.hits += 1
            self.arrived.set()
            await self.gate.wait()
            return web.json_response({"status": "ok"})

        app = web.Application()
        app.router.add_get("/health", health)
        return app


@dataclass
class WorkerSetup:
    config_path: Path
    database: Path
    target: GatedTarget

    def store(self) -> Store:
        return Store.open(f"sqlite:///{self.database}")


def write_config(tmp_path: Path, base_url: str, **extra: Any) -> Path:
    data: dict[str, Any] = {
        "project": "Acme Chat",
        "database": f"sqlite:///{tmp_path / 'launchready.db'}",
        "slack": {"channel": "C0LAUNCH", "admins": ["U0ADMIN"]},
        "targets": {"staging": {"base_url": base_url, "health_routes": ["GET /health"]}},
    }
    data.update(extra)
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
async def worker_setup(serve: Any, tmp_path: Path) -> AsyncIterator[WorkerSetup]:
    target = GatedTarget()
    url = await serve(target.app())
    yield WorkerSetup(write_config(tmp_path, url), tmp_path / "launchready.db", target)
    target.gate.set()
