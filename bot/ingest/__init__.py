"""The ingest endpoints of `launchready serve` (DESIGN section 6).

``add_routes(app, monitoring)`` adds ``POST /ingest/events``, ``/ingest/alertmanager`` and
``/ingest/sentry`` to the service's aiohttp app (:mod:`bot.app.server` calls it). Every
accepted delivery is written to the store before the 2xx; rejections are counted
(``Monitoring.rejections``) and logged with our sentence, never with the body or its secrets.
"""

from __future__ import annotations

from aiohttp import web

from bot.ingest import alertmanager, events, sentry
from bot.monitoring.monitoring import Monitoring

__all__ = ["add_routes"]


def add_routes(app: web.Application, monitoring: Monitoring) -> None:
    clock = monitoring.clock
    app.router.add_post("/ingest/events", events.handler(monitoring, clock=clock))
    app.router.add_post("/ingest/alertmanager", alertmanager.handler(monitoring, clock=clock))
    app.router.add_post("/ingest/sentry", sentry.handler(monitoring, clock=clock))
