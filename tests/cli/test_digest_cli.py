"""`launchready digest`: prints without --post; posts once a day with --post (a fake Slack)."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from tests.slack.conftest import fake_slack  # noqa: F401  (the fixture)
from tests.slack.slack_requests import BOT_TOKEN


def write_config(tmp_path, channel="C0LAUNCH"):
    data = {
        "project": "Acme Chat",
        "launch_date": "2099-12-15",
        "database": f"sqlite:///{tmp_path / 'cli.db'}",
        "slack": {"channel": channel} if channel else {},
        "targets": {"staging": {"base_url": "http://127.0.0.1:9"}},
        "checklist": {"obs.health": {"owner": "U0ALICE", "due": "2020-01-01"}},
    }
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_prints_the_digest(tmp_path):
    result = CliRunner().invoke(app, ["digest", "--config", str(write_config(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "Launch Ready digest for Acme Chat" in result.output
    assert "staging: no run yet" in result.output
    assert "@U0ALICE:" in result.output and "obs.health" in result.output


def test_post_without_a_token_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["digest", "--post", "--config", str(write_config(tmp_path))])
    assert result.exit_code == 2
    assert "SLACK_BOT_TOKEN is not set" in result.output


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await process.communicate()
    return process.returncode, stdout.decode(), stderr.decode()


async def post_in_process(config_path, monkeypatch, api_url: str) -> int:
    """The --post path without a new interpreter (fast): the same function the command runs."""
    from bot.cli.digest_cmd import _post
    from bot.config import load_config
    from bot.services import Services

    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", api_url)
    config = load_config(config_path)
    services = Services.open(config)
    services.store.sync_checklist("staging", list(services.registry), config.checklist)  # as the command does
    try:
        return await _post(config, services)
    finally:
        services.close()


async def test_post_goes_out_once_per_day(tmp_path, fake_slack, monkeypatch, capsys):  # noqa: F811
    config = write_config(tmp_path)
    assert await post_in_process(config, monkeypatch, fake_slack.api_url) == 0
    assert "Posted the digest" in capsys.readouterr().out
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 1 and posts[0].args["channel"] == "C0LAUNCH"
    assert "<@U0ALICE>" in posts[0].text
    assert await post_in_process(config, monkeypatch, fake_slack.api_url) == 0
    assert "already posted" in capsys.readouterr().out
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


async def test_post_refused_by_slack_exits_1(tmp_path, fake_slack, monkeypatch, capsys):  # noqa: F811
    fake_slack.fail("chat.postMessage", error="not_in_channel", times=None)
    assert await post_in_process(write_config(tmp_path), monkeypatch, fake_slack.api_url) == 1
    stderr = capsys.readouterr().err
    assert "invite" in stderr.lower()
    assert BOT_TOKEN not in stderr


@pytest.mark.slow
async def test_post_through_the_console_script(tmp_path, fake_slack):  # noqa: F811
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake_slack.api_url}
    code, stdout, stderr = await run_cli("digest", "--post", "--config", str(write_config(tmp_path)), env=env)
    assert code == 0, stderr
    assert "Posted the digest" in stdout
