"""The ingest routes served on loopback over a real store (SQLite, then PostgreSQL), with a recording notifier."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
import yaml
from aiohttp import web

from bot.config import parse_config
from bot.ingest import add_routes
from bot.monitoring.monitoring import Monitoring
from bot.store import Store
from tests.monitoring.conftest import Clock, RecordingNotifier

SECRET = "whsec_" + base64.b64encode(b"launch-ready-ingest-test-key-32b").decode()
AM_TOKEN = "am-token-0123456789"
SENTRY_SECRET = "sentry-client-secret-abcdef"


@dataclass
class Ingest:
    url: str
    monitoring: Monitoring
    notifier: RecordingNotifier
    clock: Clock
    client: httpx.AsyncClient


def ingest_config(tmp_path, **ingest):
    data = {
        "project": "Acme Chat",
        "slack": {"channel": "C0LAUNCH", "admins": ["U0ADMIN"]},
        "targets": {"staging": {"base_url": "http://127.0.0.1:1"}},
        "alerts": {
            "latency": {"p95_ms": 500, "window": "5m", "min_samples": 5},
            "errors": {"rate": 0.5, "window": "5m", "min_samples": 4},
            "webhooks": {"failures": 3, "window": "10m"},
        },
        "ingest": ingest or {"secret": SECRET, "alertmanager_token": AM_TOKEN, "sentry_secret": SENTRY_SECRET, "max_body": 4096},
    }
    return parse_config(yaml.safe_dump(data), env={}, root=tmp_path)


@pytest.fixture
async def ingest(tmp_path, serve, database_url):
    config = ingest_config(tmp_path)
    store = Store.open(database_url)
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    notifier = RecordingNotifier()
    monitoring = Monitoring(config, store, notifier=notifier, clock=clock)
    app = web.Application()
    add_routes(app, monitoring)
    url = await serve(app)
    async with httpx.AsyncClient(base_url=url) as client:
        yield Ingest(url, monitoring, notifier, clock, client)
    await monitoring.idle()
    await monitoring.aclose()
    store.close()
