"""Where monitoring joins the running service: one :class:`Monitoring` per aiohttp app.

The ingest routes and the scheduler both call :func:`monitoring_for`; the first call builds
it from the service's runtime (config, the store's engine, the Slack notifier with the Slack
incident renderer), plugs the ``digest`` and ``incidents`` commands and App Home's incident
list into the runtime, and hands ``obs.monitoring_live`` its facts through the services.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.monitoring.monitoring import Monitoring

__all__ = ["MONITORING", "monitoring_for"]

log = logging.getLogger(__name__)

MONITORING = web.AppKey("monitoring", Monitoring)


def _renderer() -> Any:
    try:
        from bot.slack.blocks.incident import IncidentBlocks
    except ImportError:  # a build without the Slack part: plain text alerts
        return None
    return IncidentBlocks()


def monitoring_for(app: web.Application, runtime: Any) -> Monitoring:
    existing = app.get(MONITORING)
    if existing is not None:
        return existing
    monitoring = Monitoring(
        runtime.config,
        runtime.services.store.engine,
        notifier=runtime.notifier,
        renderer=_renderer(),
        clock=runtime.clock,
    )
    app[MONITORING] = monitoring
    wire(runtime, monitoring)

    async def close(_: web.Application) -> None:
        await monitoring.aclose()

    app.on_cleanup.append(close)
    return monitoring


def wire(runtime: Any, monitoring: Monitoring) -> None:
    """Plug monitoring into the runtime's command registry, App Home and the check facts."""
    runtime.monitoring = monitoring
    services = runtime.services
    if hasattr(services, "facts_provider"):
        services.facts_provider = lambda target: {"monitoring": monitoring.facts(target)}
    try:
        from bot.slack.listeners.incidents import digest_command, incident_lines, incidents_command
    except ImportError:  # a build without the Slack part
        return
    runtime.commands["digest"] = digest_command
    runtime.commands["incidents"] = incidents_command

    async def lines() -> list[Any]:
        return incident_lines(monitoring)

    runtime.incidents = lines
