"""Fixtures for monitors and incidents: a SQLite file, a recording notifier, a switchable app."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import Engine

from bot.store import Store


@pytest.fixture
def engine(database_url) -> Engine:
    """The engine of a real store, on SQLite and on PostgreSQL (every table created by Store.open)."""
    store = Store.open(database_url)
    yield store.engine
    store.close()


@dataclass
class Call:
    method: str
    channel: str
    text: str
    blocks: Any = None
    thread_ts: str | None = None
    ts: str | None = None


@dataclass
class RecordingNotifier:
    """Records posts and updates; ``failing = True`` makes every call raise like Slack down."""

    calls: list[Call] = field(default_factory=list)
    failing: bool = False
    counter: int = 0

    async def post(self, channel, text, blocks=None, thread_ts=None):
        if self.failing:
            raise RuntimeError("Slack answered 500 to chat.postMessage.")
        self.counter += 1
        ts = f"1700000000.{self.counter:06d}"
        self.calls.append(Call("post", channel, text, blocks, thread_ts, ts))
        return ts

    async def update(self, channel, ts, text, blocks=None):
        if self.failing:
            raise RuntimeError("Slack answered 500 to chat.update.")
        self.calls.append(Call("update", channel, text, blocks, None, ts))
        return {"ok": True}

    def posts(self, *, threaded: bool | None = None) -> list[Call]:
        return [
            c for c in self.calls
            if c.method == "post" and (threaded is None or (c.thread_ts is not None) == threaded)
        ]

    def updates(self) -> list[Call]:
        return [c for c in self.calls if c.method == "update"]


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@dataclass
class Switch:
    """What the switchable app answers: a status, a JSON body, an optional delay."""

    status: int = 200
    body: dict = field(default_factory=lambda: {"status": "ok"})
    delay: float = 0.0
    hits: int = 0


def switchable_app(switch: Switch) -> web.Application:
    app = web.Application()

    async def handler(request: web.Request) -> web.Response:
        switch.hits += 1
        if switch.delay:
            await asyncio.sleep(switch.delay)
        return web.json_response(switch.body, status=switch.status)

    app.router.add_route("*", "/{tail:.*}", handler)
    return app


@pytest.fixture
async def switch(serve) -> tuple[Switch, str]:
    state = Switch()
    base = await serve(switchable_app(state))
    return state, base


class Clock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 30, 6, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()
