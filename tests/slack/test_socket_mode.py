"""Socket Mode: with SLACK_APP_TOKEN the app connects out over a websocket (here the fake's)
and answers the same commands; no /slack/events route is served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app.runtime import Runtime
from bot.app.server import build_server
from bot.services import Services
from bot.slack.app import SlackSettings, build_app
from tests.slack.conftest import FAST_RETRIES, TinyTarget, make_config
from tests.slack.fake_slack import FakeSlack
from tests.slack.slack_requests import BOT_TOKEN


def slash(text: str, envelope_id: str) -> dict[str, Any]:
    return {"envelope_id": envelope_id, "type": "slash_commands", "accepts_response_payload": True,
            "payload": {"token": "legacy", "team_id": "T0TEAM", "channel_id": "C0LAUNCH", "user_id": "U0ALICE",
                        "command": "/launchready", "text": text, "api_app_id": "A0APP",
                        "response_url": "", "trigger_id": "1.2.3"}}


async def test_socket_mode_answers_commands_over_the_websocket(fake_slack: FakeSlack, serve: Any, tmp_path: Path):
    tiny = TinyTarget()
    tiny.gate.set()
    config = make_config(await serve(tiny.app()), tmp_path)
    runtime = Runtime(config=config, services=Services.open(config, registry=tiny.registry()))
    settings = SlackSettings(bot_token=BOT_TOKEN, signing_secret="", app_token="xapp-1-A0APP-1-abc",
                             api_url=fake_slack.api_url)
    bolt = build_app(runtime, settings, FAST_RETRIES)
    handler = AsyncSocketModeHandler(bolt, settings.app_token)
    url = await serve(build_server(runtime, bolt, socket_mode=handler, monitoring=False))
    await fake_slack.wait_for("socket_connect")

    await fake_slack.socket_send(slash("help", "env-1"))
    await fake_slack.wait_for("socket_ack")
    ack = fake_slack.calls_to("socket_ack")[0].args
    assert ack["envelope_id"] == "env-1" and "Usage" in ack["payload"]["text"]

    await fake_slack.socket_send(slash("run staging obs.health", "env-2"))
    await fake_slack.wait_for("chat.postMessage")
    await runtime.tasks.idle(spawned=1)
    assert "GO" in fake_slack.calls_to("chat.update", ok_only=True)[-1].args["text"]

    async with httpx.AsyncClient() as client:
        assert (await client.post(f"{url}/slack/events", content=b"{}")).status_code == 404
        assert (await client.get(f"{url}/healthz")).status_code == 200
