"""Start the whole Slack service on loopback with a config and registry of the test's own
(the living-record tests need targets with a version route, a repository, monitors)."""

from __future__ import annotations

from typing import Any

from bot.app.runtime import Runtime
from bot.app.server import build_server
from bot.config import AppConfig
from bot.services import Services
from bot.slack.app import SlackSettings, build_app
from checks.registry import Registry
from tests.slack.conftest import FAST_RETRIES, SlackService, TinyTarget
from tests.slack.fake_slack import FakeSlack
from tests.slack.slack_requests import BOT_TOKEN, SIGNING_SECRET, SlackSender

__all__ = ["start_service"]


async def start_service(
    fake_slack: FakeSlack,
    serve: Any,
    config: AppConfig,
    registry: Registry,
    tiny: TinyTarget | None = None,
    **runtime: Any,
) -> SlackService:
    """The service as `launchready serve` wires it; drain ``service.runtime.tasks`` after."""
    live = Runtime(
        config=config,
        services=Services.open(config, registry=registry),
        edit_interval=0.05,
        **runtime,
    )
    settings = SlackSettings(
        bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake_slack.api_url
    )
    server = await serve(build_server(live, build_app(live, settings, FAST_RETRIES)))
    sender = SlackSender(f"{server}/slack/events", response_url=fake_slack.response_url())
    tiny = tiny or TinyTarget()
    tiny.gate.set()
    return SlackService(server, sender, fake_slack, live, tiny)
