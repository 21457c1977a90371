"""Modal submissions. The Waive modal is validated before it closes: problems come back as
``response_action: errors`` and show under the field that has them."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.app.runtime import Runtime
from bot.checklist import Actor, NotPermitted
from bot.checklist.sentences import chat_waive_refused, chat_waived
from bot.slack.blocks.run import WAIVE_CALLBACK, ItemRef
from bot.slack.blocks.words import mention
from bot.slack.notifier import PostFailed
from bot.slack.reply import Replier
from bot.store import ChecklistError, StoreError, in_thread

__all__ = ["register", "validate_waiver"]

log = logging.getLogger(__name__)

MAX_DAYS = 365
MIN_REASON, MAX_REASON = 10, 500


def _value(values: dict[str, Any], block: str) -> str:
    return str(((values.get(block) or {}).get("value") or {}).get("value") or "").strip()


def validate_waiver(values: dict[str, Any]) -> tuple[int | None, str, dict[str, str]]:
    """(days, reason, errors by block id) from a Waive modal's state values."""
    errors: dict[str, str] = {}
    raw_days = _value(values, "days").lower().removesuffix("d").strip()
    days: int | None = None
    if not raw_days:
        errors["days"] = "Enter a number of days, 1 to 365."
    elif not raw_days.isdigit():
        errors["days"] = f'"{raw_days[:20]}" is not a whole number of days.'
    else:
        days = int(raw_days)
        if not 1 <= days <= MAX_DAYS:
            errors["days"] = f"A waiver lasts 1 to {MAX_DAYS} days, not {days}."
    reason = " ".join(_value(values, "reason").split())
    if len(reason) < MIN_REASON:
        errors["reason"] = (
            f"Say why in at least {MIN_REASON} characters, so the next person understands."
        )
    elif len(reason) > MAX_REASON:
        errors["reason"] = f"Keep the reason under {MAX_REASON} characters (it has {len(reason)})."
    return days, reason, errors


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.view(WAIVE_CALLBACK)
    async def waive_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = (body.get("user") or {}).get("id", "")
        ref = ItemRef.decode(view.get("private_metadata"))
        days, reason, errors = validate_waiver((view.get("state") or {}).get("values") or {})
        if ref is None:
            errors["reason"] = "This form is out of date; press Waive on the scorecard again."
        elif not runtime.services.checklist.policy.may_waive(Actor(user)):
            errors["reason"] = (
                f"Only admins may waive checks: {', '.join(runtime.config.slack.admins) or 'none configured'}."
            )
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        assert ref is not None and days is not None
        runtime.tasks.spawn(
            record_waiver(runtime, ref, days, reason, user), name=f"waive {ref.check_id}"
        )


async def record_waiver(runtime: Runtime, ref: ItemRef, days: int, reason: str, user: str) -> None:
    assert runtime.notifier is not None
    tell = Replier(runtime.notifier, user, ref.channel, None, ref.ts)
    checklist = runtime.services.checklist
    try:
        item = await in_thread(
            checklist.waive, ref.target, ref.check_id, days=days, reason=reason, actor=Actor(user)
        )
    except NotPermitted:
        await tell(chat_waive_refused(runtime.config.slack.admins, mention))
        return
    except (ChecklistError, StoreError) as exc:
        await tell(f":warning: {exc}")
        return
    text = chat_waived(user, ref.target, item, mention)
    if not ref.channel:
        await tell(text)
        return
    try:
        await runtime.notifier.post(ref.channel, text, thread_ts=ref.ts)
    except PostFailed as exc:
        await tell(f"{text}\n:warning: {exc}")
