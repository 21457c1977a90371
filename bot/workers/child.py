"""A worker process: ``python -m bot.workers.child --config app.yaml``.

It opens the services once (config, store, catalog), says ``ready``, then runs the jobs the
serve process writes to its stdin one at a time, streaming each result to stdout as it lands
(:mod:`bot.workers.protocol`). Every result is saved in the store by :meth:`Services.run`
before it is sent, so nothing depends on the pipe surviving. A ``cancel`` line, the end of
stdin (the serve process is gone), SIGTERM or SIGINT cancel the run in progress, which
:meth:`Services.run` records as ``interrupted`` before the process exits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import Any

from bot.app.runtime import SecretFilter
from bot.config import AppConfig, load_config
from bot.monitoring.monitoring import Monitoring
from bot.services import Services
from bot.workers.protocol import RunJob, decode, encode, failure
from checks.model import CheckResult, new_run_id

__all__ = ["main", "serve_jobs", "worker_services"]

log = logging.getLogger("bot.workers.child")


async def serve_jobs(services: Services, reader: asyncio.StreamReader, write: Any) -> None:
    """Run the jobs read from ``reader``; ``write(message)`` sends an event to the serve process."""
    current: asyncio.Task[None] | None = None
    write({"ready": os.getpid()})

    async def run(job: RunJob) -> None:
        run_id = job.run_id or new_run_id()
        write({"started": run_id})

        def landed(result: CheckResult) -> None:
            write({"result": result.to_dict()})

        try:
            report = await services.run(
                job.target,
                list(job.only) or None,
                trigger=job.trigger,
                who=job.who,
                on_result=landed,
                run_id=run_id,
            )
        except asyncio.CancelledError:
            write({"failed": "Cancelled", "message": "the run was cancelled", "run_id": run_id})
            raise
        except Exception as exc:  # handed to the serve process, which answers it in Slack
            log.info("run of %s failed: %s: %s", job.target, type(exc).__name__, exc)
            write(failure(exc))
        else:
            write({"done": report.to_dict()})

    try:
        while True:
            line = await reader.readline()
            if not line:
                break  # the serve process closed our stdin: it is gone or stopping
            message = decode(line)
            if message.get("cancel"):
                if current is not None:
                    current.cancel()
                continue
            if "job" in message:
                if current is not None and not current.done():
                    write({"failed": "Busy", "message": "this worker is already running a job"})
                    continue
                current = asyncio.get_running_loop().create_task(
                    run(RunJob.from_dict(message["job"]))
                )
    finally:
        if current is not None and not current.done():
            current.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await current


def worker_services(config: AppConfig) -> tuple[Services, Monitoring]:
    """The services a worker runs checks with. ``obs.monitoring_live`` judges the monitors'
    state, which the serve process keeps in the store: the worker reads it from there (the
    returned :class:`Monitoring` only answers facts; close it with ``aclose``)."""
    services = Services.open(config)
    facts = Monitoring(config, services.store)
    services.facts_provider = lambda target: {"monitoring": facts.facts(target)}
    return services, facts


async def _main(config_path: str) -> None:
    services, facts = worker_services(load_config(config_path))
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()
    assert main_task is not None
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, main_task.cancel)
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    # The protocol gets the real stdout to itself; anything a library prints goes to stderr
    # (the log) instead of into the stream of events.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    def write(message: dict[str, Any]) -> None:
        # Small writes to a pipe the serve process reads continuously; a flush per event keeps
        # progress live.
        out.write(encode(message))
        out.flush()

    try:
        await serve_jobs(services, reader, write)
    except asyncio.CancelledError:
        pass
    finally:
        await facts.aclose()
        services.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.workers.child")
    parser.add_argument("--config", required=True)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    # Checks are background work; acknowledging Slack is not. On a busy machine the kernel
    # should give the serve process the core first.
    with contextlib.suppress(OSError):
        os.nice(5)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s worker[%(process)d] %(name)s: %(message)s")
    )
    # The pool hands no Slack secrets to a worker; a worker started by hand may still hold them.
    handler.addFilter(
        SecretFilter(
            [
                os.environ.get(k, "")
                for k in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")
            ]
        )
    )
    logging.basicConfig(
        handlers=[handler], level=getattr(logging, args.log_level.upper(), logging.WARNING)
    )
    asyncio.run(_main(args.config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
