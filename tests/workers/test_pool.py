"""The worker pool with real worker processes: results stream back and are saved, a killed
worker leaves its run ``interrupted``, cancellation crosses the boundary, the one-run-per-target
rule holds between workers."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from bot.services import RunInProgress
from bot.workers import RunJob, WorkerDied
from bot.workers.pool import WorkerPool
from checks.model import CheckResult, Status
from tests.workers.conftest import WorkerSetup

pytestmark = pytest.mark.timeout(90)


async def _pool(setup: WorkerSetup, size: int = 1) -> WorkerPool:
    pool = WorkerPool(setup.config_path, setup.store(), size=size)
    await pool.start()
    return pool


class Started:
    """Collects the run id the worker announces; :meth:`wait` returns it."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self._event = asyncio.Event()

    def __call__(self, run_id: str) -> None:
        self.ids.append(run_id)
        self._event.set()

    async def wait(self) -> str:
        await asyncio.wait_for(self._event.wait(), 30)
        return self.ids[0]


async def test_a_run_in_a_worker_streams_results_and_saves_them(worker_setup: WorkerSetup):
    worker_setup.target.gate.set()
    pool = await _pool(worker_setup)
    landed: list[CheckResult] = []
    ran_in: list[int] = []
    try:
        report = await pool.run(
            RunJob("staging", only=("obs.health",), who="U0ADMIN"),
            on_result=landed.append,
            on_started=lambda run_id: ran_in.append(pool.busy[run_id].pid),
        )
    finally:
        await pool.close()
    assert [r.check_id for r in landed] == ["obs.health"]
    assert report.result("obs.health").status is Status.PASS
    assert worker_setup.target.hits == 1
    with worker_setup.store() as store:
        record = store.get_run(report.run_id)
        saved = store.get_report(report.run_id)
    assert record.state == "done"
    assert record.who == "U0ADMIN"
    assert ran_in and ran_in[0] != os.getpid()  # a worker process, not this one, ran it
    assert saved.result("obs.health").status is Status.PASS


async def test_a_worker_killed_mid_run_leaves_the_run_interrupted(worker_setup: WorkerSetup):
    pool = await _pool(worker_setup)
    started = Started()
    try:
        running = asyncio.create_task(
            pool.run(RunJob("staging", only=("obs.health",)), on_started=started)
        )
        run_id = await started.wait()
        await asyncio.wait_for(worker_setup.target.arrived.wait(), 30)
        with worker_setup.store() as store:
            assert store.get_run(run_id).state == "running"
        os.kill(pool.busy[run_id].pid, signal.SIGKILL)
        with pytest.raises(WorkerDied, match="killed by SIGKILL"):
            await asyncio.wait_for(running, 30)
        with worker_setup.store() as store:
            record = store.get_run(run_id)
        assert record.state == "interrupted"
        assert "worker process" in (record.reason or "")
        # A fresh worker replaced the dead one: the next run goes through.
        worker_setup.target.gate.set()
        report = await asyncio.wait_for(pool.run(RunJob("staging", only=("obs.health",))), 60)
        assert report.result("obs.health").status is Status.PASS
    finally:
        await pool.close()


async def test_cancelling_the_caller_cancels_the_run_in_the_worker(worker_setup: WorkerSetup):
    pool = await _pool(worker_setup)
    started = Started()
    try:
        running = asyncio.create_task(
            pool.run(RunJob("staging", only=("obs.health",)), on_started=started)
        )
        run_id = await started.wait()
        await asyncio.wait_for(worker_setup.target.arrived.wait(), 30)
        worker = pool.busy[run_id]
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        assert worker.alive  # the worker cancelled its run and stays in the pool
        with worker_setup.store() as store:
            record = store.get_run(run_id)
        assert record.state == "interrupted"
        assert "cancelled" in (record.reason or "")
    finally:
        await pool.close()


async def test_one_run_per_target_across_workers(worker_setup: WorkerSetup):
    pool = await _pool(worker_setup, size=2)
    started = Started()
    try:
        first = asyncio.create_task(
            pool.run(RunJob("staging", only=("obs.health",)), on_started=started)
        )
        run_id = await started.wait()
        await asyncio.wait_for(worker_setup.target.arrived.wait(), 30)
        with pytest.raises(RunInProgress, match=run_id):
            await asyncio.wait_for(pool.run(RunJob("staging", only=("obs.health",))), 30)
        worker_setup.target.gate.set()
        report = await asyncio.wait_for(first, 30)
        assert report.run_id == run_id
    finally:
        await pool.close()


async def test_a_worker_that_cannot_start_is_a_clear_error(tmp_path):
    from bot.store import Store

    broken = tmp_path / "app.yaml"
    broken.write_text("targets: [not, a, mapping]\n", encoding="utf-8")
    pool = WorkerPool(broken, Store.open(f"sqlite:///{tmp_path / 'x.db'}"), size=1)
    with pytest.raises(WorkerDied, match="did not start"):
        await pool.start()
    await pool.close()
