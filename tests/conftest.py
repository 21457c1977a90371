"""Shared fixtures: real servers on loopback, a Target builder, a check runner."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from checks.check import Check
from checks.model import CheckResult
from checks.runner import run_checks
from checks.target import Target

ServeApp = Callable[[web.Application], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[ServeApp]:
    """Start aiohttp apps on 127.0.0.1 port 0; yields a function returning each base URL."""
    runners: list[web.AppRunner] = []

    async def start(app: web.Application) -> str:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


def make_target(base_url: str, **fields: Any) -> Target:
    return Target.model_validate({"base_url": base_url, **fields})


async def run_one(item: Check, target: Target, *, root: Path | None = None, timeout: float | None = None) -> CheckResult:
    report = await run_checks(target, [item], root=root, timeout=timeout)
    return report.results[0]


# The PostgreSQL fixtures (a throwaway server per session, a database per test).
from tests.postgres import postgres_server, postgres_url  # noqa: E402, F401


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database on each backend the store supports: a SQLite file, then a database on
    the session's real PostgreSQL server. Tests that take it run once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'launchready.db'}"
    return request.getfixturevalue("postgres_url")
