"""The whole `launchready serve` app on loopback: the scheduler probes a monitor every second,
the alert lands in a fake Slack Web API with its buttons, Acknowledge and Resolve edit it and
reply in its thread, and the digest and incidents subcommands answer."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from bot.app.monitoring import MONITORING
from bot.app.runtime import Runtime
from bot.app.scheduler import SEAT
from bot.app.server import build_server
from bot.config import parse_config
from bot.services import Services
from bot.slack.app import RetryPolicy, SlackSettings, build_app
from tests.monitoring.conftest import Switch, switchable_app
from tests.slack.conftest import fake_slack  # noqa: F401  (the fixture)
from tests.slack.slack_requests import BOT_TOKEN, SIGNING_SECRET, SlackSender

FAST = RetryPolicy(rate_limit_retries=1, server_error_retries=1, connection_retries=1, backoff=0.01)


@pytest.fixture
async def served(fake_slack, serve, tmp_path, database_url):  # noqa: F811
    switch = Switch()
    target = await serve(switchable_app(switch))
    data: dict[str, Any] = {
        "project": "Acme Chat",
        "launch_date": "2026-12-15",
        "database": database_url,
        "slack": {"channel": "C0LAUNCH", "admins": ["U0ADMIN"]},
        "targets": {"staging": {"base_url": target}},
        "monitors": [
            {"name": "api-health", "url": target + "/health", "interval": "1s", "failure_threshold": 2, "success_threshold": 2},
        ],
    }
    config = parse_config(yaml.safe_dump(data), env={}, root=tmp_path)
    runtime = Runtime(config=config, services=Services.open(config))
    settings = SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake_slack.api_url)
    app = build_server(runtime, build_app(runtime, settings, FAST))
    url = await serve(app)
    yield app, runtime, switch, fake_slack, SlackSender(f"{url}/slack/events", response_url=fake_slack.response_url())
    await runtime.tasks.drain(timeout=5)


def alerts(fake):
    return [c for c in fake.calls_to("chat.postMessage") if not c.args.get("thread_ts") and "Incident" in c.text]


def replies(fake):
    return [c for c in fake.calls_to("chat.postMessage") if c.args.get("thread_ts")]


async def test_alert_buttons_and_resolution_through_slack(served):
    app, runtime, switch, fake, slack = served
    scheduler = app[SEAT].scheduler
    assert {j.id for j in scheduler.get_jobs()} >= {"lr:monitor:api-health", "lr:alerts", "lr:reminders", "lr:waivers"}
    switch.status = 500
    await fake.wait_for(lambda f: len(alerts(f)) == 1, timeout=15)
    alert = alerts(fake)[0]
    assert "[STATUS] (500) == 200 failed" in alert.text
    buttons = [e["action_id"] for b in alert.blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["incident_ack", "incident_resolve"]
    incident_id = next(e["value"] for b in alert.blocks if b["type"] == "actions" for e in b["elements"])

    answer = await slack.action({"action_id": "incident_ack", "value": incident_id, "type": "button"}, user="U0ALICE")
    assert answer.status == 200
    await fake.wait_for(lambda f: any("Acknowledged by <@U0ALICE>" in c.text for c in replies(f)), timeout=10)
    edit = fake.calls_to("chat.update")[-1]
    assert edit.args["ts"] == alert.answer["ts"] and "acknowledged" in edit.text

    await slack.action({"action_id": "incident_resolve", "value": incident_id, "type": "button"}, user="U0ALICE")
    await fake.wait_for(lambda f: any("Only admins may resolve" in c.text for c in f.calls_to("response_url")), timeout=10)

    await slack.action({"action_id": "incident_resolve", "value": incident_id, "type": "button"}, user="U0ADMIN")
    await fake.wait_for(lambda f: any("Resolved by <@U0ADMIN>" in c.text for c in replies(f)), timeout=10)
    resolved = fake.calls_to("chat.update")[-1]
    assert "Resolved" in resolved.text
    # No Acknowledge or Resolve once resolved; only the rerun of the checks it contradicted.
    ids = [e["action_id"] for b in resolved.blocks if b["type"] == "actions" for e in b["elements"]]
    assert ids == ["incident_rerun:0"]
    assert " after " in next(c.text for c in replies(fake) if "Resolved by" in c.text)


async def test_recovery_resolves_by_itself_and_the_live_check_sees_the_monitor(served):
    app, runtime, switch, fake, slack = served
    switch.status = 503
    await fake.wait_for(lambda f: len(alerts(f)) == 1, timeout=15)
    switch.status = 200
    await fake.wait_for(lambda f: any("Resolved by monitor api-health" in c.text for c in replies(f)), timeout=15)
    facts = runtime.services.facts_provider("staging")["monitoring"]
    assert [m.name for m in facts.monitors] == ["api-health"] and facts.channel == "C0LAUNCH"


async def test_incidents_and_digest_commands(served):
    app, runtime, switch, fake, slack = served
    monitoring = app[MONITORING]
    monitoring.incidents.open(fingerprint="alert:errors", kind="errors", title="5xx answers above the error budget",
                              summary="5xx rate 12.0% >= 5% over the last 5m (6 of 50 requests).", notify=False)
    await slack.command("incidents")
    await fake.wait_for(lambda f: any("5xx answers above" in c.text for c in f.calls_to("response_url")), timeout=10)

    await slack.command("digest")
    await fake.wait_for(lambda f: any("Launch Ready digest" in c.text for c in f.calls_to("chat.postMessage")), timeout=10)
    digest = next(c for c in fake.calls_to("chat.postMessage") if "Launch Ready digest" in c.text)
    assert digest.args["channel"] == "C0LAUNCH"
    assert "5xx answers above the error budget" in digest.text
    await slack.command("digest")
    await fake.wait_for(lambda f: any("already posted" in c.text for c in f.calls_to("response_url")), timeout=10)
    assert len([c for c in fake.calls_to("chat.postMessage") if "Launch Ready digest" in c.text]) == 1
    assert json.dumps(digest.blocks)  # valid blocks (the fake rejects invalid ones)
