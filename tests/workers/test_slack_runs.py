"""`/launchready run` with the run in a real worker process: the progress message is edited
as results stream back, the scorecard lands, the second run is told where the first is, and a
worker killed mid-run ends in a sentence in Slack and an ``interrupted`` run."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.app.runtime import Runtime
from bot.app.server import build_server
from bot.config import load_config
from bot.services import Services
from bot.slack.app import SlackSettings, build_app
from bot.workers.pool import WorkerPool
from checks.model import Status
from tests.slack.conftest import FAST_RETRIES
from tests.slack.fake_slack import FakeSlack
from tests.slack.slack_requests import BOT_TOKEN, SIGNING_SECRET, SlackSender
from tests.workers.conftest import WorkerSetup

pytestmark = pytest.mark.timeout(120)


@dataclass
class Served:
    slack: SlackSender
    fake: FakeSlack
    runtime: Runtime
    pool: WorkerPool


@pytest.fixture
async def served(
    worker_setup: WorkerSetup, fake_slack: FakeSlack, serve: Any
) -> AsyncIterator[Served]:
    config = load_config(worker_setup.config_path)
    services = Services.open(config)
    pool = WorkerPool(worker_setup.config_path, services.store, size=2)
    runtime = Runtime(config=config, services=services, workers=pool, edit_interval=0.05)
    settings = SlackSettings(
        bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake_slack.api_url
    )
    url = await serve(
        build_server(runtime, build_app(runtime, settings, FAST_RETRIES), monitoring=False)
    )
    yield Served(
        SlackSender(f"{url}/slack/events", response_url=fake_slack.response_url()),
        fake_slack,
        runtime,
        pool,
    )
    worker_setup.target.gate.set()
    await runtime.tasks.drain(timeout=10)


async def test_a_slack_run_in_a_worker_edits_its_message_and_ends_in_the_scorecard(
    served: Served, worker_setup: WorkerSetup
):
    fake = served.fake
    await served.slack.command("run staging", user="U0ALICE")
    await fake.wait_for("chat.postMessage", timeout=30)
    await asyncio.wait_for(worker_setup.target.arrived.wait(), 30)
    # The other checks land while obs.health waits at the gate: their results stream back
    # from the worker and edit the progress message while the run is still going.
    await fake.wait_for("chat.update", timeout=30)
    assert "Checking Acme Chat" in fake.calls_to("chat.update")[0].text
    await served.slack.command("run staging", user="U0BOB")
    await fake.wait_for("response_url", timeout=30)
    assert "in progress" in fake.calls_to("response_url")[0].args["text"]
    worker_setup.target.gate.set()
    await served.runtime.tasks.idle(timeout=60, spawned=2)
    posts = [p for p in fake.calls_to("chat.postMessage") if "thread_ts" not in p.args]
    assert len(posts) == 1
    updates = fake.calls_to("chat.update")
    assert all(u.args["ts"] == posts[0].answer["ts"] for u in updates)
    assert "for staging" in updates[-1].text  # the scorecard's verdict line
    with worker_setup.store() as store:
        runs = store.list_runs("staging")
        report = store.latest_report("staging")
    assert [r.state for r in runs] == ["done"]
    assert report.result("obs.health").status is Status.PASS
    assert served.runtime.active_runs == {}


async def test_a_killed_worker_is_told_in_slack_and_leaves_the_run_interrupted(
    served: Served, worker_setup: WorkerSetup
):
    fake = served.fake
    await served.slack.command("run staging", user="U0ALICE")
    await fake.wait_for("chat.postMessage", timeout=30)
    await asyncio.wait_for(worker_setup.target.arrived.wait(), 30)
    ((run_id, worker),) = served.pool.busy.items()
    os.kill(worker.pid, signal.SIGKILL)
    await served.runtime.tasks.idle(timeout=60, spawned=1)
    final = fake.calls_to("chat.update")[-1].args["text"]
    assert "failed" in final and "worker process" in final and "SIGKILL" in final
    with worker_setup.store() as store:
        assert store.get_run(run_id).state == "interrupted"
    assert served.runtime.active_runs == {}  # the target is free again
