"""The checklist subcommands (status, assign, done, waive) as command handlers: a request in,
a :class:`~bot.app.runtime.Reply` out. They run after the ``ack()``, in a background task; store
calls are synchronous SQLite, so they go through ``asyncio.to_thread``.

Who may do what: anyone may see the checklist and assign items; an item's owner or an admin
may mark it done; only admins may waive. Every change is written to the audit log by the
store, with the Slack user id as the actor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.app.runtime import CommandHandler, CommandRequest, Reply, Runtime
from bot.services import Services
from bot.slack.blocks.run import ChecklistLine, checklist_message
from bot.slack.blocks.words import mention
from bot.store import ChecklistItem
from checks.model import RunReport

__all__ = ["BUILTIN", "admins_text", "checklist_lines", "sync_items"]


def admins_text(runtime: Runtime) -> str:
    admins = runtime.config.slack.admins
    return ", ".join(mention(a) for a in admins) if admins else "nobody yet (list them under slack.admins in app.yaml)"


def sync_items(services: Services, target: str) -> list[ChecklistItem]:
    """The target's checklist, created from the catalog and app.yaml the first time."""
    store = services.store
    items = store.items(target)
    if not items:
        store.sync_checklist(target, list(services.registry), services.config.checklist)
        items = store.items(target)
    return items


def checklist_lines(items: Sequence[ChecklistItem], runtime: Runtime) -> list[ChecklistLine]:
    from bot.checklist import worst_first

    now = runtime.clock()
    return [
        ChecklistLine(
            check_id=i.check_id,
            title=i.title,
            severity=i.severity,
            status=i.display_status(now),
            owner=i.owner,
            due=i.due.isoformat() if i.due else None,
            overdue=i.overdue(now),
            summary=i.last_summary,
        )
        for i in worst_first(items, now)
    ]


async def status(runtime: Runtime, request: CommandRequest) -> Reply:
    from bot.checklist import summary_sentence

    name, _ = runtime.config.target(request.command.target)

    def read() -> tuple[list[ChecklistItem], RunReport | None]:
        return sync_items(runtime.services, name), runtime.services.store.latest_report(name)

    items, report = await asyncio.to_thread(read)
    message = checklist_message(
        project=runtime.config.project,
        target=name,
        lines=checklist_lines(items, runtime),
        summary=summary_sentence(items, runtime.clock()),
        verdict=report.verdict if report else None,
        last_run=report.finished_at if report else None,
    )
    return Reply(message.text, message.blocks)


async def assign(runtime: Runtime, request: CommandRequest) -> Reply:
    command = request.command
    name, _ = runtime.config.target(command.target)
    assert command.item and command.user

    def write() -> tuple[ChecklistItem, ChecklistItem]:
        sync_items(runtime.services, name)
        before = runtime.services.store.item(name, command.item)
        after = runtime.services.store.assign(name, command.item, command.user, due=command.due, actor=request.user)
        return before, after

    before, after = await asyncio.to_thread(write)
    return Reply(assign_text(request.user, name, before, after), in_channel=before.owner != after.owner or before.due != after.due)


def assign_text(actor: str, target: str, before: ChecklistItem, after: ChecklistItem) -> str:
    due = f", due {after.due.isoformat()}" if after.due else ""
    if (before.owner, before.due) == (after.owner, after.due):
        return f"`{after.check_id}` on {target} already belongs to {mention(after.owner)}{due}; nothing changed."
    was = f" (was {mention(before.owner)})" if before.owner and before.owner != after.owner else ""
    return f":bust_in_silhouette: {mention(actor)} assigned `{after.check_id}` on *{target}* to {mention(after.owner)}{was}{due}."


def read_item(services: Services, target: str, check_id: str) -> ChecklistItem:
    sync_items(services, target)
    return services.store.item(target, check_id)


async def done(runtime: Runtime, request: CommandRequest) -> Reply:
    command = request.command
    name, _ = runtime.config.target(command.target)
    assert command.item
    item = await asyncio.to_thread(read_item, runtime.services, name, command.item)
    if request.user != item.owner and not runtime.config.is_admin(request.user):
        owner = f"its owner ({mention(item.owner)})" if item.owner else "its owner (it has none yet: assign it first)"
        return Reply(f":no_entry: Only {owner} or an admin ({admins_text(runtime)}) may mark `{item.check_id}` done.")
    updated = await asyncio.to_thread(
        runtime.services.store.mark_done, name, command.item, note=command.note, actor=request.user
    )
    note = f' ("{command.note}")' if command.note else ""
    if updated.is_manual:
        text = f":ballot_box_with_check: {mention(request.user)} attested `{updated.check_id}` on *{name}*{note}."
    else:
        text = (f":ballot_box_with_check: {mention(request.user)} marked `{updated.check_id}` on *{name}* done{note}; "
                "the next run confirms it or reopens it.")
    return Reply(text, in_channel=True)


async def waive(runtime: Runtime, request: CommandRequest) -> Reply:
    command = request.command
    name, _ = runtime.config.target(command.target)
    assert command.item and command.days and command.note
    if not runtime.config.is_admin(request.user):
        return Reply(f":no_entry: Only admins ({admins_text(runtime)}) may waive checks.")
    item = await asyncio.to_thread(waive_item, runtime.services, name, command.item, command.days, command.note, request.user)
    return Reply(waive_text(request.user, name, item), in_channel=True)


def waive_item(services: Services, target: str, check_id: str, days: int, reason: str, actor: str) -> ChecklistItem:
    sync_items(services, target)
    return services.store.waive(target, check_id, days=days, reason=reason, actor=actor)


def waive_text(actor: str, target: str, item: ChecklistItem) -> str:
    until = item.waiver_expires.date().isoformat() if item.waiver_expires else "?"
    return (f":zipper_mouth_face: {mention(actor)} waived `{item.check_id}` on *{target}* until {until}: "
            f"\"{item.waiver_reason}\". It reports *waived*, never pass, and the waiver lapses by itself.")


BUILTIN: dict[str, CommandHandler] = {"status": status, "assign": assign, "done": done, "waive": waive}
