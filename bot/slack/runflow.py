"""A run as Slack sees it: one message posted, edited as results land (at most about once a
second), ending in the scorecard, with the long detail in its thread.

Results are saved by :meth:`bot.services.Services.run` as they land, so a Slack failure never
loses a result: it is retried by the client, logged, and the requester is told where the
results are.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from bot.app.runtime import ActiveRun, Runtime
from bot.config import ConfigError
from bot.services import NotAllowed, RunInProgress
from bot.signoff import broken_text
from bot.slack.blocks.limits import Message, section
from bot.slack.blocks.run import progress_message, scorecard
from bot.slack.blocks.words import mention
from bot.slack.notifier import PostFailed
from bot.slack.reply import Replier
from bot.store import in_thread
from checks.model import CheckResult, RunReport
from checks.registry import UnknownCheckError

__all__ = ["RunRequest", "ThrottledEditor", "run_in_slack"]

log = logging.getLogger(__name__)


class ThrottledEditor:
    """Calls ``edit`` after each :meth:`poke`, but never more often than every ``interval``
    seconds: pokes in between coalesce into one edit."""

    def __init__(
        self,
        edit: Callable[[], Awaitable[None]],
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._edit = edit
        self._interval = interval
        self._clock = clock
        self._dirty = asyncio.Event()
        self._last = float("-inf")
        self._task: asyncio.Task[None] | None = None
        self.edits = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="progress-edits")

    def poke(self) -> None:
        self._dirty.set()

    async def _loop(self) -> None:
        while True:
            await self._dirty.wait()
            wait = self._last + self._interval - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            self._dirty.clear()
            self._last = self._clock()
            self.edits += 1
            try:
                await self._edit()
            except PostFailed as exc:  # a missed progress edit is cosmetic; the final one matters
                log.info("progress edit failed: %s", exc.error)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None


@dataclass
class RunRequest:
    user: str
    channel: str | None  # where to post; None: the configured channel, else a DM
    target: str | None = None
    only: Sequence[str] = ()
    thread_ts: str | None = None
    response_url: str | None = None
    results: list[CheckResult] = field(default_factory=list)


async def run_in_slack(runtime: Runtime, request: RunRequest) -> RunReport | None:
    """Check permissions and the one-run-per-target rule, then run with live progress."""
    notifier = runtime.notifier
    assert notifier is not None, "the runtime has no Slack notifier"
    channel = request.channel or runtime.config.slack.channel or request.user
    tell = Replier(notifier, request.user, request.channel, request.response_url, request.thread_ts)
    services = runtime.services
    try:
        name, target = runtime.config.target(request.target)
        checks = services.select(list(request.only) or None)
    except ConfigError as exc:
        await tell(f":warning: {exc}")
        return None
    except UnknownCheckError as exc:
        targets = ", ".join(f"`{t}`" for t in runtime.config.targets)
        await tell(f":warning: {exc} (Targets: {targets}.)")
        return None
    if not services.may_run(name, request.user):
        admins = (
            ", ".join(mention(a) for a in runtime.config.slack.admins)
            or "nobody (set slack.admins in app.yaml)"
        )
        await tell(
            f":no_entry: *{name}* is a production target: only admins may run checks against it ({admins})."
        )
        return None
    running = runtime.claim_run(name, request.user)
    if running is not None:
        await tell(await _where(runtime, running))
        return None
    try:
        return await _run(runtime, request, name, target.base_url, len(checks), channel, tell)
    finally:
        runtime.release_run(name)


async def _where(runtime: Runtime, running: ActiveRun) -> str:
    started = f"started by {mention(running.user)}"
    if running.channel and running.ts and runtime.notifier is not None:
        link = await runtime.notifier.permalink(running.channel, running.ts)
        place = f"<{link}|here>" if link else f"in <#{running.channel}> (message {running.ts})"
        return f":hourglass_flowing_sand: A run against *{running.target}* ({started}) is in progress: follow it {place}. Try again when it finishes."
    return f":hourglass_flowing_sand: A run against *{running.target}* ({started}) is starting; wait for its scorecard before starting another."


async def _run(
    runtime: Runtime,
    request: RunRequest,
    name: str,
    base_url: str,
    total: int,
    channel: str,
    tell: Replier,
) -> RunReport | None:
    notifier = runtime.notifier
    assert notifier is not None
    results = request.results

    def progress() -> Message:
        return progress_message(
            project=runtime.config.project,
            target=name,
            base_url=base_url,
            total=total,
            results=results,
            started_by=request.user,
            only=request.only,
        )

    ts: str | None = None
    first = progress()
    try:
        ts = await notifier.post(channel, first.text, first.blocks, thread_ts=request.thread_ts)
        active = runtime.active_runs.get(name)
        if active is not None:
            active.channel, active.ts = channel, ts
    except PostFailed as exc:
        await tell(
            f":warning: {exc} The run goes on and its results are saved; I will tell you the verdict here."
        )

    async def edit() -> None:
        if ts is not None:
            current = progress()
            await notifier.update(channel, ts, current.text, current.blocks)

    editor = ThrottledEditor(edit, runtime.edit_interval)
    editor.start()

    def landed(result: CheckResult) -> None:
        results.append(result)
        editor.poke()

    try:
        report = await runtime.execute(
            name, request.only, trigger="slack", who=request.user, on_result=landed
        )
    except (RunInProgress, NotAllowed) as exc:
        await editor.close()
        await _final_text(runtime, channel, ts, f":hourglass_flowing_sand: {exc}", tell)
        return None
    except Exception as exc:
        await editor.close()
        log.exception("run of %s failed", name)
        await _final_text(
            runtime,
            channel,
            ts,
            f":boom: The run against *{name}* failed: {type(exc).__name__}: {exc}",
            tell,
        )
        return None
    await editor.close()
    runtime.remember(report, request.user)
    card = scorecard(report, started_by=request.user)
    delivered = await _deliver(runtime, channel, ts, card, request.thread_ts)
    if delivered is not None:
        await tell(
            f":warning: I could not post the scorecard: {delivered} The results are saved: "
            f"`/launchready status {name}` shows them.\n{card.text}"
        )
    await announce_broken_signoff(runtime, report, channel)
    return report


async def announce_broken_signoff(runtime: Runtime, report: RunReport, channel: str) -> None:
    """Say so in the channel (and in the signed record's thread) when this run's verdict
    means the go/no-go sign-off no longer holds."""
    notifier = runtime.notifier
    broken = await in_thread(runtime.services.signoffs.broken_by, report)
    if broken is None or notifier is None:
        return
    text = broken_text(broken, mention)
    try:
        await notifier.post(channel, text)
        if broken.channel and broken.ts:
            await notifier.post(broken.channel, text, thread_ts=broken.ts)
    except PostFailed as exc:
        log.warning("could not say that the sign-off no longer holds: %s", exc)


async def _deliver(
    runtime: Runtime, channel: str, ts: str | None, card: Message, thread_ts: str | None
) -> PostFailed | None:
    """The scorecard replaces the progress message (or is posted when there is none); its
    thread replies follow. Returns the failure that stopped it, if any."""
    notifier = runtime.notifier
    assert notifier is not None
    try:
        if ts is not None:
            await notifier.update(channel, ts, card.text, card.blocks)
        else:
            ts = await notifier.post(channel, card.text, card.blocks, thread_ts=thread_ts)
    except PostFailed as exc:
        return exc
    try:
        await notifier.post_thread(channel, thread_ts or ts, card.thread)
        for name, content in card.files:
            await notifier.upload_file(channel, content, filename=name, thread_ts=thread_ts or ts)
    except PostFailed as exc:  # the scorecard is up; the detail can be read with Details
        log.warning("scorecard thread replies failed: %s", exc.error)
    return None


async def _final_text(
    runtime: Runtime, channel: str, ts: str | None, text: str, tell: Replier
) -> None:
    notifier = runtime.notifier
    assert notifier is not None
    if ts is not None:
        try:
            await notifier.update(channel, ts, text, [section(text)])
            return
        except PostFailed:
            pass
    await tell(text)
