"""Runs on procrastinate: with PostgreSQL, a run started on any replica executes on any worker.

procrastinate queues jobs in PostgreSQL itself (no broker to run), a worker takes them with
``SELECT ... FOR UPDATE SKIP LOCKED`` and LISTEN/NOTIFY, aborting an async job cancels its
task, and workers send heartbeats so a dead one's jobs are found (docs/deploy.md says why this
engine). The serve process defers a job naming the run id it chose, then follows the run
through the store the worker writes to: results as they land (polled, at most every
``poll`` seconds), the final state, and the job's own status.

- Cancellation: cancelling :meth:`QueueWorkers.run` asks procrastinate to abort the job; the
  worker cancels the run, which :meth:`Services.run` records as ``interrupted``.
- One run per target: the serve process refuses a target with a run in progress before it
  defers, the worker checks again in :meth:`Services.run`, and every job of a target carries
  the procrastinate lock ``target:<name>`` so two never execute at once.
- A worker killed mid-run stops sending heartbeats: past ``stalled_after`` seconds the serve
  process marks the run ``interrupted`` and the job failed.

``launchready worker --config app.yaml`` runs a worker (:func:`run_worker`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from bot.services import RunInProgress, Services
from bot.store import Store, in_thread
from bot.workers.protocol import RunFailed, RunJob, WorkerDied
from checks.model import CheckResult, RunReport, new_run_id

__all__ = ["QUEUE", "TASK", "QueueWorkers", "conninfo", "queue_app", "run_worker"]

log = logging.getLogger(__name__)

QUEUE = "launchready-runs"
TASK = "launchready.run"


def conninfo(database_url: str) -> str:
    """The libpq address of a SQLAlchemy PostgreSQL URL (``postgresql+psycopg://...``)."""
    scheme, sep, rest = database_url.partition("://")
    if not sep or scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise ValueError(
            f"runs on a queue need PostgreSQL; the database is {scheme or database_url!r}"
        )
    return f"postgresql://{rest}"


def queue_app(database_url: str, services: Services | None = None) -> Any:
    """The procrastinate app on the service's database; with ``services`` (a worker) the run
    task executes there."""
    import procrastinate

    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url))
    )
    if services is not None:

        @app.task(name=TASK, queue=QUEUE, pass_context=True)
        async def run(context: Any, job: dict[str, Any]) -> None:
            request = RunJob.from_dict(job)
            await services.run(
                request.target,
                list(request.only) or None,
                trigger=request.trigger,
                who=request.who,
                run_id=request.run_id,
            )

    return app


async def ensure_schema(app: Any) -> None:
    """Create procrastinate's tables once (the first worker or replica to start does it)."""
    async with app.open_async():
        connector = app.connector
        found = await connector.execute_query_one_async(
            "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"
        )
        if not found["present"]:
            with contextlib.suppress(Exception):  # another process created it meanwhile
                await app.schema_manager.apply_schema_async()


async def run_worker(
    services: Services, *, concurrency: int = 4, heartbeat: float = 10.0, name: str | None = None
) -> None:
    """Execute runs from the queue until cancelled (SIGINT/SIGTERM stop it gracefully)."""
    app = queue_app(services.config.database_url, services)
    await ensure_schema(app)
    async with app.open_async():
        await app.run_worker_async(
            queues=[QUEUE],
            concurrency=concurrency,
            name=name,
            update_heartbeat_interval=heartbeat,
            stalled_worker_timeout=heartbeat * 3,
            # A stopping worker (SIGTERM from a deploy) cancels its runs, which records them
            # interrupted, before an orchestrator's kill (docker stop waits 10 s) would lose that.
            shutdown_graceful_timeout=5.0,
            install_signal_handlers=True,
        )


class QueueWorkers:
    """Hands runs to procrastinate workers and follows them through the store."""

    def __init__(
        self, services: Services, *, poll: float = 1.0, stalled_after: float = 30.0
    ) -> None:
        self.services = services
        self.store: Store = services.store
        self.poll = poll
        self.stalled_after = stalled_after
        self._app = queue_app(services.config.database_url)
        self._open: Any = None

    async def start(self) -> None:
        await ensure_schema(self._app)
        self._open = self._app.open_async()
        await self._open.__aenter__()

    async def close(self) -> None:
        if self._open is not None:
            await self._open.__aexit__(None, None, None)
            self._open = None

    async def run(
        self,
        job: RunJob,
        on_result: Callable[[CheckResult], None] | None = None,
        on_started: Callable[[str], None] | None = None,
    ) -> RunReport:
        # What would stop the run in the worker is answered here (Services.admit), with its
        # own exception: a failed job carries no message back.
        self.services.admit(job.target, list(job.only) or None, job.who)
        running = await in_thread(self.store.running_run, job.target)
        if running is not None:
            raise RunInProgress(job.target, running.run_id, running.who)
        run_id = job.run_id or new_run_id()
        request = RunJob(job.target, tuple(job.only), job.trigger, job.who, run_id)
        job_id = await self._app.configure_task(
            TASK, queue=QUEUE, lock=f"target:{job.target}"
        ).defer_async(job=request.to_dict())
        if on_started is not None:
            on_started(run_id)
        try:
            return await self._follow(job_id, run_id, job.target, on_result)
        except asyncio.CancelledError:
            await self._abort(job_id, run_id)
            raise

    async def _follow(
        self, job_id: int, run_id: str, target: str, on_result: Callable[[CheckResult], None] | None
    ) -> RunReport:
        seen: set[str] = set()
        manager = self._app.job_manager
        while True:
            record = await in_thread(self.store.get_run, run_id)
            if record is not None:
                report = await in_thread(self.store.get_report, run_id)
                for result in report.results if report else ():
                    if result.check_id not in seen:
                        seen.add(result.check_id)
                        if on_result is not None:
                            on_result(result)
                if record.state == "done" and report is not None:
                    return report
                if record.state == "interrupted":
                    raise WorkerDied(
                        f"the run against {target} was {record.reason or 'interrupted'}"
                    )
            (status,) = [j.status for j in await manager.list_jobs_async(id=job_id)] or ["gone"]
            if status in ("failed", "cancelled", "aborted", "gone") or (
                status == "succeeded" and record is None
            ):
                raise RunFailed(
                    f"the queued run against {target} ended as {status} in the worker before it "
                    "started (see the worker's log)"
                )
            if status == "doing" and await self._stalled(job_id):
                await self._interrupted(
                    run_id, "interrupted: the worker running it stopped sending heartbeats"
                )
                with contextlib.suppress(Exception):
                    await manager.finish_job_by_id_async(job_id, status="failed", delete_job=False)
                raise WorkerDied(
                    f"the worker running the run against {target} stopped before the run finished"
                )
            await asyncio.sleep(self.poll)

    async def _stalled(self, job_id: int) -> bool:
        stalled = await self._app.job_manager.get_stalled_jobs(
            task_name=TASK, seconds_since_heartbeat=self.stalled_after
        )
        return any(j.id == job_id for j in stalled)

    async def _abort(self, job_id: int, run_id: str) -> None:
        """Ask the worker to abort; a job still queued is simply cancelled."""
        with contextlib.suppress(Exception):
            await self._app.job_manager.cancel_job_by_id_async(job_id, abort=True)
        for _ in range(
            max(1, int(self.stalled_after / self.poll))
        ):  # bounded: a dead worker never answers
            record = await in_thread(self.store.get_run, run_id)
            if record is None or record.state != "running":
                return
            await asyncio.sleep(self.poll)

    async def _interrupted(self, run_id: str, reason: str) -> None:
        def mark() -> None:
            record = self.store.get_run(run_id)
            if record is not None and record.state == "running":
                self.store.fail_run(run_id, reason)

        await in_thread(mark)
