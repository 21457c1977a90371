"""The ingest endpoints of `launchready serve` (DESIGN section 6).

``install(app, runtime)`` adds ``POST /ingest/events``, ``/ingest/alertmanager`` and
``/ingest/sentry`` to the service's aiohttp app. Every accepted delivery is written to the
store before the 2xx; rejections are counted (``Monitoring.rejections``) and logged with our
sentence, never with the body or its secrets.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.app.monitoring import monitoring_for
from bot.ingest import alertmanager, events, sentry

__all__ = ["add_routes", "install"]


def add_routes(app: web.Application, monitoring: Any) -> None:
    clock = monitoring.clock
    app.router.add_post("/ingest/events", events.handler(monitoring, clock=clock))
    app.router.add_post("/ingest/alertmanager", alertmanager.handler(monitoring, clock=clock))
    app.router.add_post("/ingest/sentry", sentry.handler(monitoring, clock=clock))


def install(app: web.Application, runtime: Any) -> None:
    add_routes(app, monitoring_for(app, runtime))
