"""`launchready serve` and `launchready manifest` from the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from bot.slack.app import SettingsError, SlackSettings
from tests.slack.fake_slack import FakeSlack
from tests.slack.slack_requests import BOT_TOKEN, SIGNING_SECRET, SlackSender

runner = CliRunner()


def test_manifest_yaml_names_urls_scopes_and_home():
    result = runner.invoke(app, ["manifest", "--url", "https://lr.acme.test/"])
    assert result.exit_code == 0
    data = yaml.safe_load(result.stdout)
    command = data["features"]["slash_commands"][0]
    assert command["command"] == "/launchready" and command["url"] == "https://lr.acme.test/slack/events"
    assert command["should_escape"] is True
    assert data["settings"]["interactivity"]["request_url"] == "https://lr.acme.test/slack/events"
    assert data["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert set(data["oauth_config"]["scopes"]["bot"]) == {"chat:write", "commands", "files:write", "pins:write"}


def test_manifest_json_and_socket_mode():
    result = runner.invoke(app, ["manifest", "--socket-mode", "--format", "json"])
    data = json.loads(result.stdout)
    assert data["settings"]["socket_mode_enabled"] is True
    assert "url" not in data["features"]["slash_commands"][0]


@pytest.mark.parametrize("args", [["manifest"], ["manifest", "--url", "http://lr.acme.test"], ["manifest", "--url", "x", "--format", "xml"]])
def test_manifest_bad_input_exits_2_with_a_sentence(args: list[str]):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "error:" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-123-user"}, "SLACK_BOT_TOKEN is malformed"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, "SLACK_SIGNING_SECRET is not set"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "has spaces in it!"}, "SLACK_SIGNING_SECRET is malformed"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_APP_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN is malformed"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": "slack.com"}, "SLACK_API_URL is malformed"),
    ],
)
def test_settings_errors_name_the_variable(env: dict[str, str], named: str):
    with pytest.raises(SettingsError) as failure:
        SlackSettings.from_env(env)
    assert named in str(failure.value)
    assert BOT_TOKEN not in str(failure.value)


def test_settings_from_env():
    settings = SlackSettings.from_env({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                                       "SLACK_API_URL": "http://127.0.0.1:9/api"})
    assert settings.api_url == "http://127.0.0.1:9/api/"
    assert BOT_TOKEN not in repr(settings)
    socket = SlackSettings.from_env({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-1-A0-123-abc"})
    assert socket.app_token and socket.signing_secret == ""


def test_serve_without_token_exits_2_naming_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    result = runner.invoke(app, ["serve", "--config", str(tmp_path / "app.yaml")])
    assert result.exit_code == 2
    assert "SLACK_BOT_TOKEN is not set" in result.stderr


@pytest.mark.slow  # a real process: imports the whole catalog, seconds on a loaded machine
async def test_serve_process_answers_health_and_signed_commands(tmp_path: Path, fake_slack: FakeSlack, unused_port: int):
    config = {"project": "Acme Chat", "database": f"sqlite:///{tmp_path / 'lr.db'}",
              "slack": {"channel": "C0LAUNCH", "admins": ["U0ADMIN"]},
              "targets": {"staging": {"base_url": "http://127.0.0.1:9"}}}
    (tmp_path / "app.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": fake_slack.api_url}
    env.pop("SLACK_APP_TOKEN", None)
    process = subprocess.Popen(  # noqa: ASYNC220 - forking is instant; we wait on it asynchronously
        [sys.executable, "-m", "bot", "serve", "--config", str(tmp_path / "app.yaml"), "--port", str(unused_port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{unused_port}"
    try:
        async with httpx.AsyncClient() as client:
            health = await _wait_healthy(client, base, process)
            assert health["status"] == "ok"
            sender = SlackSender(f"{base}/slack/events", response_url=fake_slack.response_url(), client=client)
            answer = await sender.command("help")
            assert answer.status == 200 and "Usage" in answer.json()["text"]
            forged = await sender.command("help", signature="v0=bad")
            assert forged.status == 401
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=15)
    assert BOT_TOKEN not in stderr and SIGNING_SECRET not in stderr
    assert "Traceback" not in stderr


async def _wait_healthy(client: httpx.AsyncClient, base: str, process: subprocess.Popen[str]) -> dict:
    import asyncio

    for _ in range(300):
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}: {process.stderr.read() if process.stderr else ''}")
        try:
            response = await client.get(f"{base}/healthz")
            return response.json()
        except httpx.TransportError:
            await asyncio.sleep(0.05)
    raise AssertionError("serve did not answer /healthz within 15 s")


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
