"""The whole catalog against the bundled demo target, through Slack: every message the run
produces is accepted by the fake (which rejects anything over a Block Kit limit)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app.runtime import Runtime
from bot.app.server import build_server
from bot.config import parse_config
from bot.demo.server import DemoTarget
from bot.slack.app import SlackSettings, build_app
from tests.slack.conftest import FAST_RETRIES
from tests.slack.fake_slack import FakeSlack
from tests.slack.slack_requests import BOT_TOKEN, SIGNING_SECRET, SlackSender


@pytest.mark.slow  # the full catalog against the demo: several seconds
async def test_full_run_against_the_demo_posts_a_valid_scorecard(fake_slack: FakeSlack, serve: Any, tmp_path: Path):
    async with DemoTarget(workdir=tmp_path / "demo") as demo:
        data = demo.config(database=f"sqlite:///{tmp_path / 'lr.db'}")
        config = parse_config(yaml.safe_dump(data, sort_keys=False), root=demo.state.workdir)
        runtime = Runtime.open(config)
        settings = SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake_slack.api_url)
        url = await serve(build_server(runtime, build_app(runtime, settings, FAST_RETRIES), monitoring=False))
        slack = SlackSender(f"{url}/slack/events", response_url=fake_slack.response_url())
        assert (await slack.command("run")).status == 200
        await runtime.tasks.idle(spawned=1, timeout=120)
    failed = [c for c in fake_slack.calls if c.answer.get("ok") is False]
    assert failed == [], [(c.method, c.answer) for c in failed]
    final = fake_slack.calls_to("chat.update")[-1]
    assert final.args["text"].startswith("NO GO for demo")
    assert "auth.private_routes" in json.dumps(final.blocks)
    thread = [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    assert thread, "findings go in the thread"
