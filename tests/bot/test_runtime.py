"""bot/app/runtime.py: background tasks, retried-event ids, run claims, log scrubbing."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.app.runtime import BackgroundTasks, RecentIds, SecretFilter

TOKEN = "xoxb-1234-5678-abcdefghijklmnop"


async def test_background_failure_is_logged_not_lost(caplog: pytest.LogCaptureFixture):
    tasks = BackgroundTasks()

    async def broken() -> None:
        raise RuntimeError("the store is gone")

    tasks.spawn(broken(), name="broken work")
    await tasks.idle(spawned=1)
    assert "background task broken work failed: RuntimeError: the store is gone" in caplog.text
    assert len(tasks) == 0


async def test_gated_tasks_run_at_most_limit_at_once():
    tasks = BackgroundTasks(limit=2)
    running, peak = 0, 0
    release = asyncio.Event()

    async def work() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1

    for i in range(6):
        tasks.spawn(work(), name=f"w{i}")
    long = tasks.spawn(release.wait(), name="a run", gated=False)
    await asyncio.sleep(0.01)
    assert peak == 2 and not long.done()
    release.set()
    await tasks.idle(spawned=7)
    assert peak == 2


def test_recent_ids_remember_and_forget_the_oldest():
    ids = RecentIds(size=2)
    assert ids.seen("Ev1") is False
    assert ids.seen("Ev1") is True
    ids.seen("Ev2")
    ids.seen("Ev3")
    assert ids.seen("Ev1") is False  # evicted: the oldest went first


def test_secret_filter_scrubs_tokens_from_any_logger(caplog: pytest.LogCaptureFixture):
    logger = logging.getLogger("slack_sdk.web.test")
    caplog.handler.addFilter(SecretFilter([TOKEN]))
    with caplog.at_level(logging.INFO):
        logger.info("calling with %s in the header", TOKEN)
    assert TOKEN not in caplog.text
    assert "xoxb…op (sha256:" in caplog.text


async def test_gated_work_waits_while_a_request_is_acknowledged():
    tasks = BackgroundTasks(yield_for=30.0)
    started = asyncio.Event()

    async def work() -> None:
        started.set()

    with tasks.foreground():
        tasks.spawn(work(), name="reply")
        ungated = tasks.spawn(asyncio.sleep(0), name="a run", gated=False)
        await asyncio.sleep(0.02)
        assert not started.is_set()  # the acknowledgement goes first
        assert ungated.done()
    await tasks.idle(spawned=2)
    assert started.is_set()


async def test_isolated_run_returns_its_result_on_another_thread():
    import threading

    from bot.isolated import run_isolated

    async def work() -> str:
        await asyncio.sleep(0)
        return threading.current_thread().name

    assert await run_isolated(work, name="run staging") == "run staging"


async def test_cancelling_the_waiter_cancels_the_isolated_coroutine():
    import threading

    from bot.isolated import run_isolated

    cancelled = threading.Event()

    async def forever() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    waiter = asyncio.get_running_loop().create_task(run_isolated(forever))
    await asyncio.sleep(0.05)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert await asyncio.to_thread(cancelled.wait, 5)


async def test_isolated_errors_reach_the_waiter():
    from bot.isolated import run_isolated

    async def broken() -> None:
        raise ValueError("no such target")

    with pytest.raises(ValueError, match="no such target"):
        await run_isolated(broken)
