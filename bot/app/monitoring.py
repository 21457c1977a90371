"""Where monitoring joins the running service: one :class:`Monitoring` per aiohttp app.

:func:`attach_monitoring` builds it from the runtime (config, the store, the Slack notifier
with the Slack incident renderer), hands it to the runtime (the ``incidents`` subcommand,
App Home, the incident buttons read ``runtime.monitoring``), gives ``obs.monitoring_live`` its
facts through the services, and closes it when the app stops.
"""

from __future__ import annotations

from aiohttp import web

from bot.app.runtime import Runtime
from bot.hypercare import hypercare_for
from bot.monitoring.monitoring import Monitoring
from bot.promises import covering
from bot.slack.blocks.incident import IncidentBlocks

__all__ = ["MONITORING", "attach_monitoring"]

MONITORING = web.AppKey("monitoring", Monitoring)


def attach_monitoring(app: web.Application, runtime: Runtime) -> Monitoring:
    hypercare = hypercare_for(runtime.config)
    monitoring = Monitoring(
        runtime.config,
        runtime.services.store,
        notifier=runtime.notifier,
        # The alert names the checks it contradicts and, once resolved, offers their rerun.
        renderer=IncidentBlocks(
            coverage=lambda incident: covering(runtime.config, incident),
            owner_for=hypercare.owner_for if hypercare is not None else None,
        ),
        clock=runtime.clock,
    )
    app[MONITORING] = monitoring
    runtime.monitoring = monitoring
    runtime.services.facts_provider = lambda target: {"monitoring": monitoring.facts(target)}

    async def close(_: web.Application) -> None:
        await monitoring.aclose()

    app.on_cleanup.append(close)
    return monitoring
