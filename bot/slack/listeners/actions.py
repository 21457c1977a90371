"""The scorecard's buttons and picker, and App Home's Run button.

Each listener acknowledges first. Modals are opened right after the acknowledgement because
a ``trigger_id`` expires 3 seconds after the click.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.app.runtime import Runtime
from bot.checklist import Actor
from bot.checklist.sentences import chat_assigned, chat_waive_refused
from bot.slack.blocks.home import ACTION_HOME_RUN
from bot.slack.blocks.run import (
    ACTION_ASSIGN,
    ACTION_DETAILS,
    ACTION_RERUN,
    ACTION_WAIVE,
    ItemRef,
    details_modal,
    scorecard,
    waive_modal,
)
from bot.slack.blocks.words import mention
from bot.slack.notifier import PostFailed
from bot.slack.reply import Replier
from bot.slack.runflow import RunRequest, run_in_slack
from bot.store import ChecklistError, StoreError, in_thread
from checks.model import CheckResult

__all__ = ["register"]

log = logging.getLogger(__name__)

STALE = (
    ":grey_question: That button belongs to a message I can no longer read; run the checks again."
)


class Click:
    """What a block action carries, without Slack's nesting."""

    def __init__(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        self.user = (body.get("user") or {}).get("id", "")
        container = body.get("container") or {}
        self.channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
        self.message_ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
        self.thread_ts = (
            container.get("thread_ts")
            or (body.get("message") or {}).get("thread_ts")
            or self.message_ts
        )
        self.trigger_id = body.get("trigger_id")
        self.response_url = body.get("response_url")
        self.action = action

    def ref(self) -> ItemRef | None:
        value = self.action.get("value")
        if value is None:  # the users_select carries its item in the block id
            value = str(self.action.get("block_id", "")).removeprefix("c|")
        return ItemRef.decode(value)

    def replier(self, runtime: Runtime) -> Replier:
        assert runtime.notifier is not None
        return Replier(runtime.notifier, self.user, self.channel, self.response_url, self.thread_ts)


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.action(ACTION_DETAILS)
    async def details(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        # Not gated: the trigger_id for the modal expires 3 seconds after the click.
        runtime.tasks.spawn(open_details(runtime, Click(body, action)), name="details", gated=False)

    @app.action(ACTION_ASSIGN)
    async def assign(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        runtime.tasks.spawn(assign_owner(runtime, Click(body, action)), name="assign")

    @app.action(ACTION_RERUN)
    async def rerun(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        click = Click(body, action)
        ref = click.ref()
        if ref is None:
            runtime.tasks.spawn(click.replier(runtime)(STALE), name="stale")
            return
        request = RunRequest(
            user=click.user,
            channel=click.channel,
            target=ref.target,
            only=(ref.check_id,),
            thread_ts=click.thread_ts,
            response_url=click.response_url,
        )
        runtime.tasks.spawn(
            run_in_slack(runtime, request), name=f"rerun {ref.check_id}", gated=False
        )

    @app.action(ACTION_WAIVE)
    async def waive(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        runtime.tasks.spawn(open_waive(runtime, Click(body, action)), name="waive", gated=False)

    @app.action(re.compile(rf"^{ACTION_HOME_RUN}(:.*)?$"))
    async def home_run(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        click = Click(body, action)
        request = RunRequest(
            user=click.user, channel=runtime.config.slack.channel, target=action.get("value")
        )
        runtime.tasks.spawn(run_in_slack(runtime, request), name="home run", gated=False)


async def _result(runtime: Runtime, ref: ItemRef) -> CheckResult | None:
    report = runtime.report(ref.run_id)
    if report is None:
        store = runtime.services.store
        report = await in_thread(store.get_report, ref.run_id) if ref.run_id else None
        if report is None:
            report = await in_thread(store.latest_report, ref.target)
    return report.result(ref.check_id) if report else None


async def open_details(runtime: Runtime, click: Click) -> None:
    assert runtime.notifier is not None
    ref = click.ref()
    result = await _result(runtime, ref) if ref else None
    if ref is None or result is None or not click.trigger_id:
        await click.replier(runtime)(STALE)
        return
    try:
        await runtime.notifier.open_view(click.trigger_id, details_modal(result, ref))
    except PostFailed as exc:
        await click.replier(runtime)(f":warning: {exc}")


async def assign_owner(runtime: Runtime, click: Click) -> None:
    assert runtime.notifier is not None
    ref = click.ref()
    owner = click.action.get("selected_user")
    tell = click.replier(runtime)
    if ref is None or not owner:
        await tell(STALE)
        return

    checklist = runtime.services.checklist
    try:
        change = await in_thread(
            checklist.assign, ref.target, ref.check_id, owner, actor=Actor(click.user)
        )
    except (ChecklistError, StoreError) as exc:
        await tell(f":warning: {exc}")
        return
    text = chat_assigned(click.user, ref.target, change.before, change.after, mention)
    if change.before.owner == change.after.owner or not click.channel:
        await tell(text)
        return
    try:
        await runtime.notifier.post(click.channel, text, thread_ts=click.thread_ts)
        await redraw_scorecard(runtime, click, ref, owner)
    except PostFailed as exc:
        await tell(f"{text}\n:warning: {exc}")


async def redraw_scorecard(runtime: Runtime, click: Click, ref: ItemRef, owner: str) -> None:
    """Show the new owner on the scorecard itself (when we still hold its report)."""
    assert runtime.notifier is not None
    report = runtime.report(ref.run_id)
    if report is None or not click.channel or not click.message_ts:
        return
    results = tuple(
        replace(r, owner=owner) if r.check_id == ref.check_id else r for r in report.results
    )
    report = replace(report, results=results)
    runtime.remember(report)
    card = scorecard(report, started_by=runtime.started_by(report.run_id))
    await runtime.notifier.update(click.channel, click.message_ts, card.text, card.blocks)


async def open_waive(runtime: Runtime, click: Click) -> None:
    assert runtime.notifier is not None
    ref = click.ref()
    tell = click.replier(runtime)
    if ref is None or not click.trigger_id:
        await tell(STALE)
        return
    if not runtime.services.checklist.policy.may_waive(Actor(click.user)):
        await tell(chat_waive_refused(runtime.config.slack.admins, mention))
        return
    result = runtime.report(ref.run_id).result(ref.check_id) if runtime.report(ref.run_id) else None
    title = result.title if result else ref.check_id
    ref = ItemRef(ref.target, ref.check_id, ref.run_id, click.channel, click.thread_ts)
    try:
        await runtime.notifier.open_view(click.trigger_id, waive_modal(ref, title))
    except PostFailed as exc:
        await tell(f":warning: {exc}")
