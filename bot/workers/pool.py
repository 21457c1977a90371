"""A pool of worker processes on this machine that execute runs for the serve process.

Each worker (:mod:`bot.workers.child`) is a Python process of its own, so the checks' work
(parsing answers, saving results, dozens of probes) never takes the GIL from the event loop
that acknowledges Slack. A worker runs one run at a time; a run waits for a free worker.

Across the boundary: results stream back as they land (the worker has already saved them),
cancelling the awaiting task cancels the run in the worker (recorded ``interrupted`` there),
and a worker that dies mid-run (killed, out of memory) is noticed by the end of its stdout:
the run is marked ``interrupted`` here and a fresh worker takes the dead one's place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.store import Store, in_thread
from bot.workers.protocol import RunJob, WorkerDied, decode, encode, raise_failure
from checks.model import CheckResult, RunReport

__all__ = ["RunWorkers", "Worker", "WorkerPool", "default_size"]

log = logging.getLogger(__name__)

# Secrets the service holds that a run never needs: they are not handed to the workers.
_SERVICE_ONLY = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")
_LINE_LIMIT = 64 * 1024 * 1024  # one line carries a whole report
_READY_TIMEOUT_S = 60.0
_CANCEL_GRACE_S = 10.0


class RunWorkers(Protocol):
    """What the serve process needs from whatever executes its runs elsewhere."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def run(
        self,
        job: RunJob,
        on_result: Callable[[CheckResult], None] | None = None,
        on_started: Callable[[str], None] | None = None,
    ) -> RunReport: ...


def default_size() -> int:
    """``LAUNCHREADY_RUN_WORKERS`` or the number of cores, at least 2 (one stuck run must not
    block every other target)."""
    raw = os.environ.get("LAUNCHREADY_RUN_WORKERS", "")
    if raw.strip().isdigit() and int(raw) > 0:
        return int(raw)
    return max(2, os.cpu_count() or 1)


@dataclass(eq=False)  # identity: a worker is one process
class Worker:
    process: asyncio.subprocess.Process

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def read(self) -> dict | None:
        assert self.process.stdout is not None
        line = await self.process.stdout.readline()
        return decode(line) if line else None

    def send(self, message: Mapping[str, object]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(encode(message))

    async def stop(self, timeout: float = 5.0) -> None:
        if not self.alive:
            return
        assert self.process.stdin is not None
        with contextlib.suppress(ConnectionError, RuntimeError):
            self.process.stdin.close()  # the worker cancels what it runs and exits
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


class WorkerPool:
    """``size`` worker processes for the config at ``config_path``; :meth:`run` executes a job."""

    def __init__(
        self,
        config_path: Path | str,
        store: Store,
        *,
        size: int | None = None,
        env: Mapping[str, str] | None = None,
        log_level: str = "warning",
    ) -> None:
        self.config_path = str(Path(config_path).resolve())
        self.store = store
        self.size = size or default_size()
        self._env = {
            k: v
            for k, v in (env if env is not None else os.environ).items()
            if k not in _SERVICE_ONLY
        }
        self._log_level = log_level
        self._idle: asyncio.Queue[Worker] = asyncio.Queue()
        self._all: set[Worker] = set()
        self._closed = False
        self.busy: dict[str, Worker] = {}  # run id -> the worker running it (tests kill one)

    async def start(self) -> None:
        workers = await asyncio.gather(*(self._spawn() for _ in range(self.size)))
        for worker in workers:
            self._idle.put_nowait(worker)

    async def _spawn(self) -> Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.workers.child",
            "--config",
            self.config_path,
            "--log-level",
            self._log_level,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=self._env,
            limit=_LINE_LIMIT,
            start_new_session=True,  # a Ctrl-C meant for serve reaches the workers through stdin, in order
        )
        worker = Worker(process)
        self._all.add(worker)
        try:
            ready = await asyncio.wait_for(worker.read(), _READY_TIMEOUT_S)
        except (TimeoutError, ValueError):
            ready = None
        if not ready or "ready" not in ready:
            await worker.stop(timeout=1.0)
            self._all.discard(worker)
            raise WorkerDied(
                f"a worker process for {self.config_path} did not start (exit code {process.returncode})"
            )
        return worker

    async def _take(self) -> Worker:
        while True:
            worker = await self._idle.get()
            if worker.alive:
                return worker
            self._all.discard(worker)
            self._idle.put_nowait(await self._spawn())

    def _give_back(self, worker: Worker) -> None:
        if self._closed:
            return
        if worker.alive:
            self._idle.put_nowait(worker)
            return
        self._all.discard(worker)
        task = asyncio.get_running_loop().create_task(self._replace(), name="replace worker")
        task.add_done_callback(
            lambda t: (
                t.cancelled()
                or t.exception() is None
                or log.error("could not replace a worker: %s", t.exception())
            )
        )

    async def _replace(self) -> None:
        self._idle.put_nowait(await self._spawn())

    async def run(
        self,
        job: RunJob,
        on_result: Callable[[CheckResult], None] | None = None,
        on_started: Callable[[str], None] | None = None,
    ) -> RunReport:
        """Run ``job`` on a free worker; results reach ``on_result`` as they land. Raises what
        the run raised (RunInProgress, NotAllowed, ConfigError...) or :class:`WorkerDied`."""
        if self._closed:
            raise WorkerDied("the worker pool is closed")
        worker = await self._take()
        run_id: str | None = None
        try:
            worker.send({"job": job.to_dict()})
            while True:
                try:
                    message = await worker.read()
                except asyncio.CancelledError:
                    await self._cancel(worker)
                    raise
                if message is None:
                    code = await worker.process.wait()
                    await self._interrupted(run_id, code)
                    raise WorkerDied(
                        f"the worker process running the run against {job.target} stopped "
                        f"({_exit(code)}) before the run finished"
                    )
                if "started" in message:
                    run_id = str(message["started"])
                    self.busy[run_id] = worker  # before on_started, which may look it up
                    if on_started is not None:
                        on_started(run_id)
                elif "result" in message:
                    if on_result is not None:
                        on_result(CheckResult.from_dict(message["result"]))
                elif "done" in message:
                    return RunReport.from_dict(message["done"])
                elif "failed" in message:
                    raise_failure(message)
        finally:
            if run_id is not None:
                self.busy.pop(run_id, None)
            self._give_back(worker)

    async def _cancel(self, worker: Worker) -> None:
        """Ask the worker to cancel; it records the run interrupted and says so. A worker that
        does not answer within the grace period is killed (the run is then marked here)."""
        with contextlib.suppress(ConnectionError, RuntimeError):
            worker.send({"cancel": True})
        try:
            async with asyncio.timeout(_CANCEL_GRACE_S):
                while (message := await worker.read()) is not None:
                    if "failed" in message or "done" in message:
                        return
        except TimeoutError:
            pass
        if worker.alive:
            worker.process.kill()
            await worker.process.wait()

    async def _interrupted(self, run_id: str | None, code: int) -> None:
        if run_id is None:
            return
        reason = f"interrupted: the worker process running it stopped ({_exit(code)})"

        def mark() -> bool:
            record = self.store.get_run(run_id)
            if record is None or record.state != "running":
                return False
            self.store.fail_run(run_id, reason)
            return True

        if await in_thread(mark):
            log.warning("run %s: %s", run_id, reason)

    async def close(self) -> None:
        self._closed = True
        workers = list(self._all)
        self._all.clear()
        await asyncio.gather(*(w.stop() for w in workers), return_exceptions=True)


def _exit(code: int | None) -> str:
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"
