"""Runs in worker processes: a run's checks execute outside the process that answers Slack.

:mod:`bot.workers.pool` keeps a pool of worker processes on this machine (the default in
``launchready serve``); :mod:`bot.workers.distributed` hands runs to procrastinate workers through
PostgreSQL, so a run started on any replica can execute on any machine. Both speak the events
of :mod:`bot.workers.protocol` back to the serve process, which edits the Slack message.
"""

from __future__ import annotations

from bot.workers.protocol import RunJob, WorkerDied

__all__ = ["RunJob", "WorkerDied"]
