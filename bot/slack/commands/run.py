"""``/launchready run [target] [check ...]``: run the checks with a live scorecard."""

from __future__ import annotations

from bot.app.runtime import Runtime
from bot.config import ConfigError
from bot.slack.commands.spec import CommandRequest, CommandSpec, Reply
from bot.slack.parser import CHECK_ID, Command, ask_help, clip, take_target
from bot.slack.runflow import RunRequest, run_in_slack

__all__ = ["SPEC"]


def parse(args: list[str], targets: set[str]) -> Command:
    target, rest = take_target(args, targets, needs_more=False)
    checks: list[str] = []
    for word in rest:
        for part in word.split(","):
            part = part.strip()
            if not part:
                continue
            if not CHECK_ID.match(part):
                known = f" (targets: {', '.join(sorted(targets))})" if targets else ""
                return ask_help(
                    f"`{clip(part)}` is neither a target{known} nor a check id such as `auth.private_routes`."
                )
            checks.append(part)
    return Command("run", target=target, checks=tuple(dict.fromkeys(checks)))


async def run(runtime: Runtime, request: CommandRequest) -> Reply | None:
    command = request.command
    await run_in_slack(
        runtime,
        RunRequest(
            user=request.user,
            channel=request.channel,
            target=command.target,
            only=command.checks,
            response_url=request.response_url,
        ),
    )
    return None  # the run posts its own progress and scorecard


def is_short(runtime: Runtime, command: Command) -> bool:
    """A run that will really start lasts minutes and must not hold a background slot; a
    second run of a busy target (or a bad target) is only told something, which is short."""
    try:
        name, _ = runtime.config.target(command.target)
    except ConfigError:
        return True
    return name in runtime.active_runs


SPEC = CommandSpec(
    name="run",
    usage="run [target] [check ...]",
    summary="Run every check (or the named checks or areas) and post a live scorecard.",
    example="/launchready run staging auth tls.certificate",
    parse=parse,
    handle=run,
    who="anyone (production targets: admins)",
    is_short=is_short,
)
