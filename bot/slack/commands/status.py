"""``/launchready status [target]``: the launch checklist, worst first."""

from __future__ import annotations

from bot.app.runtime import Runtime
from bot.checklist import summary_sentence
from bot.freshness import observe_build
from bot.signoff import state_line
from bot.slack.blocks.run import checklist_message
from bot.slack.blocks.words import mention
from bot.slack.commands.checklist_lines import checklist_lines
from bot.slack.commands.spec import CommandRequest, CommandSpec, Reply
from bot.slack.parser import only_target
from bot.store import in_thread

__all__ = ["SPEC"]


async def status(runtime: Runtime, request: CommandRequest) -> Reply:
    checklist = runtime.services.checklist
    name = checklist.target(request.command.target)
    # The app's build now, so a pass measured on another build reads stale.
    await observe_build(runtime.config, name, runtime.services.store, source="status")
    current = await in_thread(checklist.status, name)
    signed = await in_thread(runtime.services.signoffs.current, name)
    report = current.latest
    message = checklist_message(
        project=runtime.config.project,
        target=name,
        lines=checklist_lines(current.items, current.now),
        summary=summary_sentence(current.items, current.now) + "\n" + state_line(signed, mention),
        verdict=report.verdict if report else None,
        last_run=report.finished_at if report else None,
    )
    return Reply(message.text, message.blocks)


SPEC = CommandSpec(
    name="status",
    usage="status [target]",
    summary="The launch checklist: owners, due dates, what is open, worst first.",
    example="/launchready status",
    parse=only_target("status"),
    handle=status,
)
