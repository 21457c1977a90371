"""Runs on procrastinate with a real PostgreSQL and real `launchready worker` processes: a run
deferred by the serve side executes in a worker and streams its results through the store,
cancellation aborts it, and a worker killed mid-run leaves the run ``interrupted``."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_config
from bot.services import RunInProgress, Services
from bot.workers import RunJob, WorkerDied
from bot.workers.distributed import QueueWorkers
from checks.model import CheckResult, Status
from tests.postgres import postgres_server, postgres_url  # noqa: F401 - fixtures
from tests.workers.conftest import GatedTarget, write_config

pytest.importorskip("procrastinate")
pytestmark = pytest.mark.timeout(120)
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Queue:
    config: Path
    services: Services
    workers: QueueWorkers
    target: GatedTarget
    processes: list[subprocess.Popen[bytes]]

    def start_worker(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "worker",
                "--config",
                str(self.config),
                "--heartbeat",
                "0.5",
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.processes.append(process)
        return process


@pytest.fixture
async def queue(serve: Any, tmp_path: Path, postgres_url: str) -> AsyncIterator[Queue]:  # noqa: F811
    target = GatedTarget()
    url = await serve(target.app())
    config_path = write_config(tmp_path, url, database=postgres_url)
    services = Services.open(load_config(config_path))
    workers = QueueWorkers(services, poll=0.1, stalled_after=2.0)
    await workers.start()
    setup = Queue(config_path, services, workers, target, [])
    try:
        yield setup
    finally:
        target.gate.set()
        for process in setup.processes:
            if process.poll() is None:
                process.terminate()
        for process in setup.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        await workers.close()
        services.close()


class Started:
    def __init__(self) -> None:
        self.ids: list[str] = []

    def __call__(self, run_id: str) -> None:
        self.ids.append(run_id)


async def test_a_queued_run_executes_in_a_worker_and_streams_its_results(queue: Queue):
    queue.start_worker()
    landed: list[CheckResult] = []
    queue.target.gate.set()
    report = await asyncio.wait_for(
        queue.workers.run(
            RunJob("staging", only=("obs.health", "http.security_headers"), who="U0ADMIN"),
            on_result=landed.append,
        ),
        90,
    )
    assert report.result("obs.health").status is Status.PASS
    assert {r.check_id for r in landed} <= {"obs.health", "http.security_headers"} and landed
    record = queue.services.store.get_run(report.run_id)
    assert record.state == "done" and record.who == "U0ADMIN"


async def test_one_run_per_target_on_the_queue(queue: Queue):
    queue.start_worker()
    started = Started()
    first = asyncio.create_task(
        queue.workers.run(RunJob("staging", only=("obs.health",)), on_started=started)
    )
    await asyncio.wait_for(queue.target.arrived.wait(), 60)
    with pytest.raises(RunInProgress, match=started.ids[0]):
        await queue.workers.run(RunJob("staging", only=("obs.health",)))
    queue.target.gate.set()
    assert (await asyncio.wait_for(first, 60)).run_id == started.ids[0]


async def test_cancelling_a_queued_run_aborts_it_in_the_worker(queue: Queue):
    queue.start_worker()
    started = Started()
    running = asyncio.create_task(
        queue.workers.run(RunJob("staging", only=("obs.health",)), on_started=started)
    )
    await asyncio.wait_for(queue.target.arrived.wait(), 60)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    record = queue.services.store.get_run(started.ids[0])
    assert record.state == "interrupted" and "cancelled" in (record.reason or "")


async def test_a_worker_killed_mid_run_leaves_the_run_interrupted(queue: Queue):
    worker = queue.start_worker()
    started = Started()
    running = asyncio.create_task(
        queue.workers.run(RunJob("staging", only=("obs.health",)), on_started=started)
    )
    await asyncio.wait_for(queue.target.arrived.wait(), 60)
    assert queue.services.store.get_run(started.ids[0]).state == "running"
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    with pytest.raises(WorkerDied, match="stopped"):
        await asyncio.wait_for(running, 60)
    record = queue.services.store.get_run(started.ids[0])
    assert record.state == "interrupted" and "heartbeat" in (record.reason or "")


async def test_what_would_stop_a_queued_run_is_answered_before_it_is_queued(queue: Queue):
    from checks.registry import UnknownCheckError

    with pytest.raises(UnknownCheckError, match="http.security_headers"):
        await queue.workers.run(RunJob("staging", only=("sec.headers",)))
    assert list(await queue.workers._app.job_manager.list_jobs_async()) == []  # nothing was queued


async def test_a_stopped_worker_records_its_run_interrupted(queue: Queue):
    # Heartbeats stop with the worker; wait longer than its 5 s grace, as in production (30 s).
    queue.workers.stalled_after = 20.0
    worker = queue.start_worker()
    started = Started()
    running = asyncio.create_task(
        queue.workers.run(RunJob("staging", only=("obs.health",)), on_started=started)
    )
    await asyncio.wait_for(queue.target.arrived.wait(), 60)
    worker.terminate()  # SIGTERM, as a deploy stops a container
    with pytest.raises(WorkerDied, match="cancelled"):
        await asyncio.wait_for(running, 60)
    assert await asyncio.to_thread(worker.wait, 30) == 0
    record = queue.services.store.get_run(started.ids[0])
    assert record.state == "interrupted"


async def test_a_slack_run_on_the_queue_ends_in_the_scorecard(
    serve: Any,
    tmp_path: Path,
    postgres_url: str,  # noqa: F811 - the fixture
    fake_slack: Any,
):
    from bot.app.runtime import Runtime
    from bot.app.server import build_server
    from bot.slack.app import SlackSettings, build_app
    from tests.slack.conftest import FAST_RETRIES
    from tests.slack.slack_requests import BOT_TOKEN, SIGNING_SECRET, SlackSender

    target = GatedTarget()
    target.gate.set()
    config_path = write_config(tmp_path, await serve(target.app()), database=postgres_url)
    config = load_config(config_path)
    services = Services.open(config)
    runtime = Runtime(
        config=config,
        services=services,
        workers=QueueWorkers(services, poll=0.1),
        edit_interval=0.05,
    )
    settings = SlackSettings(
        bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake_slack.api_url
    )
    url = await serve(
        build_server(runtime, build_app(runtime, settings, FAST_RETRIES), monitoring=False)
    )
    queue = Queue(config_path, services, runtime.workers, target, [])  # type: ignore[arg-type]
    worker = queue.start_worker()
    try:
        await SlackSender(f"{url}/slack/events", response_url=fake_slack.response_url()).command(
            "run staging obs.health"
        )
        await runtime.tasks.idle(timeout=90, spawned=1)
        assert "for staging" in fake_slack.calls_to("chat.update")[-1].text
        report = services.store.latest_report("staging")
        assert report.result("obs.health").status is Status.PASS
    finally:
        worker.terminate()
        worker.wait(timeout=30)
